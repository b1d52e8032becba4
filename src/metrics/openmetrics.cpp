// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/openmetrics.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>
#include <vector>

namespace slurm_exporter::metrics {
namespace {

constexpr std::string_view kTotal = "_total";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The family a sample line belongs to, and its type, from the TYPE lines seen so far.
struct Families {
  std::map<std::string, std::string, std::less<>> type_of;
  std::string_view current;  // the latest declared family
};

std::string om_name(std::string_view name, std::string_view type) {
  if (type == "counter" && ends_with(name, kTotal)) name.remove_suffix(kTotal.size());
  return std::string(name);
}

std::string om_type(std::string_view type) {
  return type == "untyped" ? "unknown" : std::string(type);
}

void help_line(std::string_view rest, const Families& fams, std::string& out) {
  const std::size_t sp = rest.find(' ');
  const std::string_view name = rest.substr(0, sp);
  const std::string_view help = sp == std::string_view::npos ? "" : rest.substr(sp + 1);
  const auto t = fams.type_of.find(name);
  out += "# HELP " + om_name(name, t == fams.type_of.end() ? "" : t->second) + " ";
  for (const char c : help) {
    if (c == '"') out += '\\';
    out += c;
  }
  out += '\n';
}

}  // namespace

std::string to_openmetrics(std::string_view text) {
  // First pass: the types, since HELP comes before TYPE.
  Families fams;
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    lines.push_back(line);
    if (line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      if (sp != std::string_view::npos) {
        fams.type_of.emplace(std::string(rest.substr(0, sp)),
                             std::string(trim(rest.substr(sp + 1))));
      }
    }
    pos = end + 1;
  }
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 8);
  std::string family_type;
  std::string family_name;
  for (const std::string_view line : lines) {
    if (line.empty()) continue;
    if (line.starts_with("# HELP ")) {
      help_line(line.substr(7), fams, out);
    } else if (line.starts_with("# TYPE ")) {
      const std::string_view rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      family_name = std::string(rest.substr(0, sp));
      family_type = fams.type_of[family_name];
      out += "# TYPE " + om_name(family_name, family_type) + " " + om_type(family_type) + "\n";
    } else if (line.front() == '#') {
      continue;  // OpenMetrics has no free comments
    } else {
      if (family_name.empty()) {
        throw std::invalid_argument("sample before any # TYPE line: " + std::string(line));
      }
      const std::size_t name_end = line.find_first_of("{ ");
      const std::string_view name = line.substr(0, name_end);
      out.append(name);
      if (family_type == "counter" && !ends_with(name, kTotal)) out.append(kTotal);
      out.append(line.substr(name.size()));
      out += '\n';
    }
  }
  out += "# EOF\n";
  return out;
}

namespace {

struct Accepted {
  std::string_view type;
  std::string_view version;
  double q = 1.0;
};

std::vector<Accepted> parse_accept(std::string_view accept) {
  std::vector<Accepted> out;
  std::size_t pos = 0;
  while (pos <= accept.size()) {
    std::size_t end = accept.find(',', pos);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(pos, end - pos);
    pos = end + 1;
    Accepted a;
    std::size_t semi = item.find(';');
    a.type = trim(item.substr(0, semi));
    while (semi != std::string_view::npos) {
      item = item.substr(semi + 1);
      semi = item.find(';');
      const std::string_view param = trim(item.substr(0, semi));
      const std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = trim(param.substr(0, eq));
      const std::string_view value = trim(param.substr(eq + 1));
      if (key == "q") {
        double q = 0;
        const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
        a.q = (ec == std::errc{} && p == value.data() + value.size()) ? q : 0.0;
      } else if (key == "version") {
        a.version = value;
      }
    }
    if (!a.type.empty()) out.push_back(a);
    if (end == accept.size()) break;
  }
  return out;
}

}  // namespace

bool prefers_openmetrics(std::string_view accept) {
  // client_golang (expfmt.NegotiateIncludingOpenMetrics): the accepted types by falling q
  // (goautoneg), the first one it can serve decides; wildcards are not one of them, and
  // nothing it can serve means text 0.0.4.
  auto items = parse_accept(accept);
  std::stable_sort(items.begin(), items.end(),
                   [](const Accepted& a, const Accepted& b) { return a.q > b.q; });
  for (const Accepted& a : items) {
    if (a.q <= 0) continue;
    if (a.type == "text/plain" && (a.version.empty() || a.version == "0.0.4")) return false;
    if (a.type == "application/openmetrics-text" &&
        (a.version.empty() || a.version == "1.0.0" || a.version == "0.0.1")) {
      return true;
    }
  }
  return false;
}

}  // namespace slurm_exporter::metrics
