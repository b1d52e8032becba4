// SPDX-License-Identifier: GPL-2.0-or-later
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

enum class Section { kNone, kAssoc, kQos, kUsers };
enum class Holders { kNone, kAccounts, kUsers };

// SLURMDB_FS_USE_PARENT: SharesRaw of an association with Fairshare=parent.
constexpr double kFsUseParent = 2147483647.0;

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

// "Key=value Key2= Key3=a=b": space-separated; a value holds no space in this output.
Pairs pairs(std::string_view line) {
  Pairs out;
  for (const auto token : acct::split(text::trim(line), ' ')) {
    if (token.empty()) continue;
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw ParseError(fmt::format("{} is not Key=value", text::quote(token)));
    }
    out.emplace_back(token.substr(0, eq), token.substr(eq + 1));
  }
  return out;
}

// "alice(1006)" → {"alice", 1006}; "" → {"", 0}.
std::pair<std::string, std::uint32_t> name_and_id(std::string_view value, std::string_view what) {
  if (value.empty()) return {};
  const auto open = value.rfind('(');
  if (open == std::string_view::npos || open == 0 || value.back() != ')') {
    throw ParseError(fmt::format("{} {} is not NAME(ID)", what, text::quote(value)));
  }
  const double id = acct::number(value.substr(open + 1, value.size() - open - 2), what);
  if (id > 4294967295.0 || id != static_cast<double>(static_cast<std::uint32_t>(id))) {
    throw ParseError(fmt::format("{} id {} is out of range", what, text::quote(value)));
  }
  return {std::string(value.substr(0, open)), static_cast<std::uint32_t>(id)};
}

// "1/0.50/2/1.00", "29.00/1.00/1.00": exactly `count` numbers.
std::vector<double> slashed(std::string_view value, std::size_t count, std::string_view what) {
  const auto parts = acct::split(value, '/');
  if (parts.size() != count) {
    throw ParseError(fmt::format("{} {} needs {} numbers", what, text::quote(value), count));
  }
  std::vector<double> out;
  for (const auto p : parts) out.push_back(acct::number(p, what));
  return out;
}

// MaxTRESPJ and friends: "cpu=8" or, in some versions, "cpu=8(0)": the limits only.
std::vector<TresAmount> tres_maxima(std::string_view value, std::string_view what) {
  if (value.find('(') == std::string_view::npos) return acct::tres_amounts(value, what);
  std::vector<TresAmount> out;
  for (auto& t : acct::tres_limits(value, what)) {
    if (t.value.max) out.push_back({std::move(t.name), *t.value.max});
  }
  return out;
}

std::optional<double> minutes_to_seconds(std::optional<double> minutes) {
  if (minutes) *minutes *= 60;
  return minutes;
}

void assoc_header(Association& a, const Pairs& p) {
  for (const auto& [k, v] : p) {
    if (k == "ClusterName") {
      a.cluster = v;
    } else if (k == "Account") {
      a.account = v;
    } else if (k == "UserName") {
      a.user = name_and_id(v, "UserName").first;
    } else if (k == "Partition") {
      a.partition = v;
    } else if (k == "ID") {
      a.id = name_and_id(fmt::format("x({})", v), "ID").second;
    }
  }
  if (a.account.empty()) {
    throw ParseError("association record without Account=");
  }
}

void assoc_attr(Association& a, std::string_view k, std::string_view v) {
  if (k == "SharesRaw/Norm/Level/Factor") {
    const auto s = slashed(v, 4, k);
    if (s[0] != kFsUseParent) a.shares.raw_shares = s[0];
    a.shares.norm_shares = s[1];
    if (!a.user.empty()) a.shares.fairshare = s[3];
  } else if (k == "UsageRaw/Norm/Efctv") {
    const auto s = slashed(v, 3, k);
    a.shares.raw_usage = s[0];
    a.shares.norm_usage = s[1];
    a.shares.effective_usage = s[2];
  } else if (k == "ParentAccount") {
    a.parent = v.empty() ? std::string() : name_and_id(v, k).first;
  } else if (k == "DefAssoc") {
    a.is_default = v == "Yes";
  } else if (k == "GrpJobs") {
    a.grp_jobs = acct::limit(v, k);
  } else if (k == "GrpSubmitJobs") {
    a.grp_submit_jobs = acct::limit(v, k);
  } else if (k == "GrpWall") {
    a.grp_wall_minutes = acct::limit(v, k).max;
  } else if (k == "GrpTRES") {
    a.grp_tres = acct::tres_limits(v, k);
  } else if (k == "MaxJobs") {
    a.max_jobs = acct::limit(v, k);
  } else if (k == "MaxSubmitJobs") {
    a.max_submit_jobs = acct::limit(v, k);
  } else if (k == "MaxWallPJ") {
    a.max_wall_seconds = minutes_to_seconds(acct::optional_number(v, k));
  } else if (k == "MaxTRESPJ") {
    a.max_tres_per_job = tres_maxima(v, k);
  } else if (k == "MaxTRESPN") {
    a.max_tres_per_node = tres_maxima(v, k);
  }
}

void qos_attr(Qos& q, std::string_view k, std::string_view v) {
  if (k == "UsageRaw") {
    q.usage_raw = acct::optional_number(v, k);
  } else if (k == "GrpJobs") {
    q.grp_jobs = acct::limit(v, k);
  } else if (k == "GrpSubmitJobs") {
    q.grp_submit_jobs = acct::limit(v, k);
  } else if (k == "GrpWall") {
    q.grp_wall_minutes = acct::limit(v, k).max;
  } else if (k == "GrpTRES") {
    q.grp_tres = acct::tres_limits(v, k);
  } else if (k == "MaxWallPJ") {
    q.max_wall_seconds = minutes_to_seconds(acct::optional_number(v, k));
  } else if (k == "MaxTRESPJ") {
    q.max_tres_per_job = tres_maxima(v, k);
  } else if (k == "Priority") {
    q.priority = acct::optional_number(v, k);
  }
}

