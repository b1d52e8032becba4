// SPDX-License-Identifier: GPL-2.0-or-later
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"

using namespace slurm_exporter;
using namespace slurm_exporter::slurm;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SE_TEST_DATA_DIR) + "/slurm/fixtures/accounting/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const ShareRow& share(const std::vector<ShareRow>& rows, const std::string& account,
                      const std::string& user) {
  for (const auto& r : rows) {
    if (r.account == account && r.user == user) return r;
  }
  FAIL("no sshare row " << account << "/" << user);
  throw;
}

const Association& assoc(const std::vector<Association>& list, const std::string& account,
                         const std::string& user) {
  for (const auto& a : list) {
    if (a.account == account && a.user == user) return a;
  }
  FAIL("no association " << account << "/" << user);
  throw;
}

const TresLimit& tres(const std::vector<TresLimit>& list, const std::string& name) {
  for (const auto& t : list) {
    if (t.name == name) return t;
  }
  FAIL("no TRES " << name);
  throw;
}

const Qos& qos(const std::vector<Qos>& list, const std::string& name) {
  for (const auto& q : list) {
    if (q.name == name) return q;
  }
  FAIL("no QOS " << name);
  throw;
}

constexpr double kMiB = 1048576.0;

}  // namespace

TEST_CASE("sshare: the live tree with usage after the decay thread ran") {
  const auto data = cli::parse_sshare(fixture("sshare_fields.txt"));
  CHECK(data.parse_errors.empty());
  const auto& rows = data.rows;
  REQUIRE(rows.size() == 12);
  const auto& root = rows[0];
  CHECK(root.account == "root");
  CHECK(root.user.empty());
  CHECK(root.depth == 0);
  CHECK_FALSE(root.shares.raw_shares);
  CHECK(root.shares.raw_usage == 352);
  CHECK_FALSE(root.shares.norm_usage);
  CHECK(root.shares.effective_usage == 1.0);

  const auto& alice = share(rows, "astro", "alice");
  CHECK(alice.depth == 3);
  CHECK(alice.shares.raw_shares == 1);
  CHECK(alice.shares.norm_shares == Approx(0.5));
  CHECK(alice.shares.raw_usage == 77);
  CHECK(alice.shares.norm_usage == Approx(0.220963));
  CHECK(alice.shares.effective_usage == Approx(0.590908));
  CHECK(alice.shares.fairshare == Approx(0.428571));
  CHECK(alice.shares.level_fs == Approx(0.846155));

  const auto& astro = share(rows, "astro", "");
  CHECK(astro.depth == 2);
  CHECK(astro.shares.raw_shares == 40);
  CHECK_FALSE(astro.shares.fairshare);  // account lines have no FairShare

  // No usage yet: LevelFS is "inf".
  const auto& idle = share(rows, "chem", "alice");
  REQUIRE(idle.shares.level_fs);
  CHECK(std::isinf(*idle.shares.level_fs));
  CHECK(share(rows, "hep", "bob").shares.level_fs == Approx(14.000124));
}

TEST_CASE("sshare: -l output with its header gives the same rows") {
  const auto long_rows = cli::parse_sshare(fixture("sshare_all_long.txt")).rows;
  const auto rows = cli::parse_sshare(fixture("sshare_fields.txt")).rows;
  REQUIRE(long_rows.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(long_rows[i].account == rows[i].account);
    CHECK(long_rows[i].user == rows[i].user);
    CHECK(long_rows[i].shares.raw_usage == rows[i].shares.raw_usage);
  }
}

TEST_CASE("sshare: Fairshare=parent has no raw shares") {
  const auto rows = cli::parse_sshare(" a|u|parent|0.5|1|0.1|0.1|0.5|1.0\n").rows;
  REQUIRE(rows.size() == 1);
  CHECK_FALSE(rows[0].shares.raw_shares);
  CHECK(rows[0].depth == 1);
}

