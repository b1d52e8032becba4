// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>
#include <utility>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

enum class Section { kNone, kAssoc, kQos, kUsers };
enum class Holders { kNone, kAccounts, kUsers };

// SLURMDB_FS_USE_PARENT: SharesRaw of an association with Fairshare=parent.
constexpr double kFsUseParent = 2147483647.0;

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

// "Key=value Key2= Key3=a=b": space-separated; a value holds no space in this output.
Pairs pairs(std::string_view line, std::size_t number) {
  Pairs out;
  for (const auto token : acct::split(acct::trim(line), ' ')) {
    if (token.empty()) continue;
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw ParseError(fmt::format("scontrol show assoc_mgr: {} is not Key=value in {}",
                                   quote(token), quote(line)),
                       number);
    }
    out.emplace_back(token.substr(0, eq), token.substr(eq + 1));
  }
  return out;
}

// "alice(1006)" → {"alice", 1006}; "" → {"", 0}.
std::pair<std::string, std::uint32_t> name_and_id(std::string_view text, std::string_view what,
                                                  std::size_t number) {
  if (text.empty()) return {};
  const auto open = text.rfind('(');
  if (open == std::string_view::npos || open == 0 || text.back() != ')') {
    throw ParseError(
        fmt::format("scontrol show assoc_mgr: {} {} is not NAME(ID)", what, quote(text)), number);
  }
  const double id = acct::number(text.substr(open + 1, text.size() - open - 2), what, number);
  if (id > 4294967295.0 || id != static_cast<double>(static_cast<std::uint32_t>(id))) {
    throw ParseError(
        fmt::format("scontrol show assoc_mgr: {} id {} is out of range", what, quote(text)),
        number);
  }
  return {std::string(text.substr(0, open)), static_cast<std::uint32_t>(id)};
}

// "1/0.50/2/1.00", "29.00/1.00/1.00": exactly `count` numbers.
std::vector<double> slashed(std::string_view text, std::size_t count, std::string_view what,
                            std::size_t number) {
  const auto parts = acct::split(text, '/');
  if (parts.size() != count) {
    throw ParseError(
        fmt::format("scontrol show assoc_mgr: {} {} needs {} numbers", what, quote(text), count),
        number);
  }
  std::vector<double> out;
  for (const auto p : parts) out.push_back(acct::number(p, what, number));
  return out;
}

// MaxTRESPJ and friends: "cpu=8" or, in some versions, "cpu=8(0)": the limits only.
std::vector<TresAmount> tres_maxima(std::string_view text, std::string_view what,
                                    std::size_t number) {
  if (text.find('(') == std::string_view::npos) return acct::tres_amounts(text, what, number);
  std::vector<TresAmount> out;
  for (auto& t : acct::tres_limits(text, what, number)) {
    if (t.value.max) out.push_back({std::move(t.name), *t.value.max});
  }
  return out;
}

std::optional<double> minutes_to_seconds(std::optional<double> minutes) {
  if (minutes) *minutes *= 60;
  return minutes;
}

void assoc_header(Association& a, const Pairs& p, std::size_t n) {
  for (const auto& [k, v] : p) {
    if (k == "ClusterName") {
      a.cluster = v;
    } else if (k == "Account") {
      a.account = v;
    } else if (k == "UserName") {
      a.user = name_and_id(v, "UserName", n).first;
    } else if (k == "Partition") {
      a.partition = v;
    } else if (k == "ID") {
      a.id = name_and_id(fmt::format("x({})", v), "ID", n).second;
    }
  }
  if (a.account.empty()) {
    throw ParseError("scontrol show assoc_mgr: association record without Account=", n);
  }
}

void assoc_attr(Association& a, std::string_view k, std::string_view v, std::size_t n) {
  if (k == "SharesRaw/Norm/Level/Factor") {
    const auto s = slashed(v, 4, k, n);
    if (s[0] != kFsUseParent) a.shares.raw_shares = s[0];
    a.shares.norm_shares = s[1];
    if (!a.user.empty()) a.shares.fairshare = s[3];
  } else if (k == "UsageRaw/Norm/Efctv") {
    const auto s = slashed(v, 3, k, n);
    a.shares.raw_usage = s[0];
    a.shares.norm_usage = s[1];
    a.shares.effective_usage = s[2];
  } else if (k == "ParentAccount") {
    a.parent = v.empty() ? std::string() : name_and_id(v, k, n).first;
  } else if (k == "DefAssoc") {
    a.is_default = v == "Yes";
  } else if (k == "GrpJobs") {
    a.grp_jobs = acct::limit(v, k, n);
  } else if (k == "GrpSubmitJobs") {
    a.grp_submit_jobs = acct::limit(v, k, n);
  } else if (k == "GrpWall") {
    a.grp_wall_minutes = acct::limit(v, k, n).max;
  } else if (k == "GrpTRES") {
    a.grp_tres = acct::tres_limits(v, k, n);
  } else if (k == "MaxJobs") {
    a.max_jobs = acct::limit(v, k, n);
  } else if (k == "MaxSubmitJobs") {
    a.max_submit_jobs = acct::limit(v, k, n);
  } else if (k == "MaxWallPJ") {
    a.max_wall_seconds = minutes_to_seconds(acct::optional_number(v, k, n));
  } else if (k == "MaxTRESPJ") {
    a.max_tres_per_job = tres_maxima(v, k, n);
  } else if (k == "MaxTRESPN") {
    a.max_tres_per_node = tres_maxima(v, k, n);
  }
}

