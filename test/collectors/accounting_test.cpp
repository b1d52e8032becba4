// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "slurm_exporter/collectors/accounting.hpp"
#include "slurm_exporter/metrics/exposition.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"

using namespace slurm_exporter;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(std::string(SE_TEST_DATA_DIR) + "/" + path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fixture(const std::string& name) { return read("slurm/fixtures/accounting/" + name); }

std::string render(const std::vector<metrics::Family>& f) {
  std::string out;
  metrics::write_text(f, out);
  return out;
}

// Compares with test/golden/<name>; SE_UPDATE_GOLDEN=1 rewrites the file instead.
void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(SE_TEST_DATA_DIR) + "/golden/" + name;
  if (std::getenv("SE_UPDATE_GOLDEN")) std::ofstream(path, std::ios::binary) << actual;
  CHECK(actual == read("golden/" + name));
}

const metrics::Family& family(const std::vector<metrics::Family>& fs, const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return f;
  }
  FAIL("no family " << name);
  throw;
}

// The value of the sample with these labels; nullopt when there is none.
std::optional<double> value(const std::vector<metrics::Family>& fs, const std::string& name,
                            const std::vector<std::string>& labels) {
  for (const auto& s : family(fs, name).samples) {
    if (s.label_values == labels) return s.value;
  }
  return std::nullopt;
}

constexpr double kMiB = 1048576.0;

}  // namespace

TEST_CASE("fairshare: accounts and user associations from the captured sshare") {
  auto shares = slurm::cli::parse_sshare(fixture("sshare_fields.txt"));
  shares.load_seconds = 0.007;
  shares.failed_loads = 2;
  const auto accounts = collectors::collect_fairshare(shares, false);
  const auto users = collectors::collect_fairshare(shares, true);
  // Values as sshare printed them (test/slurm/fixtures/accounting/sshare_fields.txt).
  CHECK(value(accounts, "slurm_fairshare_account_raw_usage", {"astro"}) == 131);
  CHECK(value(accounts, "slurm_fairshare_account_level_fs", {"hep"}) == Approx(0.72619));
  CHECK(value(accounts, "slurm_account_fairshare", {"physics"}) == Approx(0.594059));
  CHECK_FALSE(value(accounts, "slurm_fairshare_account_raw_shares", {"root"}));  // empty column
  CHECK(value(users, "slurm_fairshare_user_factor", {"hep", "carol"}) == Approx(0.142857));
  CHECK(value(users, "slurm_fairshare_user_factor", {"astro", "bob"}) == Approx(0.571429));
  CHECK(std::isinf(*value(users, "slurm_fairshare_user_level_fs", {"chem", "alice"})));
  CHECK(family(users, "slurm_fairshare_user_raw_usage").samples.size() == 7);  // root too
  // rivosinc's companions: milliseconds, failed loads, rows left out (none here).
  CHECK(value(accounts, "slurm_fairshare_scrape_duration", {}) == Approx(7));
  CHECK(value(accounts, "slurm_fairshare_scrape_error", {}) == 2);
  CHECK(value(accounts, "slurm_fairshare_collect_error", {}) == 0);
  const auto none = collectors::collect_fairshare(slurm::ShareData{}, false);
  CHECK(std::none_of(none.begin(), none.end(), [](const metrics::Family& f) {
    return f.name == "slurm_fairshare_scrape_error";
  }));
  CHECK(std::none_of(users.begin(), users.end(), [](const metrics::Family& f) {
    return f.name == "slurm_fairshare_scrape_duration";
  }));
  check_golden("fairshare.prom", render(accounts) + render(users));
}

