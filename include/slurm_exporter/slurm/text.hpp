// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The small text toolkit every parser of Slurm's command output shares: lines, blanks,
/// strict numbers, units, `scontrol -o` fields, quoting for errors, local times. Pure.
namespace slurm_exporter::slurm::text {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;

/// `s` without spaces, tabs and carriage returns at either end.
std::string_view trim(std::string_view s);

/// Calls f(line, number) for every line of `text` that holds more than blanks: number is
/// 1-based (blank lines count), the line has no "\n" or "\r\n", the last one may lack its
/// newline.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    f(line, number);
  }
}

/// Text as it goes into an error message: in double quotes, at most 200 bytes (cut on a UTF-8
/// boundary, then "..."), control bytes, quotes and backslashes escaped.
std::string quote(std::string_view text);

/// A plain decimal number (digits only: no sign, blank or junk) no greater than `max`. Throws
/// ParseError "<what> "<text>" is not a number" or "… is out of range".
std::uint64_t parse_u64(std::string_view text, std::string_view what,
                        std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

/// parse_u64 into a narrower unsigned type, with its range.
template <std::unsigned_integral T>
T parse_uint(std::string_view text, std::string_view what) {
  return static_cast<T>(parse_u64(text, what, std::numeric_limits<T>::max()));
}

/// a × b; throws ParseError "<what> is out of range" when it does not fit.
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what);

/// a + b; throws ParseError "<what> is out of range" when it does not fit.
std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what);

/// The factor of a binary unit suffix as Slurm prints them: K = 1024, M, G, T, P, E the next
/// powers. Throws ParseError naming the suffix for anything else.
std::uint64_t binary_unit(char suffix, std::string_view what);

/// A count or size as Slurm prints it, with an optional binary unit suffix ("4", "2K" = 2048,
/// "4G"): the number times the unit. Throws ParseError on junk, an unknown suffix or overflow.
std::uint64_t parse_suffixed(std::string_view text, std::string_view what);

/// The fields of one `scontrol -o show …` line: "Key=value Key=value …". A field starts at the
/// line's start or after a space, with a key of letters, digits and '_' (first a letter)
/// followed by '=': so a value may hold spaces ("OS=Linux 6.1.0 #1 SMP PREEMPT_DYNAMIC
/// Debian …" is one field) and '=' not after a space ("CfgTRES=cpu=1,mem=1G").
class Fields {
 public:
  explicit Fields(std::string_view line);

  /// The value of `key` (without '='); nullopt when absent. Throws ParseError when the key
  /// appears twice: some value then holds text shaped like a field, and which one is Slurm's
  /// is not knowable.
  std::optional<std::string_view> find(std::string_view key) const;

  /// find(key), or "" when absent.
  std::string_view get(std::string_view key) const { return find(key).value_or(""); }

  /// find(key); throws ParseError "no <key>=" when absent.
  std::string_view required(std::string_view key) const;

 private:
  std::vector<std::pair<std::string_view, std::string_view>> fields_;
};

/// "YYYY-MM-DDTHH:MM:SS" in local time (what Slurm prints with SLURM_TIME_FORMAT=standard) as
/// unix seconds via mktime (tm_isdst=-1, the instant libslurm's time_t holds): the zone is the
/// process's TZ (else /etc/localtime), the one the CLI backend gives the commands. nullopt when
/// the text is not such a time.
std::optional<std::int64_t> parse_local_time(std::string_view text);

}  // namespace slurm_exporter::slurm::text
