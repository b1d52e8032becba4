// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace slurm_exporter::slurm {

/// uid → user name through getpwuid_r (both backends use it, so they name users identically).
/// A name found is cached for the process' lifetime. A uid without a name is answered with its
/// decimal number (as squeue does) and looked up again after `kRetryAfter`: a lookup that fails
/// because NSS/LDAP is briefly down must not stick as the number. Not thread-safe: one
/// instance per backend thread.
class UserNames {
 public:
  /// The passwd lookup: the name, or nullopt when there is none (or the lookup failed).
  using Lookup = std::function<std::optional<std::string>(std::uint32_t uid)>;
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  /// How long a uid stays answered by its number before it is looked up again.
  static constexpr std::chrono::minutes kRetryAfter{5};

  /// getpwuid_r and the steady clock; tests inject both.
  UserNames();
  UserNames(Lookup lookup, Now now);

  /// The name of `uid`, or its decimal number when the passwd database has none (as squeue).
  const std::string& name(std::uint32_t uid);

 private:
  struct Entry {
    std::string text;
    bool found = false;
    std::chrono::steady_clock::time_point looked_up;
  };
  Lookup lookup_;
  Now now_;
  std::unordered_map<std::uint32_t, Entry> cache_;
};

/// getpwuid_r's name of `uid`, nullopt when it has none or fails.
std::optional<std::string> passwd_name(std::uint32_t uid);

}  // namespace slurm_exporter::slurm