TEST_CASE("limits: limits and use of the association manager, unlimited absent") {
  const auto state = slurm::cli::parse_assoc_mgr(fixture("assoc_mgr.txt"));
  collectors::LimitCounters c;
  c.load_milliseconds = 4;
  c.scrape_errors = 1;
  const auto accounts = collectors::collect_limits(state, false, c);
  const auto users = collectors::collect_limits(state, true, std::nullopt);
  // assoc_mgr.txt: astro GrpTRES=cpu=8(2),mem=16000(700),…,gres/gpu=2(2) GrpJobs=4(2).
  CHECK(value(accounts, "slurm_assoc_grp_tres_limit", {"astro", "cpu"}) == 8);
  CHECK(value(accounts, "slurm_assoc_grp_tres_used", {"astro", "cpu"}) == 2);
  CHECK(value(accounts, "slurm_assoc_grp_tres_limit", {"astro", "mem"}) == 16000 * kMiB);
  CHECK(value(accounts, "slurm_assoc_grp_tres_used", {"astro", "mem"}) == 700 * kMiB);
  CHECK(value(accounts, "slurm_assoc_grp_tres_used", {"astro", "gres/gpu"}) == 2);
  CHECK_FALSE(value(accounts, "slurm_assoc_grp_tres_limit", {"astro", "node"}));
  CHECK_FALSE(value(accounts, "slurm_assoc_grp_tres_used", {"astro", "energy"}));
  CHECK(value(accounts, "slurm_assoc_grp_jobs_limit", {"astro"}) == 4);
  CHECK(value(accounts, "slurm_assoc_grp_jobs_used", {"astro"}) == 2);
  CHECK_FALSE(value(accounts, "slurm_assoc_grp_jobs_limit", {"root"}));
  CHECK(value(accounts, "slurm_assoc_max_wall_seconds", {"astro"}) == 7200);
  // rivosinc's families: account associations, limits only, mem in bytes.
  CHECK(value(accounts, "slurm_account_cpu_limit", {"chem"}) == 2);
  CHECK(value(accounts, "slurm_account_mem_limit", {"hep"}) == 4000 * kMiB);
  CHECK(value(accounts, "slurm_account_job_alloc_limit", {"physics"}) == 8);
  CHECK(value(accounts, "slurm_account_job_limit", {"chem"}) == 6);
  CHECK_FALSE(value(accounts, "slurm_account_cpu_limit", {"root"}));
  CHECK(value(accounts, "slurm_limit_scrape_duration", {}) == 4);
  CHECK(value(accounts, "slurm_account_scrape_error", {}) == 1);
  // Users: bob's MaxJobs=1 in astro is full.
  CHECK(value(users, "slurm_user_assoc_max_jobs_limit", {"astro", "bob", ""}) == 1);
  CHECK(value(users, "slurm_user_assoc_max_jobs_used", {"astro", "bob", ""}) == 1);
  CHECK(value(users, "slurm_user_assoc_grp_tres_limit", {"hep", "carol", "", "cpu"}) == 4);
  check_golden("limits.prom", render(accounts) + render(users));
}

TEST_CASE("qos: limits, use and priority") {
  const auto state = slurm::cli::parse_assoc_mgr(fixture("assoc_mgr.txt"));
  const auto f = collectors::collect_qos(state);
  CHECK(value(f, "slurm_qos_priority", {"high"}) == 100);
  CHECK(value(f, "slurm_qos_grp_tres_limit", {"high", "cpu"}) == 8);
  CHECK(value(f, "slurm_qos_grp_tres_used", {"high", "cpu"}) == 1);
  CHECK(value(f, "slurm_qos_grp_jobs_limit", {"low"}) == 4);
  CHECK(value(f, "slurm_qos_max_wall_seconds", {"high"}) == 3600);
  CHECK_FALSE(value(f, "slurm_qos_grp_jobs_limit", {"normal"}));
  check_golden("qos.prom", render(f));
}

TEST_CASE("slurmdbd: statistics in seconds, down is slurm_slurmdbd_up 0") {
  const auto stats = slurm::cli::parse_sacctmgr_stats(fixture("sacctmgr_stats.txt"));
  const auto f = collectors::collect_slurmdbd(stats);
  CHECK(value(f, "slurm_slurmdbd_up", {}) == 1);
  CHECK(value(f, "slurm_slurmdbd_rpc_calls_total", {"DBD_FINI"}) == 75);
  CHECK(value(f, "slurm_slurmdbd_rpc_duration_seconds_total", {"DBD_FINI"}) == Approx(0.06445));
  CHECK(value(f, "slurm_slurmdbd_rollup_last_cycle_seconds", {"", "internal"}) == Approx(55e-6));
  CHECK(value(f, "slurm_slurmdbd_stats_since_timestamp_seconds", {}) == 1796611842);
  check_golden("slurmdbd.prom", render(f));
  slurm::DbdStats unreachable;
  unreachable.error = "Connection refused";
  const auto down = collectors::collect_slurmdbd(unreachable);
  REQUIRE(down.size() == 1);
  CHECK(value(down, "slurm_slurmdbd_up", {}) == 0);
}
