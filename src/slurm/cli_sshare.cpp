// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

constexpr std::size_t kFields = 9;

// Without -n sshare starts with "Account|User|RawShares|…"; -l adds columns after LevelFS.
bool is_header(const std::vector<std::string_view>& f) {
  return f.size() >= kFields && f[0] == "Account" && f[1] == "User" && f[2] == "RawShares";
}

ShareRow row(const std::vector<std::string_view>& f, std::size_t line) {
  ShareRow r;
  std::string_view account = f[0];
  while (!account.empty() && account.front() == ' ') {
    account.remove_prefix(1);
    ++r.depth;
  }
  if (account.empty() || acct::trim(account) != account) {
    throw ParseError(fmt::format("sshare: account {} is empty or padded", quote(f[0])), line);
  }
  r.account = std::string(account);
  r.user = std::string(f[1]);
  Shares& s = r.shares;
  // RawShares is "parent" for an association with Fairshare=parent: no own shares.
  if (f[2] != "parent") s.raw_shares = acct::optional_number(f[2], "sshare: RawShares", line);
  s.norm_shares = acct::optional_number(f[3], "sshare: NormShares", line);
  s.raw_usage = acct::optional_number(f[4], "sshare: RawUsage", line);
  s.norm_usage = acct::optional_number(f[5], "sshare: NormUsage", line);
  s.effective_usage = acct::optional_number(f[6], "sshare: EffectvUsage", line);
  s.fairshare = acct::optional_number(f[7], "sshare: FairShare", line);
  s.level_fs = acct::optional_number(f[8], "sshare: LevelFS", line, true);
  return r;
}

}  // namespace

std::vector<ShareRow> parse_sshare(std::string_view text) {
  std::vector<ShareRow> rows;
  std::size_t columns = kFields;
  bool first = true;
  acct::for_each_line(text, [&](std::string_view line, std::size_t number) {
    const auto f = acct::split(line, '|');
    if (first && is_header(f)) {
      columns = f.size();
      first = false;
      return;
    }
    first = false;
    if (f.size() != columns) {
      throw ParseError(
          fmt::format("sshare: {} fields instead of {} in {}", f.size(), columns, quote(line)),
          number);
    }
    rows.push_back(row(f, number));
  });
  return rows;
}

}  // namespace slurm_exporter::slurm::cli
