// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/text.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"

namespace slurm_exporter::slurm::text {
namespace {

constexpr std::size_t kMaxQuotedBytes = 200;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_key_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9') || c == '_'; }

// The length of the "Key=" that starts at `at`, 0 when none does.
std::size_t key_length(std::string_view line, std::size_t at) {
  if (at >= line.size() || !is_key_start(line[at])) return 0;
  std::size_t i = at + 1;
  while (i < line.size() && is_key_char(line[i])) ++i;
  return i < line.size() && line[i] == '=' ? i + 1 - at : 0;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string quote(std::string_view text) {
  const bool cut = text.size() > kMaxQuotedBytes;
  if (cut) {
    std::size_t n = kMaxQuotedBytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
  }
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

std::uint64_t parse_u64(std::string_view text, std::string_view what, std::uint64_t max) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec == std::errc::result_out_of_range || (r.ec == std::errc() && r.ptr == end && v > max)) {
    throw ParseError(fmt::format("{} {} is out of range", what, quote(text)));
  }
  if (text.empty() || r.ec != std::errc() || r.ptr != end) {
    throw ParseError(fmt::format("{} {} is not a number", what, quote(text)));
  }
  return v;
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    throw ParseError(fmt::format("{} is out of range", what));
  }
  return out;
}

std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    throw ParseError(fmt::format("{} is out of range", what));
  }
  return out;
}

std::uint64_t binary_unit(char suffix, std::string_view what) {
  constexpr std::string_view kUnits = "KMGTPE";
  const auto at = kUnits.find(suffix);
  if (at == std::string_view::npos) {
    throw ParseError(fmt::format("{}: unknown unit {}", what, quote(std::string_view(&suffix, 1))));
  }
  return std::uint64_t{1} << (10 * (at + 1));
}

std::uint64_t parse_suffixed(std::string_view text, std::string_view what) {
  if (!text.empty() && (text.back() < '0' || text.back() > '9')) {
    const std::uint64_t unit = binary_unit(text.back(), what);
    const std::uint64_t n = parse_u64(text.substr(0, text.size() - 1), what);
    return checked_mul(n, unit, fmt::format("{} {}", what, quote(text)));
  }
  return parse_u64(text, what);
}

Fields::Fields(std::string_view line) {
  std::size_t at = 0;
  while (at < line.size() && line[at] == ' ') ++at;
  std::size_t key_len = key_length(line, at);
  while (key_len != 0) {
    // The value runs to the next " Key=" (or the end).
    std::size_t next = at + key_len, next_len = 0;
    while ((next = line.find(' ', next)) != std::string_view::npos) {
      if ((next_len = key_length(line, next + 1)) != 0) break;
      ++next;
    }
    const std::size_t value_at = at + key_len;
    const std::size_t value_end = next == std::string_view::npos ? line.size() : next;
    fields_.emplace_back(line.substr(at, key_len - 1),
                         trim(line.substr(value_at, value_end - value_at)));
    if (next == std::string_view::npos) break;
    at = next + 1;
    key_len = next_len;
  }
}

std::optional<std::string_view> Fields::find(std::string_view key) const {
  std::optional<std::string_view> out;
  for (const auto& [k, v] : fields_) {
    if (k != key) continue;
    if (out) {
      throw ParseError(
          fmt::format("{}= appears twice (a value holds text shaped like a field)", key));
    }
    out = v;
  }
  return out;
}

std::string_view Fields::required(std::string_view key) const {
  if (auto v = find(key)) return *v;
  throw ParseError(fmt::format("no {}=", key));
}

std::optional<std::int64_t> parse_local_time(std::string_view text) {
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator = i == 4 || i == 7 || i == 10 || i == 13 || i == 16;
    if (!separator && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  }
  const auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  tm.tm_isdst = -1;  // let the zone's rules decide, as Slurm's localtime_r output implies
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

}  // namespace slurm_exporter::slurm::text
