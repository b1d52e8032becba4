// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/gres.hpp"

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm {
namespace {

bool is_empty_value(std::string_view text) {
  return text.empty() || text == "(null)" || text == "N/A";
}

bool is_count(std::string_view s) { return !s.empty() && s.front() >= '0' && s.front() <= '9'; }

std::uint64_t parse_count(std::string_view count, std::string_view item) {
  try {
    return text::parse_suffixed(count, "GRES count");
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} in {}", e.what(), text::quote(item)));
  }
}

// "name[:type][:no_consume][:count[KMGTP]]" (no detail) → GresCount, as Slurm's
// _build_node_gres_str prints it ("bandwidth:lustre:no_consume:4G", "gpu:2K"). With
// `count_required`, "name:x" is an error instead of type x, count 1.
GresCount parse_item(std::string_view item, std::string_view whole, bool count_required) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = item.find(':', start);
    const std::string_view part =
        item.substr(start, colon == std::string_view::npos ? colon : colon - start);
    // no_consume is a property of the GRES, not a type or count.
    if (parts.empty() || part != "no_consume") parts.push_back(part);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const auto malformed = [&] { return ParseError("malformed GRES item " + text::quote(whole)); };
  if (parts.size() > 3 || parts[0].empty()) throw malformed();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) throw malformed();
  }
  GresCount g;
  g.name = std::string(parts[0]);
  g.count = 1;
  if (parts.size() == 2) {
    // "gpu:4" or "gpu:a100" (a type without count: one).
    if (is_count(parts[1]) || count_required) {
      g.count = parse_count(parts[1], whole);
    } else {
      g.type = std::string(parts[1]);
    }
  } else if (parts.size() == 3) {
    g.type = std::string(parts[1]);
    g.count = parse_count(parts[2], whole);
  }
  if (g.type == "(null)") g.type.clear();
  return g;
}

// Splits on `seps` outside parentheses.
template <typename F>
void split_top_level(std::string_view text, std::string_view seps, F&& each) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool end = i == text.size();
    const char c = end ? ',' : text[i];
    if (!end && c == '(') ++depth;
    if (!end && c == ')') {
      if (--depth < 0) throw ParseError("unbalanced ')' in GRES " + text::quote(text));
    }
    if (depth == 0 && (end || seps.find(c) != std::string_view::npos)) {
      each(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) throw ParseError("unbalanced '(' in GRES " + text::quote(text));
}

}  // namespace

std::vector<GresCount> parse_gres_list(std::string_view text) {
  std::vector<GresCount> out;
  if (is_empty_value(text)) return out;
  split_top_level(text, ",", [&](std::string_view item) {
    // The detail is a trailing "(S:…)" or "(IDX:…)"; "(null)" is sinfo's placeholder for no type
    // ("shard:(null):0(IDX:N/A)").
    std::string_view head = item;
    if (!item.empty() && item.back() == ')') {
      const auto paren = item.rfind('(');
      if (item.substr(paren) != "(null)") head = item.substr(0, paren);
    }
    if (head.find_first_of("()") != std::string_view::npos &&
        head.find("(null)") == std::string_view::npos) {
      throw ParseError("malformed GRES item " + text::quote(item));
    }
    out.push_back(parse_item(head, item, false));
  });
  return out;
}

std::vector<GresCount> parse_tres_gres_request(std::string_view text) {
  std::vector<GresCount> out;
  if (is_empty_value(text)) return out;
  split_top_level(text, ",;", [&](std::string_view item) {
    if (item.starts_with("gres:") || item.starts_with("gres/")) {
      out.push_back(parse_item(item.substr(5), item, true));
    }
  });
  return out;
}

std::uint64_t total_of(const std::vector<GresCount>& list, std::string_view name) {
  std::uint64_t sum = 0;
  for (const auto& g : list) {
    if (g.name == name) sum = text::checked_add(sum, g.count, "GRES total");
  }
  return sum;
}

std::uint64_t requested_gpus(std::string_view per_job, std::string_view per_node,
                             std::string_view per_socket, std::string_view per_task,
                             std::uint64_t nodes, std::uint64_t tasks) {
  const auto gpus = [](std::string_view t) { return total_of(parse_tres_gres_request(t), "gpu"); };
  constexpr std::string_view kWhat = "GPUs requested";
  std::uint64_t sum = gpus(per_job);
  sum = text::checked_add(sum, text::checked_mul(gpus(per_node), nodes, kWhat), kWhat);
  sum = text::checked_add(sum, text::checked_mul(gpus(per_socket), nodes, kWhat), kWhat);
  return text::checked_add(sum, text::checked_mul(gpus(per_task), tasks, kWhat), kWhat);
}

}  // namespace slurm_exporter::slurm
