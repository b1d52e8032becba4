// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/user_names.hpp"

#include <pwd.h>

#include <utility>
#include <vector>

namespace slurm_exporter::slurm {

std::optional<std::string> passwd_name(std::uint32_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* result = nullptr;
  if (getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &result) == 0 && result) {
    return std::string(result->pw_name);
  }
  return std::nullopt;
}

UserNames::UserNames() : UserNames(passwd_name, [] { return std::chrono::steady_clock::now(); }) {}

UserNames::UserNames(Lookup lookup, Now now) : lookup_(std::move(lookup)), now_(std::move(now)) {}

const std::string& UserNames::name(std::uint32_t uid) {
  auto it = cache_.find(uid);
  if (it != cache_.end()) {
    if (it->second.found || now_() - it->second.looked_up < kRetryAfter) return it->second.text;
  } else {
    it = cache_.emplace(uid, Entry{}).first;
  }
  Entry& entry = it->second;
  entry.looked_up = now_();
  if (auto found = lookup_(uid)) {
    entry.text = std::move(*found);
    entry.found = true;
  } else {
    entry.text = std::to_string(uid);
  }
  return entry.text;
}

}  // namespace slurm_exporter::slurm
