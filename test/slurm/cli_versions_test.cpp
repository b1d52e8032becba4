// SPDX-License-Identifier: GPL-2.0-or-later
// The CLI backend's parsers on the output of every Slurm release's commands: the fixtures in
// test/slurm/fixtures/versions/<release>/ were captured from a live cluster of that release with
// the integration suite's workload (test/integration/conftest.py; test_capture_fixtures.py made
// them, COMMANDS.md says how). The expected values below come from that workload's definition
// (what it submits, drains and reserves), not from the parsers.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

#include "slurm_exporter/slurm/accounting.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/controller_parse.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/sdiag_parse.hpp"

namespace fs = std::filesystem;
using namespace slurm_exporter::slurm;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> release_dirs() {
  std::vector<fs::path> out;
  const fs::path root = fs::path(SE_TEST_DATA_DIR) / "slurm/fixtures/versions";
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Node& node(const NodeData& d, const std::string& name) {
  const auto it =
      std::find_if(d.nodes.begin(), d.nodes.end(), [&](const Node& n) { return n.name == name; });
  REQUIRE(it != d.nodes.end());
  return *it;
}

}  // namespace

TEST_CASE("every captured Slurm release's command output parses to the workload's values") {
  const auto dirs = release_dirs();
  REQUIRE(!dirs.empty());
  for (const fs::path& dir : dirs) {
    const std::string release = dir.filename().string();  // "26.05"
    INFO("release " << release);
    const auto f = [&](const char* name) { return read(dir / name); };

    CHECK(cli::parse_version(f("sinfo_version.txt")).starts_with(release + "."));

    // Nodes: node1..node5 with a slurmd, node6 never started (SLURM_TEST_DEAD_NODES=1).
    const NodeData nodes = cli::parse_sinfo_nodes(f("sinfo_nodes.txt"), f("sinfo_partitions.txt"));
    CHECK(nodes.parse_errors.empty());
    CHECK(nodes.nodes.size() == 6);
    CHECK(node(nodes, "node1").state_name == "allocated");  // two jobs use its 4 CPUs
    CHECK(node(nodes, "node1").alloc_cpus == 4);
    CHECK(node(nodes, "node2").state_name == "draining");  // drained while GPU jobs run
    CHECK(node(nodes, "node2").reason == "gpu swap");
    CHECK(node(nodes, "node3").state_name == "drained$");  // in the maintenance reservation
    CHECK(node(nodes, "node4").state_name == "mixed");
    CHECK(node(nodes, "node4").cpus == 8);
    CHECK(node(nodes, "node4").alloc_cpus == 7);
    CHECK(node(nodes, "node4").real_memory_bytes == 16000ull * 1024 * 1024);
    CHECK(node(nodes, "node5").state_name == "down*");
    CHECK(node(nodes, "node6").free_memory_bytes == 0);  // N/A: never had a slurmd
    CHECK(total_of(node(nodes, "node1").gres, "gpu") == 4);
    CHECK(total_of(node(nodes, "node2").gres, "gpu") == 4);
    CHECK(total_of(node(nodes, "node2").gres_used, "gpu") == 4);
    CHECK(node(nodes, "node4").partitions.size() == 2);

    // The cli backend's own node source (scontrol show node / partition, sinfo only without a
    // scontrol) gives the same nodes as sinfo on every release, plus the architecture.
    const NodeData sc =
        cli::parse_scontrol_nodes(f("scontrol_nodes.txt"), f("scontrol_partitions.txt"));
    CHECK(sc.parse_errors.empty());
    REQUIRE(sc.nodes.size() == nodes.nodes.size());
    for (const Node& want : nodes.nodes) {
      const Node& got = node(sc, want.name);
      INFO("node " << want.name);
      CHECK(got.state_name == want.state_name);
      CHECK(got.cpus == want.cpus);
      CHECK(got.alloc_cpus == want.alloc_cpus);
      CHECK(got.real_memory_bytes == want.real_memory_bytes);
      CHECK(got.reason == want.reason);
      CHECK(got.partitions == want.partitions);
      CHECK(total_of(got.gres, "gpu") == total_of(want.gres, "gpu"));
      CHECK(total_of(got.gres_used, "gpu") == total_of(want.gres_used, "gpu"));
    }
    CHECK(node(sc, "node1").arch == "x86_64");
    CHECK(sc.partitions.size() == 2);

    // Jobs: 9 running (10 started, one requeued and held); pending: 2 for node1, 3 held, the
    // 5-task array, the begin-time job, the requeued-held job and 2 pending GPU jobs.
    const JobData jobs = cli::parse_squeue(f("squeue.txt"));
    CHECK(jobs.parse_errors.empty());
    std::map<std::string, std::uint32_t> by_state;
    for (const Job& j : jobs.jobs) by_state[j.state] += j.task_count;
    CHECK(by_state["RUNNING"] == 9);
    CHECK(by_state["PENDING"] == 14);
    CHECK(std::any_of(jobs.jobs.begin(), jobs.jobs.end(),
                      [](const Job& j) { return j.user == "slurmtest"; }));
    // squeue prints the requeued-held job's free-text description ("job requeued in held
    // state") where other jobs have a reason code: the parser leaves that reason empty (the cli
    // backend asks squeue --json for its code), every other pending job keeps its code.
    std::size_t empty_reasons = 0;
    for (const Job& j : jobs.jobs) {
      if (j.state != "PENDING") continue;
      if (j.reason.empty()) {
        ++empty_reasons;
      } else {
        CHECK(is_job_reason_name(j.reason));
      }
    }
    CHECK(empty_reasons == 1);
    // GPUs asked: --gpus=3, --gpus-per-node=1 on 2 nodes, --gres=gpu:2, -n 2
    // --gpus-per-task=1 and --gpus=a100:1.
    const std::uint64_t gpus =
        std::accumulate(jobs.jobs.begin(), jobs.jobs.end(), std::uint64_t{0},
                        [](std::uint64_t s, const Job& j) { return s + j.gpus_requested; });
    CHECK(gpus == 10);
    const auto gres = cli::parse_scontrol_job_gres(f("scontrol_jobs.txt"));
    std::uint64_t gpus_alloc = 0;
    for (const auto& [id, list] : gres) gpus_alloc += total_of(list, "gpu");
    CHECK(gpus_alloc == 7);  // the three running GPU jobs: 3 + 2 + 2

    // Controller side.
    const SchedulerStats sdiag = cli::parse_sdiag(f("sdiag.txt"));
    CHECK(sdiag.server_thread_count >= 1);
    CHECK(sdiag.jobs_submitted >= 19);  // 19 sbatch calls (an array may count per task)
    const auto licenses = cli::parse_scontrol_licenses(f("licenses.txt"));
    std::map<std::string, std::uint64_t> total;
    for (const License& l : licenses) total[l.name] = l.total;
    CHECK(total ==
          std::map<std::string, std::uint64_t>{{"fluent", 4}, {"matlab", 10}, {"spare", 2}});
    const auto resv = cli::parse_scontrol_reservations(f("reservations.txt"));
    std::vector<std::string> names;
    for (const Reservation& r : resv) names.push_back(r.name);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"future", "maint_now", "reserved_now"});
    const auto ping = cli::parse_scontrol_ping(f("ping.txt"));
    REQUIRE(ping.size() == 2);
    CHECK(ping[0].up);
    CHECK(!ping[1].up);
  }
}