TEST_CASE("sshare: hostile input is a ParseError, never a number") {
  const char* bad[] = {
      " a|u|1|0.5|1|0.1|0.1|0.5\n",        // 8 fields
      " a|u|1|0.5|1|0.1|0.1|0.5|1.0|x\n",  // 10 without a header naming them
      " a|u|1|0.5|-1|0.1|0.1|0.5|1.0\n",   // negative
      " a|u|1|0.5|1|nan|0.1|0.5|1.0\n",    // nan
      " a|u|1|0.5|1|0.1|0.1|inf|1.0\n",    // inf only in LevelFS
      " a|u|1|0.5|1e9|0.1|0.1|0.5|1.0\n",  // exponent
      " a|u|1|0.5|1|0.1|0.1|0.5|1..0\n",   // junk
      "|u|1|0.5|1|0.1|0.1|0.5|1.0\n",      // no account
      " a |u|1|0.5|1|0.1|0.1|0.5|1.0\n",   // padded account
      "sshare: error: Problem talking to the database: Connection refused\n",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_THROWS_AS(cli::parse_sshare(text), ParseError);
  }
  CHECK(cli::parse_sshare("").rows.empty());
  CHECK(cli::parse_sshare("\n\n").rows.empty());
  // One bad line among good ones costs that line only, and says so.
  const auto mixed = cli::parse_sshare(
      " a|u|1|0.5|1|0.1|0.1|0.5|1.0\n b|v|1|0.5|-1|0.1|0.1|0.5|1.0\n "
      "c|w|1|0.5|2|0.1|0.1|0.5|1.0\n");
  REQUIRE(mixed.rows.size() == 2);
  CHECK(mixed.rows[1].account == "c");
  REQUIRE(mixed.parse_errors.size() == 1);
  CHECK(mixed.parse_errors[0].find("RawUsage") != std::string::npos);
  CHECK(mixed.parse_errors[0].find("b|v|") != std::string::npos);
}

TEST_CASE("assoc_mgr: limits and what running and pending jobs use of them") {
  const auto s = cli::parse_assoc_mgr(fixture("assoc_mgr.txt"));
  REQUIRE(s.associations.size() == 12);
  REQUIRE(s.qos.size() == 3);
  CHECK(s.users.empty());

  const auto& astro = assoc(s.associations, "astro", "");
  CHECK(astro.cluster == "testcluster");
  CHECK(astro.id == 4);
  CHECK(astro.parent == "physics");
  CHECK(astro.grp_jobs.max == 4);
  CHECK(astro.grp_jobs.used == 2);
  CHECK(astro.grp_submit_jobs.max == 12);
  CHECK(astro.grp_submit_jobs.used == 4);
  CHECK(tres(astro.grp_tres, "cpu").value.max == 8);
  CHECK(tres(astro.grp_tres, "cpu").value.used == 2);
  CHECK(tres(astro.grp_tres, "mem").value.max == 16000 * kMiB);
  CHECK(tres(astro.grp_tres, "mem").value.used == 700 * kMiB);
  CHECK(tres(astro.grp_tres, "gres/gpu").value.max == 2);
  CHECK(tres(astro.grp_tres, "gres/gpu").value.used == 2);
  CHECK_FALSE(tres(astro.grp_tres, "node").value.max);  // "N": no limit, not a huge number
  CHECK(astro.max_jobs.max == 3);
  CHECK(astro.max_submit_jobs.max == 10);
  CHECK(astro.max_wall_seconds == 7200);
  CHECK_FALSE(astro.grp_wall_minutes);
  CHECK(astro.shares.raw_shares == 40);
  CHECK(astro.shares.norm_shares == Approx(0.67));
  CHECK_FALSE(astro.shares.fairshare);

  const auto& alice = assoc(s.associations, "astro", "alice");
  CHECK(alice.is_default);
  CHECK(alice.id == 7);
  CHECK(alice.shares.fairshare == Approx(0.43));
  CHECK(alice.shares.raw_usage == Approx(77.99));
  CHECK_FALSE(alice.grp_jobs.max);
  CHECK(alice.grp_jobs.used == 1);

  const auto& carol_hep = assoc(s.associations, "hep", "carol");
  CHECK(tres(carol_hep.grp_tres, "cpu").value.max == 4);
  CHECK(carol_hep.max_jobs.max == 2);  // captured before the script gave carol MaxJobs=3 in hep
  CHECK_FALSE(assoc(s.associations, "hep", "carol").is_default);

  const auto& chem = assoc(s.associations, "chem", "");
  CHECK(tres(chem.grp_tres, "cpu").value.max == 2);
  CHECK(tres(chem.grp_tres, "cpu").value.used == 2);  // full: chem's second job pends
  CHECK(chem.grp_submit_jobs.max == 6);

  const auto& high = qos(s.qos, "high");
  CHECK(high.id == 2);
  CHECK(high.priority == 100);
  CHECK(tres(high.grp_tres, "cpu").value.max == 8);
  CHECK(high.max_wall_seconds == 3600);
  REQUIRE(high.users.size() == 1);
  CHECK(high.users[0].name == "1008");
  CHECK(high.users[0].max_jobs.max == 1);
  CHECK(high.users[0].max_jobs.used == 1);
  REQUIRE(high.accounts.size() == 1);
  CHECK(high.accounts[0].name == "hep");

  const auto& low = qos(s.qos, "low");
  CHECK(low.grp_jobs.max == 4);
  CHECK(low.priority == 10);
  CHECK(low.accounts.empty());
  CHECK(low.users.empty());
  CHECK(qos(s.qos, "normal").usage_raw > 0);
}

