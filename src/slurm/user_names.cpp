// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/user_names.hpp"

#include <pwd.h>

#include <vector>

namespace slurm_exporter::slurm {

const std::string& UserNames::name(std::uint32_t uid) {
  if (auto it = cache_.find(uid); it != cache_.end()) return it->second;
  std::string text = std::to_string(uid);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* result = nullptr;
  if (getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &result) == 0 && result) {
    text = result->pw_name;
  }
  return cache_.emplace(uid, std::move(text)).first->second;
}

}  // namespace slurm_exporter::slurm
