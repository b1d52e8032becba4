// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/accounting_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli::acct {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

[[noreturn]] void fail(std::string_view what, std::string_view value, std::string_view problem) {
  throw ParseError(fmt::format("{} {} {}", what, text::quote(value), problem));
}

// Slurm's memory TRES: MiB unless a binary suffix says otherwise.
double memory_bytes(std::string_view value, std::string_view what) {
  double factor = kMiB;
  if (!value.empty()) {
    switch (value.back()) {
      case 'K':
        factor = 1024.0;
        break;
      case 'M':
        factor = kMiB;
        break;
      case 'G':
        factor = kMiB * 1024;
        break;
      case 'T':
        factor = kMiB * 1024 * 1024;
        break;
      case 'P':
        factor = kMiB * 1024 * 1024 * 1024;
        break;
      default:
        factor = 0;
    }
    if (factor != 0) {
      value.remove_suffix(1);
    } else {
      factor = kMiB;
    }
  }
  return number(value, what) * factor;
}

// "name=value" → {name, value}; the name is everything before the last '=' (names hold '/'
// and ':' but never '=').
std::pair<std::string_view, std::string_view> tres_item(std::string_view item,
                                                        std::string_view what) {
  const auto eq = item.find('=');
  if (eq == std::string_view::npos || eq == 0) fail(what, item, "is not a TRES name=value");
  return {item.substr(0, eq), item.substr(eq + 1)};
}

}  // namespace

std::vector<std::string_view> split(std::string_view value, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = value.find(sep);
    out.push_back(value.substr(0, at));
    if (at == std::string_view::npos) return out;
    value.remove_prefix(at + 1);
  }
}

double number(std::string_view value, std::string_view what, bool allow_inf) {
  if (allow_inf && value == "inf") return std::numeric_limits<double>::infinity();
  // from_chars would take "inf", "nan", "1e5" and a leading '-': Slurm prints none of them.
  bool digit = false;
  for (const char c : value) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.') {
      fail(what, value, "is not a number");
    }
  }
  if (!digit) fail(what, value, "is not a number");
  double v = 0;
  const char* end = value.data() + value.size();
  const auto r = std::from_chars(value.data(), end, v, std::chars_format::fixed);
  if (r.ec != std::errc{} || r.ptr != end || !std::isfinite(v)) {
    fail(what, value, "is not a number");
  }
  return v;
}

std::optional<double> optional_number(std::string_view value, std::string_view what,
                                      bool allow_inf) {
  if (value.empty()) return std::nullopt;
  return number(value, what, allow_inf);
}

Limit limit(std::string_view value, std::string_view what) {
  Limit out;
  if (value.empty()) return out;
  const auto open = value.find('(');
  if (open == std::string_view::npos || value.back() != ')') {
    fail(what, value, "is not LIMIT(USED)");
  }
  const auto max = value.substr(0, open);
  if (max != "N") out.max = number(max, what);
  out.used = number(value.substr(open + 1, value.size() - open - 2), what);
  return out;
}

std::vector<TresLimit> tres_limits(std::string_view list, std::string_view what) {
  std::vector<TresLimit> out;
  if (list.empty()) return out;
  for (const auto item : split(list, ',')) {
    const auto [name, value] = tres_item(item, what);
    TresLimit t{std::string(name), limit(value, what)};
    if (name == "mem") {
      if (t.value.max) *t.value.max *= kMiB;
      t.value.used *= kMiB;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TresAmount> tres_amounts(std::string_view list, std::string_view what) {
  std::vector<TresAmount> out;
  if (list.empty()) return out;
  for (const auto item : split(list, ',')) {
    const auto [name, value] = tres_item(item, what);
    out.push_back(
        {std::string(name), name == "mem" ? memory_bytes(value, what) : number(value, what)});
  }
  return out;
}

std::optional<double> wall_seconds(std::string_view value, std::string_view what) {
  if (value.empty()) return std::nullopt;
  double days = 0;
  std::string_view clock = value;
  if (const auto dash = value.find('-'); dash != std::string_view::npos) {
    days = number(value.substr(0, dash), what);
    clock = value.substr(dash + 1);
  }
  const auto parts = split(clock, ':');
  if (parts.size() < 2 || parts.size() > 3) fail(what, value, "is not [D-]HH:MM:SS");
  double seconds = 0;
  for (const auto p : parts) {
    if (p.empty() || p.find('.') != std::string_view::npos) {
      fail(what, value, "is not [D-]HH:MM:SS");
    }
    seconds = seconds * 60 + number(p, what);
  }
  return days * 86400 + seconds;
}

}  // namespace slurm_exporter::slurm::cli::acct
