// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/accounting_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli::acct {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view problem,
                       std::size_t line) {
  throw ParseError(fmt::format("{} {} {}", what, quote(text), problem), line);
}

// Slurm's memory TRES: MiB unless a binary suffix says otherwise.
double memory_bytes(std::string_view text, std::string_view what, std::size_t line) {
  double factor = kMiB;
  if (!text.empty()) {
    switch (text.back()) {
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
      text.remove_suffix(1);
    } else {
      factor = kMiB;
    }
  }
  return number(text, what, line) * factor;
}

// "name=value" → {name, value}; the name is everything before the last '=' (names hold '/'
// and ':' but never '=').
std::pair<std::string_view, std::string_view> tres_item(std::string_view item,
                                                        std::string_view what, std::size_t line) {
  const auto eq = item.find('=');
  if (eq == std::string_view::npos || eq == 0) fail(what, item, "is not a TRES name=value", line);
  return {item.substr(0, eq), item.substr(eq + 1)};
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

double number(std::string_view text, std::string_view what, std::size_t line, bool allow_inf) {
  if (allow_inf && text == "inf") return std::numeric_limits<double>::infinity();
  // from_chars would take "inf", "nan", "1e5" and a leading '-': Slurm prints none of them.
  bool digit = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.') {
      fail(what, text, "is not a number", line);
    }
  }
  if (!digit) fail(what, text, "is not a number", line);
  double v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v, std::chars_format::fixed);
  if (r.ec != std::errc{} || r.ptr != end || !std::isfinite(v)) {
    fail(what, text, "is not a number", line);
  }
  return v;
}

std::optional<double> optional_number(std::string_view text, std::string_view what,
                                      std::size_t line, bool allow_inf) {
  if (text.empty()) return std::nullopt;
  return number(text, what, line, allow_inf);
}

Limit limit(std::string_view text, std::string_view what, std::size_t line) {
  Limit out;
  if (text.empty()) return out;
  const auto open = text.find('(');
  if (open == std::string_view::npos || text.back() != ')') {
    fail(what, text, "is not LIMIT(USED)", line);
  }
  const auto max = text.substr(0, open);
  if (max != "N") out.max = number(max, what, line);
  out.used = number(text.substr(open + 1, text.size() - open - 2), what, line);
  return out;
}

std::vector<TresLimit> tres_limits(std::string_view text, std::string_view what, std::size_t line) {
  std::vector<TresLimit> out;
  if (text.empty()) return out;
  for (const auto item : split(text, ',')) {
    const auto [name, value] = tres_item(item, what, line);
    TresLimit t{std::string(name), limit(value, what, line)};
    if (name == "mem") {
      if (t.value.max) *t.value.max *= kMiB;
      t.value.used *= kMiB;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TresAmount> tres_amounts(std::string_view text, std::string_view what,
                                     std::size_t line) {
  std::vector<TresAmount> out;
  if (text.empty()) return out;
  for (const auto item : split(text, ',')) {
    const auto [name, value] = tres_item(item, what, line);
    out.push_back({std::string(name),
                   name == "mem" ? memory_bytes(value, what, line) : number(value, what, line)});
  }
  return out;
}

std::optional<double> wall_seconds(std::string_view text, std::string_view what, std::size_t line) {
  if (text.empty()) return std::nullopt;
  double days = 0;
  std::string_view clock = text;
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    days = number(text.substr(0, dash), what, line);
    clock = text.substr(dash + 1);
  }
  const auto parts = split(clock, ':');
  if (parts.size() < 2 || parts.size() > 3) fail(what, text, "is not [D-]HH:MM:SS", line);
  double seconds = 0;
  for (const auto p : parts) {
    if (p.empty() || p.find('.') != std::string_view::npos) {
      fail(what, text, "is not [D-]HH:MM:SS", line);
    }
    seconds = seconds * 60 + number(p, what, line);
  }
  return days * 86400 + seconds;
}

}  // namespace slurm_exporter::slurm::cli::acct
