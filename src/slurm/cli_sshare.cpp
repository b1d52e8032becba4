// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/detail/cli_fields.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

constexpr std::size_t kFields = 9;

// Without -n sshare starts with "Account|User|RawShares|…"; -l adds columns after LevelFS.
bool is_header(const std::vector<std::string_view>& f) {
  return f.size() >= kFields && f[0] == "Account" && f[1] == "User" && f[2] == "RawShares";
}

ShareRow row(const std::vector<std::string_view>& f) {
  ShareRow r;
  std::string_view account = f[0];
  while (!account.empty() && account.front() == ' ') {
    account.remove_prefix(1);
    ++r.depth;
  }
  if (account.empty() || text::trim(account) != account) {
    throw ParseError(fmt::format("account {} is empty or padded", text::quote(f[0])));
  }
  r.account = std::string(account);
  r.user = std::string(f[1]);
  Shares& s = r.shares;
  // RawShares is "parent" for an association with Fairshare=parent: no own shares.
  if (f[2] != "parent") s.raw_shares = acct::optional_number(f[2], "RawShares");
  s.norm_shares = acct::optional_number(f[3], "NormShares");
  s.raw_usage = acct::optional_number(f[4], "RawUsage");
  s.norm_usage = acct::optional_number(f[5], "NormUsage");
  s.effective_usage = acct::optional_number(f[6], "EffectvUsage");
  s.fairshare = acct::optional_number(f[7], "FairShare");
  s.level_fs = acct::optional_number(f[8], "LevelFS", true);
  return r;
}

}  // namespace

ShareData parse_sshare(std::string_view value) {
  ShareData data;
  std::size_t columns = kFields;
  bool first = true;
  detail::parse_lines(value, "sshare", data.parse_errors, [&](std::string_view line, std::size_t) {
    const auto f = acct::split(line, '|');
    const bool header = first && is_header(f);
    first = false;
    if (header) {
      columns = f.size();
      return;
    }
    if (f.size() != columns) {
      throw ParseError(fmt::format("{} fields instead of {}", f.size(), columns));
    }
    data.rows.push_back(row(f));
  });
  return data;
}

}  // namespace slurm_exporter::slurm::cli
