// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace slurm_exporter::log {

/// Severity, lowest first.
enum class Level { kDebug, kInfo, kWarn, kError };

/// Sets the lowest level that is written. Thread-safe.
void set_level(Level level);

/// Current threshold.
Level level();

/// "debug", "info", "warn" or "error".
std::string_view level_name(Level level);

/// Parses debug|info|warn|error (also "warning"); throws ConfigError otherwise.
Level parse_level(std::string_view text);

using Field = std::pair<std::string_view, std::string_view>;

/// Writes one logfmt line to stderr: `ts=… level=info msg="…" key=value …`.
/// Values are quoted when they contain spaces, quotes, '=' or control characters.
/// Thread-safe: each line is written with one call.
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

/// The line write() would emit, without the timestamp: `level=info msg="…" key=value\n`.
std::string format(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, m, f);
}

}  // namespace slurm_exporter::log