TEST_CASE("assoc_mgr: a cluster without accounting has nothing, and that is no error") {
  const auto s = cli::parse_assoc_mgr(fixture("assoc_mgr_no_accounting.txt"));
  CHECK(s.associations.empty());
  CHECK(s.qos.empty());
  CHECK(s.parse_errors.empty());
}

TEST_CASE("assoc_mgr: user records") {
  const auto s = cli::parse_assoc_mgr(fixture("assoc_mgr_users.txt"));
  REQUIRE(s.users.size() == 4);
  CHECK(s.users[0].name == "alice");
  CHECK(s.users[0].uid == 1006);
  CHECK(s.users[0].default_account == "astro");
  CHECK(s.users[3].name == "root");
  CHECK(s.users[3].admin_level == "Administrator");
}

TEST_CASE("assoc_mgr: hostile records are ParseErrors") {
  const std::string head = "Association Records\n\nClusterName=c Account=a UserName= ID=1\n";
  const char* bad_attrs[] = {
      "    GrpJobs=4\n",                            // no (used)
      "    GrpJobs=x(1)\n",                         // junk limit
      "    GrpJobs=N(-1)\n",                        // negative
      "    GrpTRES=cpu=N(1),mem\n",                 // TRES without '='
      "    GrpTRES=cpu=2(1),=3(1)\n",               // TRES without a name
      "    SharesRaw/Norm/Level/Factor=1/0.5/2\n",  // three of four numbers
      "    UsageRaw/Norm/Efctv=1/nan/1\n",
      "    ParentAccount=physics\n",  // no (id)
      "    Account Limits\n",         // not Key=value in an association
  };
  for (const char* attr : bad_attrs) {
    INFO(attr);
    CHECK_THROWS_AS(cli::parse_assoc_mgr(head + attr), ParseError);
  }
  CHECK_THROWS_AS(cli::parse_assoc_mgr("    GrpJobs=N(1)\n"), ParseError);  // no record
  // A bad record among good ones costs that record only.
  const auto one_bad =
      cli::parse_assoc_mgr(head + "    GrpJobs=x(1)\n    GrpSubmitJobs=N(1)\n" +
                           "ClusterName=c Account=b UserName= ID=2\n    GrpJobs=3(1)\n");
  REQUIRE(one_bad.associations.size() == 1);
  CHECK(one_bad.associations[0].account == "b");
  CHECK(one_bad.associations[0].grp_jobs.max == 3);
  REQUIRE(one_bad.parse_errors.size() == 1);
  CHECK(one_bad.parse_errors[0].find("GrpJobs") != std::string::npos);
  CHECK_THROWS_AS(cli::parse_assoc_mgr("Association Records\nQOS=normal(1)\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_assoc_mgr("QOS Records\nQOS=normal\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_assoc_mgr("User Records\nUserName=x(99999999999)\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_assoc_mgr("QOS Records\nQOS=n(1)\n    User Limits\n"
                                       "        MaxJobsPU=1(1)\n"),
                  ParseError);  // usage before a user
  // Unknown keys of other Slurm versions are ignored.
  const auto s = cli::parse_assoc_mgr(head + "    NewKey=whatever GrpJobs=5(1)\n");
  REQUIRE(s.associations.size() == 1);
  CHECK(s.associations[0].grp_jobs.max == 5);
  CHECK(cli::parse_assoc_mgr("").associations.empty());
}

TEST_CASE("sacctmgr show assoc: configured limits, mem in bytes") {
  const auto list = cli::parse_sacctmgr_assocs(fixture("sacctmgr_assoc.txt")).associations;
  REQUIRE(list.size() == 12);
  const auto& astro = assoc(list, "astro", "");
  CHECK(astro.parent == "physics");
  CHECK(astro.shares.raw_shares == 40);
  CHECK(astro.grp_jobs.max == 4);
  CHECK(astro.grp_submit_jobs.max == 12);
  CHECK(tres(astro.grp_tres, "cpu").value.max == 8);
  CHECK(tres(astro.grp_tres, "mem").value.max == 16000 * kMiB);
  CHECK(tres(astro.grp_tres, "gres/gpu").value.max == 2);
  CHECK(astro.max_jobs.max == 3);
  CHECK(astro.max_wall_seconds == 7200);
  const auto& bob = assoc(list, "astro", "bob");
  CHECK(bob.max_jobs.max == 1);
  CHECK(bob.max_submit_jobs.max == 4);
  CHECK_FALSE(assoc(list, "chem", "alice").grp_jobs.max);
  CHECK(assoc(list, "root", "").grp_tres.empty());
}

TEST_CASE("sacctmgr show qos: limits and priority") {
  const auto list = cli::parse_sacctmgr_qos(fixture("sacctmgr_qos.txt")).qos;
  REQUIRE(list.size() == 3);
  const auto& high = qos(list, "high");
  CHECK(high.priority == 100);
  CHECK(high.max_jobs_per_user == 1);
  CHECK(high.max_wall_seconds == 3600);
  CHECK(tres(high.grp_tres, "cpu").value.max == 8);
  const auto& low = qos(list, "low");
  CHECK(low.grp_jobs.max == 4);
  CHECK(low.max_submit_per_user == 10);
  REQUIRE(low.max_tres_per_user.size() == 1);
  CHECK(low.max_tres_per_user[0].value == 2);
  CHECK(low.usage_factor == 1.0);
  CHECK_FALSE(qos(list, "normal").grp_jobs.max);
}

TEST_CASE("sacctmgr: hostile rows") {
  CHECK_THROWS_AS(cli::parse_sacctmgr_assocs("c|a|u\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_assocs("c|a|||root|1|x|||||||||\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_assocs("c|a|||root|1||||1:2:3:4||||||\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_assocs("c|a|||root|1|||mem=5X|||||||\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_assocs("c||||root|1||||||||||\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_qos("q|1|2\n"), ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_qos("|1||||||||||\n"), ParseError);
  // -p's trailing '|' is accepted; GrpWall 1-00:00:00 is 1440 minutes; mem=2G is bytes.
  const auto a =
      cli::parse_sacctmgr_assocs("c|a|||root|parent|||mem=2G|1-00:00:00||||||\n").associations;
  REQUIRE(a.size() == 1);
  CHECK_FALSE(a[0].shares.raw_shares);
  CHECK(a[0].grp_wall_minutes == 1440);
  CHECK(a[0].grp_tres[0].value.max == 2048 * kMiB);
}

TEST_CASE("sacctmgr show stats: rollups and RPC tables") {
  const auto s = cli::parse_sacctmgr_stats(fixture("sacctmgr_stats.txt"));
  CHECK(s.since == 1796611842);
  REQUIRE(s.rollups.size() == 1);
  CHECK(s.rollups[0].interval == "internal");
  CHECK(s.rollups[0].cluster.empty());
  CHECK(s.rollups[0].last_ran == 1796611842);
  CHECK(s.rollups[0].last_cycle_us == 55);
  CHECK(s.rollups[0].total_cycles == 1);
  REQUIRE(s.by_type.size() >= 20);
  CHECK(s.by_type[0].name == "DBD_FINI");
  CHECK(s.by_type[0].id == 1401);
  CHECK(s.by_type[0].count == 75);
  CHECK(s.by_type[0].total_time_us == 64450);
  REQUIRE(s.by_user.size() == 1);
  CHECK(s.by_user[0].name == "root");
  CHECK(s.by_user[0].id == 0);
}

TEST_CASE("sacctmgr show stats: per-cluster rollups and hostile rows") {
  const std::string head = "Data since   Mon Dec 07 02:50:42 2026 (1796611842)\n";
  const auto s = cli::parse_sacctmgr_stats(
      head +
      "\nCluster 'testcluster' rollup statistics\n"
      "Hour  last ran Mon Dec 07 03:00:00 2026 (1796612400)\n\tLast cycle:   1200\n"
      "\tMax cycle:    5000\n\tTotal time:   9000\n\tTotal cycles: 3\n\tMean cycle:   3000\n"
      "Day   last ran Mon Dec 07 00:00:00 2026 (1796601600)\n\tLast cycle:   7\n");
  REQUIRE(s.rollups.size() == 2);
  CHECK(s.rollups[0].cluster == "testcluster");
  CHECK(s.rollups[0].interval == "Hour");
  CHECK(s.rollups[0].max_cycle_us == 5000);
  CHECK(s.rollups[1].interval == "Day");
  CHECK(s.rollups[1].last_cycle_us == 7);
  CHECK_THROWS_AS(cli::parse_sacctmgr_stats("Internal DBD rollup\n\tLast cycle: 1\n"),
                  ParseError);  // no Data since
  const std::string rpc = head + "Remote Procedure Call statistics by message type\n";
  // Bad RPC rows are left out and recorded.
  const auto rows = cli::parse_sacctmgr_stats(
      rpc + "\tDBD_FINI ( 1401) count:-1 total_time:1\n\tDBD_FINI 1401 count:1 total_time:1\n" +
      "\tDBD_FINI (1401) count:1\n\tDBD_GET_QOS ( 1448) count:2 ave_time:1 total_time:3\n");
  REQUIRE(rows.by_type.size() == 1);
  CHECK(rows.by_type[0].name == "DBD_GET_QOS");
  CHECK(rows.by_type[0].total_time_us == 3);
  CHECK(rows.parse_errors.size() == 3);
  CHECK_THROWS_AS(cli::parse_sacctmgr_stats(head + "\tLast cycle: 1\n"), ParseError);
  CHECK_THROWS_AS(
      cli::parse_sacctmgr_stats(head + "Internal DBD rollup last ran x (1)\n\tLast cycle: 1.5\n"),
      ParseError);
}

TEST_CASE("accounting text: numbers, walls and TRES") {
  namespace acct = cli::acct;
  CHECK(acct::number("0.396040", "x") == Approx(0.39604));
  CHECK(std::isinf(acct::number("inf", "x", true)));
  CHECK_THROWS_AS(acct::number("inf", "x"), ParseError);
  CHECK_THROWS_AS(acct::number("", "x"), ParseError);
  CHECK_THROWS_AS(acct::number(".", "x"), ParseError);
  CHECK_THROWS_AS(acct::number("+1", "x"), ParseError);
  CHECK_THROWS_AS(acct::number(std::string(400, '9'), "x"), ParseError);  // not finite
  CHECK(acct::wall_seconds("02:00:00", "x") == 7200);
  CHECK(acct::wall_seconds("3-01:00:00", "x") == 3 * 86400 + 3600);
  CHECK(acct::wall_seconds("30:00", "x") == 1800);
  CHECK_THROWS_AS(acct::wall_seconds("1:2:3:4", "x"), ParseError);
  CHECK_THROWS_AS(acct::wall_seconds("10", "x"), ParseError);
  CHECK_THROWS_AS(acct::wall_seconds("1::3", "x"), ParseError);
  const auto t = acct::tres_amounts("cpu=8,mem=512K,gres/gpu:a100=2", "x");
  REQUIRE(t.size() == 3);
  CHECK(t[1].value == 512 * 1024);
  CHECK(t[2].name == "gres/gpu:a100");
}

TEST_CASE("sacctmgr show stats: an epoch out of range (found by the fuzzer)") {
  CHECK_THROWS_AS(cli::parse_sacctmgr_stats("Data since x (17966118333333333333333333333342)\n"),
                  ParseError);
  CHECK_THROWS_AS(cli::parse_sacctmgr_stats("Data since x (1.5)\n"), ParseError);
}

TEST_CASE("dbd_msg_type_name: the names sacctmgr show stats printed for every captured id") {
  // The libslurm backend names slurmdbd's RPC types itself: it must agree with sacctmgr.
  const auto s = cli::parse_sacctmgr_stats(fixture("sacctmgr_stats.txt"));
  REQUIRE(s.by_type.size() >= 20);
  for (const auto& r : s.by_type) CHECK(dbd_msg_type_name(r.id, 2205) == r.name);
  CHECK(dbd_msg_type_name(1497, 2205) == "DBD_REMOVE_FEDERATIONS");
  CHECK(dbd_msg_type_name(7, 2205) == "7");
  // What later releases appended (slurmdbd_defs.h of 23.11.10 … 26.05.3; each release's live
  // sacctmgr output is checked in cli_versions_test).
  CHECK(dbd_msg_type_name(1501, 2311) == "DBD_ADD_ACCOUNTS_COND");
  CHECK(dbd_msg_type_name(1507, 2505) == "DBD_GET_ASSOC_NG_USAGE");
  CHECK(dbd_msg_type_name(6501, 2411) == "SLURM_PERSIST_INIT_TLS");
  // 26.05 renamed 1467 and gave its old name to a new id.
  CHECK(dbd_msg_type_name(1467, 2511) == "DBD_GOT_CONFIG");
  CHECK(dbd_msg_type_name(1508, 2511) == "1508");
  CHECK(dbd_msg_type_name(1467, 2605) == "DBD_GOT_CONFIG_KEYPAIRS");
  CHECK(dbd_msg_type_name(1508, 2605) == "DBD_GOT_CONFIG");
  CHECK(dbd_msg_type_name(1509, 2605) == "1509");
  // A label value names one id only, on every release.
  for (std::uint32_t release : {2205u, 2311u, 2411u, 2505u, 2511u, 2605u}) {
    std::set<std::string> names;
    for (std::uint32_t id = 1300; id < 1600; ++id) names.insert(dbd_msg_type_name(id, release));
    names.insert(dbd_msg_type_name(6500, release));
    names.insert(dbd_msg_type_name(6501, release));
    CHECK(names.size() == 302);
  }
}