void holder_attr(QosHolderUse& h, std::string_view k, std::string_view v) {
  if (k == "MaxJobsPA" || k == "MaxJobsPU") {
    h.max_jobs = acct::limit(v, k);
  } else if (k == "MaxSubmitJobsPA" || k == "MaxSubmitJobsPU") {
    h.max_submit_jobs = acct::limit(v, k);
  } else if (k == "MaxTRESPA" || k == "MaxTRESPU") {
    h.max_tres = acct::tres_limits(v, k);
  }
}

AccountingUser user_record(const Pairs& p) {
  AccountingUser u;
  for (const auto& [k, v] : p) {
    if (k == "UserName") {
      auto [name, uid] = name_and_id(v, k);
      u.name = std::move(name);
      u.uid = uid;
    } else if (k == "DefAccount") {
      u.default_account = v;
    } else if (k == "AdminLevel") {
      u.admin_level = v;
    }
  }
  if (u.name.empty()) throw ParseError("user record without a name");
  return u;
}

class Reader {
 public:
  void line(std::string_view line, std::size_t n) {
    try {
      dispatch(line);
    } catch (const ParseError& e) {
      if (!first_)
        first_.emplace(fmt::format("{}: {}: {}", kSource, e.what(), text::quote(line)), n);
      state_.parse_errors.push_back(
          fmt::format("{}: {}: {}", kSource, text::quote(line), e.what()));
      drop_record();
    }
  }

  AccountingState take() {
    const bool none = state_.associations.empty() && state_.qos.empty() && state_.users.empty();
    if (none && first_) throw *first_;
    return std::move(state_);
  }

 private:
  static constexpr std::string_view kSource = "scontrol show assoc_mgr";
  enum class Record { kNone, kAssoc, kQos, kUser, kSkipped };

  void dispatch(std::string_view line) {
    const std::string_view t = text::trim(line);
    if (t == "Current Association Manager state") return;
    // A cluster without slurmdbd: "No associations currently cached in Slurm." (QOS, users).
    if (t.starts_with("No ") && t.ends_with(" currently cached in Slurm.")) return;
    if (t == "Association Records") return enter(Section::kAssoc);
    if (t == "QOS Records") return enter(Section::kQos);
    if (t == "User Records") return enter(Section::kUsers);
    if (line.front() != ' ' && line.front() != '\t') return record(line);
    switch (record_) {
      case Record::kSkipped:
        return;  // the rest of a record already left out
      case Record::kQos:
        return qos_line(t);
      case Record::kAssoc:
        for (const auto& [k, v] : pairs(t)) assoc_attr(state_.associations.back(), k, v);
        return;
      default:
        throw ParseError("a record line outside a record");
    }
  }

  void drop_record() {
    if (record_ == Record::kAssoc) state_.associations.pop_back();
    if (record_ == Record::kQos) state_.qos.pop_back();
    if (record_ == Record::kUser) state_.users.pop_back();
    record_ = Record::kSkipped;
  }

  void enter(Section s) {
    section_ = s;
    record_ = Record::kNone;
    holders_ = Holders::kNone;
  }

  void record(std::string_view line) {
    record_ = Record::kSkipped;  // until the header parsed
    holders_ = Holders::kNone;
    const auto p = pairs(line);
    if (section_ == Section::kAssoc && p.front().first == "ClusterName") {
      Association a;
      assoc_header(a, p);
      state_.associations.push_back(std::move(a));
      record_ = Record::kAssoc;
    } else if (section_ == Section::kQos && p.front().first == "QOS") {
      auto [name, id] = name_and_id(p.front().second, "QOS");
      Qos q;
      q.name = std::move(name);
      q.id = id;
      state_.qos.push_back(std::move(q));
      record_ = Record::kQos;
    } else if (section_ == Section::kUsers && p.front().first == "UserName") {
      state_.users.push_back(user_record(p));
      record_ = Record::kUser;
    } else {
      throw ParseError("not a record of this section");
    }
  }

  void qos_line(std::string_view t) {
    Qos& q = state_.qos.back();
    if (t == "Account Limits") {
      holders_ = Holders::kAccounts;
    } else if (t == "User Limits") {
      holders_ = Holders::kUsers;
    } else if (t == "No Accounts" || t == "No Users") {
    } else if (holders_ != Holders::kNone && t.find('=') == std::string_view::npos) {
      if (t.find(' ') != std::string_view::npos) {
        throw ParseError(fmt::format("{} is not a name", text::quote(t)));
      }
      auto& list = holders_ == Holders::kAccounts ? q.accounts : q.users;
      list.push_back({std::string(t), {}, {}, {}});
    } else if (holders_ != Holders::kNone) {
      auto& list = holders_ == Holders::kAccounts ? q.accounts : q.users;
      if (list.empty()) throw ParseError("limits before an account or user name");
      for (const auto& [k, v] : pairs(t)) holder_attr(list.back(), k, v);
    } else {
      for (const auto& [k, v] : pairs(t)) qos_attr(q, k, v);
    }
  }

  AccountingState state_;
  Section section_ = Section::kNone;
  Record record_ = Record::kNone;
  Holders holders_ = Holders::kNone;
  std::optional<ParseError> first_;
};

}  // namespace

AccountingState parse_assoc_mgr(std::string_view value) {
  Reader r;
  text::for_each_line(value, [&](std::string_view line, std::size_t n) { r.line(line, n); });
  return r.take();
}

}  // namespace slurm_exporter::slurm::cli