void qos_attr(Qos& q, std::string_view k, std::string_view v, std::size_t n) {
  if (k == "UsageRaw") {
    q.usage_raw = acct::optional_number(v, k, n);
  } else if (k == "GrpJobs") {
    q.grp_jobs = acct::limit(v, k, n);
  } else if (k == "GrpSubmitJobs") {
    q.grp_submit_jobs = acct::limit(v, k, n);
  } else if (k == "GrpWall") {
    q.grp_wall_minutes = acct::limit(v, k, n).max;
  } else if (k == "GrpTRES") {
    q.grp_tres = acct::tres_limits(v, k, n);
  } else if (k == "MaxWallPJ") {
    q.max_wall_seconds = minutes_to_seconds(acct::optional_number(v, k, n));
  } else if (k == "MaxTRESPJ") {
    q.max_tres_per_job = tres_maxima(v, k, n);
  } else if (k == "Priority") {
    q.priority = acct::optional_number(v, k, n);
  }
}

void holder_attr(QosHolderUse& h, std::string_view k, std::string_view v, std::size_t n) {
  if (k == "MaxJobsPA" || k == "MaxJobsPU") {
    h.max_jobs = acct::limit(v, k, n);
  } else if (k == "MaxSubmitJobsPA" || k == "MaxSubmitJobsPU") {
    h.max_submit_jobs = acct::limit(v, k, n);
  } else if (k == "MaxTRESPA" || k == "MaxTRESPU") {
    h.max_tres = acct::tres_limits(v, k, n);
  }
}

AccountingUser user_record(const Pairs& p, std::size_t n) {
  AccountingUser u;
  for (const auto& [k, v] : p) {
    if (k == "UserName") {
      auto [name, uid] = name_and_id(v, k, n);
      u.name = std::move(name);
      u.uid = uid;
    } else if (k == "DefAccount") {
      u.default_account = v;
    } else if (k == "AdminLevel") {
      u.admin_level = v;
    }
  }
  if (u.name.empty()) throw ParseError("scontrol show assoc_mgr: user record without a name", n);
  return u;
}

class Reader {
 public:
  void line(std::string_view line, std::size_t n) {
    const std::string_view t = acct::trim(line);
    if (t == "Current Association Manager state") return;
    if (t == "Association Records") return enter(Section::kAssoc);
    if (t == "QOS Records") return enter(Section::kQos);
    if (t == "User Records") return enter(Section::kUsers);
    const bool indented = line.front() == ' ' || line.front() == '\t';
    if (!indented) return record(line, n);
    if (section_ == Section::kQos && !state_.qos.empty()) return qos_line(t, n);
    if (section_ == Section::kAssoc && !state_.associations.empty()) {
      for (const auto& [k, v] : pairs(t, n)) assoc_attr(state_.associations.back(), k, v, n);
      return;
    }
    throw ParseError(fmt::format("scontrol show assoc_mgr: {} outside a record", quote(line)), n);
  }

  AssocMgrState take() { return std::move(state_); }

 private:
  void enter(Section s) {
    section_ = s;
    holders_ = Holders::kNone;
  }

  void record(std::string_view line, std::size_t n) {
    const auto p = pairs(line, n);
    holders_ = Holders::kNone;
    if (section_ == Section::kAssoc && p.front().first == "ClusterName") {
      assoc_header(state_.associations.emplace_back(), p, n);
    } else if (section_ == Section::kQos && p.front().first == "QOS") {
      auto [name, id] = name_and_id(p.front().second, "QOS", n);
      Qos& q = state_.qos.emplace_back();
      q.name = std::move(name);
      q.id = id;
    } else if (section_ == Section::kUsers && p.front().first == "UserName") {
      state_.users.push_back(user_record(p, n));
    } else {
      throw ParseError(fmt::format("scontrol show assoc_mgr: unexpected record {}", quote(line)),
                       n);
    }
  }

  void qos_line(std::string_view t, std::size_t n) {
    Qos& q = state_.qos.back();
    if (t == "Account Limits") {
      holders_ = Holders::kAccounts;
    } else if (t == "User Limits") {
      holders_ = Holders::kUsers;
    } else if (t == "No Accounts" || t == "No Users") {
    } else if (holders_ != Holders::kNone && t.find('=') == std::string_view::npos) {
      if (t.find(' ') != std::string_view::npos) {
        throw ParseError(fmt::format("scontrol show assoc_mgr: {} is not a name", quote(t)), n);
      }
      auto& list = holders_ == Holders::kAccounts ? q.accounts : q.users;
      list.push_back({std::string(t), {}, {}, {}});
    } else if (holders_ != Holders::kNone) {
      auto& list = holders_ == Holders::kAccounts ? q.accounts : q.users;
      if (list.empty()) {
        throw ParseError(fmt::format("scontrol show assoc_mgr: {} before a name", quote(t)), n);
      }
      for (const auto& [k, v] : pairs(t, n)) holder_attr(list.back(), k, v, n);
    } else {
      for (const auto& [k, v] : pairs(t, n)) qos_attr(q, k, v, n);
    }
  }

  AssocMgrState state_;
  Section section_ = Section::kNone;
  Holders holders_ = Holders::kNone;
};

}  // namespace

AssocMgrState parse_assoc_mgr(std::string_view text) {
  Reader r;
  acct::for_each_line(text, [&](std::string_view line, std::size_t n) { r.line(line, n); });
  return r.take();
}

}  // namespace slurm_exporter::slurm::cli
