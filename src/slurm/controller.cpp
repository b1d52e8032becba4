// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/controller.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm {
namespace {

struct RpcName {
  std::uint16_t id;
  const char* name;
};

constexpr RpcName kRpcNames[] = {
#include "rpc_names.inc"
};

std::string_view short_name(std::string_view host) { return host.substr(0, host.find('.')); }

}  // namespace

std::string rpc_type_name(std::uint16_t id) {
  const auto* end = std::end(kRpcNames);
  const auto* it = std::lower_bound(std::begin(kRpcNames), end, id,
                                    [](const RpcName& r, std::uint16_t v) { return r.id < v; });
  if (it != end && it->id == id) return it->name;
  return std::to_string(id);
}

bool has_accounting(std::string_view accounting_storage_type) {
  return accounting_storage_type == "accounting_storage/slurmdbd";
}

bool on_active_controller(const ControllerStatus& status) {
  if (status.local_host.empty()) return false;
  for (const auto& c : status.controllers) {
    if (c.up) return short_name(c.name) == short_name(status.local_host);
  }
  return false;
}

std::vector<std::string> expand_host_list(std::string_view list) {
  std::vector<std::string> out;
  if (list.empty() || list == "(null)") return out;
  const auto bad = [&](std::string_view why) {
    return ParseError(fmt::format("host list \"{}\": {}", list.substr(0, 200), why));
  };
  // Split at commas outside brackets.
  std::size_t depth = 0, start = 0;
  std::vector<std::string_view> items;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      if (i > start) items.push_back(list.substr(start, i - start));
      start = i + 1;
    } else if (list[i] == '[') {
      if (++depth > 1) throw bad("nested brackets");
    } else if (list[i] == ']') {
      if (depth == 0) throw bad("']' without '['");
      --depth;
    }
  }
  if (depth != 0) throw bad("'[' without ']'");
  for (const std::string_view item : items) {
    const auto open = item.find('[');
    if (open == std::string_view::npos) {
      out.emplace_back(item);
      continue;
    }
    const auto close = item.find(']', open);
    const std::string_view prefix = item.substr(0, open);
    const std::string_view suffix = item.substr(close + 1);
    if (suffix.find('[') != std::string_view::npos) throw bad("more than one range per name");
    std::string_view ranges = item.substr(open + 1, close - open - 1);
    while (!ranges.empty()) {
      const auto comma = ranges.find(',');
      const std::string_view range = ranges.substr(0, comma);
      ranges = comma == std::string_view::npos ? std::string_view{} : ranges.substr(comma + 1);
      const auto dash = range.find('-');
      const std::string_view lo_text = range.substr(0, dash);
      const std::string_view hi_text =
          dash == std::string_view::npos ? lo_text : range.substr(dash + 1);
      const auto parse = [&](std::string_view t) {
        try {
          return text::parse_u64(t, "host list index");
        } catch (const ParseError&) {
          throw bad(fmt::format("bad range \"{}\"", range));
        }
      };
      const std::uint64_t lo = parse(lo_text), hi = parse(hi_text);
      if (hi < lo || hi - lo > 1'000'000) throw bad(fmt::format("bad range \"{}\"", range));
      // Zero padding follows the width of the lower bound ("node[01-10]").
      const std::size_t width = lo_text.size();
      for (std::uint64_t v = lo; v <= hi; ++v) {
        out.push_back(fmt::format("{}{:0{}}{}", prefix, v, width, suffix));
      }
    }
  }
  return out;
}

}  // namespace slurm_exporter::slurm