namespace {

const Association& assoc(const AccountingState& s, const std::string& account,
                         const std::string& user) {
  const auto it = std::find_if(s.associations.begin(), s.associations.end(), [&](const auto& a) {
    return a.account == account && a.user == user;
  });
  REQUIRE(it != s.associations.end());
  return *it;
}

Limit tres(const std::vector<TresLimit>& list, const std::string& name) {
  const auto it =
      std::find_if(list.begin(), list.end(), [&](const TresLimit& t) { return t.name == name; });
  REQUIRE(it != list.end());
  return it->value;
}

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

// <release>/accounting/: the accounting cluster (SLURM_TEST_ACCOUNTING=1) of each release. The
// expected values are the association tree and jobs scripts/slurm-cluster.sh creates
// (create_accounting_tree, create_accounting_jobs).
TEST_CASE("every captured release's accounting commands parse to the accounting tree's values") {
  int releases = 0;
  for (const fs::path& release_dir : release_dirs()) {
    const fs::path dir = release_dir / "accounting";
    const std::string release = release_dir.filename().string();  // "26.05"
    INFO("release " << release);
    REQUIRE(fs::is_directory(dir));  // every release: test_capture_fixtures.py -k accounting
    ++releases;

    const ShareData shares = cli::parse_sshare(read(dir / "sshare.txt"));
    CHECK(shares.parse_errors.empty());
    REQUIRE(shares.rows.size() == 12);  // root, 4 accounts, 7 user associations
    std::map<std::string, double> account_shares;
    for (const ShareRow& r : shares.rows) {
      if (r.user.empty() && r.shares.raw_shares) account_shares[r.account] = *r.shares.raw_shares;
    }
    CHECK(account_shares ==
          std::map<std::string, double>{{"astro", 40}, {"chem", 40}, {"hep", 20}, {"physics", 60}});

    const AccountingState state = cli::parse_assoc_mgr(read(dir / "assoc_mgr.txt"));
    CHECK(state.parse_errors.empty());
    CHECK(state.associations.size() == 12);
    const Association& astro = assoc(state, "astro", "");
    CHECK(astro.parent == "physics");
    CHECK(astro.grp_jobs.max == 4);
    CHECK(astro.grp_submit_jobs.max == 12);
    CHECK(astro.max_jobs.max == 3);
    CHECK(astro.max_submit_jobs.max == 10);
    CHECK(astro.max_wall_seconds == 7200);
    CHECK(tres(astro.grp_tres, "cpu").max == 8);
    CHECK(tres(astro.grp_tres, "mem").max == 16000 * kMiB);
    CHECK(tres(astro.grp_tres, "gres/gpu").max == 2);
    CHECK(tres(astro.grp_tres, "gres/gpu").used == 2);  // gpu_run's gpu:2; gpu_pend waits
    const Association& chem = assoc(state, "chem", "");
    CHECK(tres(chem.grp_tres, "cpu").max == 2);
    CHECK(tres(chem.grp_tres, "cpu").used == 2);  // chem_run's 2 CPUs; chem_pend waits
    CHECK(chem.grp_submit_jobs.max == 6);
    const Association& hep = assoc(state, "hep", "");
    CHECK(tres(hep.grp_tres, "mem").max == 4000 * kMiB);
    CHECK(hep.grp_jobs.max == 3);
    const Association& carol_hep = assoc(state, "hep", "carol");
    CHECK(tres(carol_hep.grp_tres, "cpu").max == 4);
    CHECK(carol_hep.max_jobs.max == 3);
    CHECK(assoc(state, "astro", "bob").max_jobs.max == 1);
    CHECK(assoc(state, "astro", "alice").is_default);
    REQUIRE(state.qos.size() == 3);
    const auto high = std::find_if(state.qos.begin(), state.qos.end(),
                                   [](const Qos& q) { return q.name == "high"; });
    REQUIRE(high != state.qos.end());
    CHECK(high->priority == 100);
    CHECK(tres(high->grp_tres, "cpu").max == 8);
    CHECK(high->max_wall_seconds == 3600);

    // The libslurm backend names slurmdbd's message types itself: the names this release's
    // sacctmgr printed, for every id it counted.
    const DbdStats stats = cli::parse_sacctmgr_stats(read(dir / "sacctmgr_stats.txt"));
    CHECK(stats.parse_errors.empty());
    REQUIRE(stats.by_type.size() >= 15);
    const auto major = static_cast<std::uint32_t>(std::stoul(release.substr(0, 2)));
    const auto minor = static_cast<std::uint32_t>(std::stoul(release.substr(3, 2)));
    for (const DbdRpc& r : stats.by_type) {
      INFO("id " << r.id);
      CHECK(dbd_msg_type_name(r.id, major * 100 + minor) == r.name);
    }
  }
  CHECK(releases == 6);  // 22.05 (Debian) and the five tarballs of ../shared/slurm-src
}
