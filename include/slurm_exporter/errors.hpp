// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace slurm_exporter {

/// A bad flag or flag value; main prints it with the usage and exits 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Text from a Slurm command or a file that does not have the expected shape.
/// `line` is 1-based, 0 when the error is not tied to one line.
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& what, std::size_t line = 0)
      : std::runtime_error(line ? what + " (line " + std::to_string(line) + ")" : what),
        line_(line) {}
  std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_;
};

/// A Slurm backend call failed (slurmctld down, RPC error, command failed).
/// `unreachable` says slurmctld could not be contacted at all, so further calls in the same
/// poll would only wait for the same failure.
class BackendError : public std::runtime_error {
 public:
  explicit BackendError(const std::string& what, bool unreachable = false)
      : std::runtime_error(what), unreachable_(unreachable) {}
  bool unreachable() const noexcept { return unreachable_; }

 private:
  bool unreachable_;
};

}  // namespace slurm_exporter
