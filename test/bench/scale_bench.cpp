// SPDX-License-Identifier: GPL-2.0-or-later
// The scale benchmark's measuring program (scripts/bench-scale.sh drives it; not part of ctest).
// It links libslurm directly, as the RPC floor must not go through the exporter's own code: this
// file and the libslurm backend are the only ones that include <slurm/slurm.h>. Each subcommand
// prints one JSON object on stdout; figures are milliseconds unless named otherwise.
//
//   scale_bench submit --jobs N --partitions a,b --users u1,u2 --accounts x,y [--live-partition P]
//   scale_bench floor --runs N
//   scale_bench poll --backend libslurm|cli --runs N [--unchanged-runs M]
//   scale_bench cli-commands --runs N
//   scale_bench http --port P --clients C --requests N [--gzip] [--path /metrics]
//   scale_bench inflight --port P --probes N
//   scale_bench touch
//   scale_bench maxrss -- COMMAND ARGS...
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/cli_backend.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/libslurm_backend.hpp"
#include "slurm_exporter/slurm/subprocess.hpp"

extern "C" {
// Exported by libslurm (sdiag uses it) but not declared by 22.05's slurm.h.
void slurm_free_stats_response_msg(stats_info_response_msg_t* msg);
}

namespace {

using Clock = std::chrono::steady_clock;
namespace se = slurm_exporter;

// The libslurm differences this benchmark meets (the exporter's own are in
// src/slurm/libslurm_backend.cpp's compat section): slurm_get_errno is gone since 24.05 (errno),
// job_desc_msg_t.job_id since 25.11 (job_id_str names the job).
int slurm_errno() {
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 5, 0)
  return errno;
#else
  return slurm_get_errno();
#endif
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double children_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// VmRSS / VmHWM of this process, KiB.
long status_kib(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

// Median, p99, min, max of a sample, as a JSON object.
std::string stats(std::vector<double> v) {
  if (v.empty()) return "null";
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    // Nearest rank.
    std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999);
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    return v[rank - 1];
  };
  return fmt::format(R"({{"n":{},"median":{:.3f},"p99":{:.3f},"min":{:.3f},"max":{:.3f}}})",
                     v.size(), pct(50), pct(99), v.front(), v.back());
}

struct Args {
  std::map<std::string, std::string> named;
  std::vector<std::string> rest;  // after "--"

  std::string get(const std::string& key, const std::string& def) const {
    auto it = named.find(key);
    return it == named.end() ? def : it->second;
  }
  long num(const std::string& key, long def) const {
    auto it = named.find(key);
    if (it == named.end()) return def;
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (*end || v < 0) throw std::runtime_error("--" + key + " needs a number, got " + it->second);
    return v;
  }
  bool flag(const std::string& key) const { return named.count(key) != 0; }
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      a.rest.assign(argv + i + 1, argv + argc);
      break;
    }
    if (s.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument " + s);
    s = s.substr(2);
    if (i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0) {
      a.named[s] = argv[++i];
    } else {
      a.named[s] = "";
    }
  }
  return a;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void slurm_fail(const char* what) {
  const int err = slurm_errno();
  throw std::runtime_error(fmt::format("{}: {} ({})", what, slurm_strerror(err), err));
}

// ---------------------------------------------------------------- submit
// Held jobs (priority 0) and jobs pending on a begin time a year away: both stay pending and
// untouched by the scheduler, so an unchanged poll really is unchanged. Every 50th job is an
// array of 20 tasks; `live` gets a few running jobs on the nodes that have a slurmd.
int cmd_submit(const Args& a) {
  const long jobs = a.num("jobs", 50000);
  const auto partitions = split(a.get("partitions", "batch"), ',');
  const auto users = split(a.get("users", "root"), ',');
  const auto accounts = split(a.get("accounts", "acct"), ',');
  const std::string live = a.get("live-partition", "");
  const long running = a.num("running", 4);
  if (partitions.empty() || users.empty() || accounts.empty()) {
    throw std::runtime_error("--partitions, --users and --accounts need at least one name");
  }
  struct Ids {
    uid_t uid;
    gid_t gid;
  };
  std::vector<Ids> ids;
  for (const auto& u : users) {
    const passwd* pw = getpwnam(u.c_str());
    if (!pw) throw std::runtime_error("no such unix user: " + u);
    ids.push_back({pw->pw_uid, pw->pw_gid});
  }
  slurm_init(nullptr);
  char env0[] = "PATH=/usr/bin:/bin";
  char* env[] = {env0};
  const std::string held_script = "#!/bin/sh\nexit 0\n";
  const std::string live_script = "#!/bin/sh\nsleep 100000\n";
  const auto start = Clock::now();
  long submitted = 0, arrays = 0, held = 0, begin = 0, live_jobs = 0, failed = 0;
  std::string first_error;
  const long total = jobs + (live.empty() ? 0 : running);
  for (long i = 0; i < total; ++i) {
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    const bool is_live = i >= jobs;
    const std::size_t k = static_cast<std::size_t>(i);
    const std::string name = is_live ? "bench-live" : fmt::format("bench-{}", i);
    const std::string& partition = is_live ? live : partitions[k % partitions.size()];
    const std::string& account = accounts[(k / 3) % accounts.size()];
    std::string array;
    d.name = const_cast<char*>(name.c_str());
    d.partition = const_cast<char*>(partition.c_str());
    d.account = const_cast<char*>(account.c_str());
    d.user_id = is_live ? 0 : ids[(k / 7) % ids.size()].uid;
    d.group_id = is_live ? 0 : ids[(k / 7) % ids.size()].gid;
    d.script = const_cast<char*>(is_live ? live_script.c_str() : held_script.c_str());
    d.work_dir = const_cast<char*>("/tmp");
    d.std_out = const_cast<char*>("/dev/null");
    d.std_err = const_cast<char*>("/dev/null");
    d.environment = env;
    d.env_size = 1;
    d.min_nodes = 1;
    d.min_cpus = static_cast<std::uint32_t>(1 + k % 4);
    d.pn_min_memory = 100 + 100 * (k % 8);  // MiB per node
    d.time_limit = 60;
    if (!is_live) {
      if (i % 50 == 0) {
        array = "0-19";
        d.array_inx = array.data();
        ++arrays;
      }
      if (i % 2 == 0) {
        d.priority = 0;  // held
        ++held;
      } else {
        d.begin_time = std::time(nullptr) + 365 * 24 * 3600;
        ++begin;
      }
    } else {
      ++live_jobs;
    }
    submit_response_msg_t* resp = nullptr;
    if (slurm_submit_batch_job(&d, &resp) != SLURM_SUCCESS) {
      ++failed;
      if (first_error.empty()) {
        first_error = fmt::format("job {}: {}", i, slurm_strerror(slurm_errno()));
      }
      if (failed > 20 && failed * 10 > i) break;  // mostly failing: stop early
    } else {
      ++submitted;
      slurm_free_submit_response_response_msg(resp);
    }
  }
  const double took = ms_since(start);
  slurm_fini();
  std::printf(
      R"({"submitted":%ld,"failed":%ld,"arrays":%ld,"held":%ld,"begin_time":%ld,"running":%ld,"seconds":%.1f,"first_error":"%s"})"
      "\n",
      submitted, failed, arrays, held, begin, live_jobs, took / 1e3, first_error.c_str());
  return failed == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- floor
// Only the loads the exporter makes per poll (partitions, nodes, jobs; SHOW_ALL, update_time 0
// so each is a full answer), freed at once: Slurm's own cost.
// The RPC floor: every call one exporter poll makes with the default collectors, and nothing
// else (no conversion): the controllers ping, sdiag's statistics, licenses, reservations, then
// partitions, nodes and jobs with `since` (0: a full load; a previous last_update: the
// SLURM_NO_CHANGE_IN_DATA round trip of an unchanged poll).
struct FloorRun {
  double partitions = 0, node = 0, jobs = 0, controller_side = 0, total = 0, cpu = 0;
  std::uint32_t node_count = 0, job_count = 0;
};
struct FloorSince {
  time_t partitions = 0, node = 0, jobs = 0;
};

FloorRun floor_once(FloorSince& since) {
  FloorRun f;
  const double c0 = cpu_ms();
  const auto start = Clock::now();
  auto t = start;
  // The bench cluster has one SlurmctldHost: one ping, as the exporter's controllers collector.
  if (slurm_ping(0) != SLURM_SUCCESS) slurm_fail("ping");
  stats_info_request_msg_t req{};
  req.command_id = STAT_COMMAND_GET;
  stats_info_response_msg_t* st = nullptr;
  if (slurm_get_statistics(&st, &req) != SLURM_SUCCESS) slurm_fail("get_statistics");
  slurm_free_stats_response_msg(st);
  license_info_msg_t* lic = nullptr;
  if (slurm_load_licenses(0, &lic, SHOW_ALL) != SLURM_SUCCESS) slurm_fail("load_licenses");
  slurm_free_license_info_msg(lic);
  reserve_info_msg_t* resv = nullptr;
  if (slurm_load_reservations(0, &resv) != SLURM_SUCCESS) slurm_fail("load_reservations");
  slurm_free_reservation_info_msg(resv);
  f.controller_side = ms_since(t);
  // A load with `since` either brings a message or says nothing changed; both are the floor.
  const auto unchanged = [] { return slurm_errno() == SLURM_NO_CHANGE_IN_DATA; };
  t = Clock::now();
  partition_info_msg_t* p = nullptr;
  if (slurm_load_partitions(since.partitions, &p, SHOW_ALL) != SLURM_SUCCESS && !unchanged()) {
    slurm_fail("load_partitions");
  }
  f.partitions = ms_since(t);
  t = Clock::now();
  node_info_msg_t* n = nullptr;
  // The exporter's node load asks SHOW_DETAIL too (gres_used).
  if (slurm_load_node(since.node, &n, SHOW_ALL | SHOW_DETAIL) != SLURM_SUCCESS && !unchanged()) {
    slurm_fail("load_node");
  }
  f.node = ms_since(t);
  t = Clock::now();
  job_info_msg_t* j = nullptr;
  if (slurm_load_jobs(since.jobs, &j, SHOW_ALL) != SLURM_SUCCESS && !unchanged()) {
    slurm_fail("load_jobs");
  }
  f.jobs = ms_since(t);
  f.total = ms_since(start);
  if (p) since.partitions = p->last_update;
  if (n) {
    since.node = n->last_update;
    f.node_count = n->record_count;
  }
  if (j) {
    since.jobs = j->last_update;
    f.job_count = j->record_count;
  }
  slurm_free_partition_info_msg(p);
  slurm_free_node_info_msg(n);
  slurm_free_job_info_msg(j);
  f.cpu = cpu_ms() - c0;
  return f;
}

struct FloorStats {
  std::vector<double> total, cpu, partitions, node, jobs, controller_side;
  std::uint32_t node_count = 0, job_count = 0;
  void add(const FloorRun& f) {
    total.push_back(f.total);
    cpu.push_back(f.cpu);
    partitions.push_back(f.partitions);
    node.push_back(f.node);
    jobs.push_back(f.jobs);
    controller_side.push_back(f.controller_side);
    node_count = std::max(node_count, f.node_count);
    job_count = std::max(job_count, f.job_count);
  }
  std::string json() const {
    return fmt::format(
        R"({{"nodes":{},"job_records":{},"wall":{},"cpu":{},"partitions":{},"node":{},"jobs":{},"controller_side":{}}})",
        node_count, job_count, stats(total), stats(cpu), stats(partitions), stats(node),
        stats(jobs), stats(controller_side));
  }
};

int cmd_floor(const Args& a) {
  const long runs = a.num("runs", 20);
  slurm_init(nullptr);
  FloorStats fs;
  for (long r = 0; r < runs; ++r) {
    FloorSince full;  // since 0: full loads every run
    fs.add(floor_once(full));
  }
  slurm_fini();
  std::printf("%s\n", fs.json().c_str());
  return 0;
}

// ---------------------------------------------------------------- touch
// Changes one job's comment and one node's reason so the next loads with update_time return
// everything again: what a full poll on a busy cluster sees.
void touch_cluster(std::uint32_t& job_id, std::string& node_name, long n) {
  if (job_id == 0) {
    job_info_msg_t* j = nullptr;
    if (slurm_load_jobs(0, &j, SHOW_ALL) != SLURM_SUCCESS) slurm_fail("load_jobs");
    for (std::uint32_t i = 0; i < j->record_count && job_id == 0; ++i) {
      if ((j->job_array[i].job_state & JOB_STATE_BASE) == JOB_PENDING &&
          j->job_array[i].array_task_str == nullptr) {
        job_id = j->job_array[i].job_id;
      }
    }
    slurm_free_job_info_msg(j);
    node_info_msg_t* nd = nullptr;
    if (slurm_load_node(0, &nd, SHOW_ALL) != SLURM_SUCCESS) slurm_fail("load_node");
    // The last node: a configured-only one (the slurmd nodes come first).
    if (nd->record_count) node_name = nd->node_array[nd->record_count - 1].name;
    slurm_free_node_info_msg(nd);
  }
  const std::string comment = fmt::format("bench touch {}", n);
  job_desc_msg_t d;
  slurm_init_job_desc_msg(&d);
  std::string id = std::to_string(job_id);
  d.job_id_str = id.data();
#if SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(25, 11, 0)
  d.job_id = job_id;
#endif
  d.comment = const_cast<char*>(comment.c_str());
  if (slurm_update_job(&d) != SLURM_SUCCESS) slurm_fail("update_job");
  update_node_msg_t u;
  slurm_init_update_node_msg(&u);
  u.node_names = node_name.data();
  u.node_state = NODE_STATE_DRAIN;
  u.reason = const_cast<char*>(comment.c_str());
  if (slurm_update_node(&u) != SLURM_SUCCESS) slurm_fail("update_node");
}

int cmd_touch(const Args&) {
  slurm_init(nullptr);
  std::uint32_t job_id = 0;
  std::string node;
  touch_cluster(job_id, node, static_cast<long>(std::time(nullptr)));
  slurm_fini();
  std::printf(R"({"job":%u,"node":"%s"})"
              "\n",
              job_id, node.c_str());
  return 0;
}

// ---------------------------------------------------------------- poll
// Where the Slurm commands are: $SLURM_BIN_DIR (bench-scale.sh sets it from SLURM_PREFIX), else
// Debian's /usr/bin.
std::string slurm_bin(const char* name) {
  const char* dir = std::getenv("SLURM_BIN_DIR");
  return std::string(dir && *dir ? dir : "/usr/bin") + "/" + name;
}

// One full poll = the exporter's Collection::poll (loads, conversion, collectors, rendering)
// right after the cluster changed; one unchanged poll = a poll again with nothing changed.
int cmd_poll(const Args& a) {
  const std::string backend_name = a.get("backend", "libslurm");
  const long runs = a.num("runs", 10);
  const long unchanged_runs = a.num("unchanged-runs", 50);
  std::unique_ptr<se::slurm::Backend> backend;
  if (backend_name == "libslurm") {
    backend = std::make_unique<se::slurm::LibslurmBackend>("");
  } else if (backend_name == "cli") {
    slurm_init(nullptr);  // only for touch_cluster
    se::slurm::CliOptions cli;
    // A command of a 10,000-node cluster can take longer than the exporter's default 10 s on a
    // busy machine; the benchmark measures the poll, not the timeout.
    cli.timeout = std::chrono::seconds(600);
    if (const char* dir = std::getenv("SLURM_BIN_DIR")) cli.bin_dir = dir;
    backend = std::make_unique<se::slurm::CliBackend>(std::move(cli));
  } else {
    throw std::runtime_error("--backend is libslurm or cli");
  }
  se::scrape::Collection collection;  // as the exporter's Poller keeps it
  std::vector<double> wall, cpu, unchanged_wall, unchanged_cpu, rss_after;
  std::size_t text_bytes = 0;
  bool up = true;
  std::uint32_t job_id = 0;
  std::string node;
  const bool libslurm = backend_name == "libslurm";
  FloorStats floor, unchanged_floor;
  FloorSince unchanged_since;
  if (libslurm) floor_once(unchanged_since);  // the last_update values for unchanged floors
  std::vector<double> ratios;
  const long rss_before = status_kib("VmRSS:");
  for (long r = 0; r < runs; ++r) {
    touch_cluster(job_id, node, r);
    // The floor next to each poll, against the same slurmctld moment: a busy slurmctld (10,000
    // nodes, 50,000 jobs) moves both, so the ratio is also taken run by run. Which one comes
    // first right after the change alternates, so neither always meets slurmctld still busy
    // with it.
    const auto run_floor = [&] {
      if (!libslurm) return;
      FloorSince full;
      floor.add(floor_once(full));
    };
    if (r % 2 == 1) run_floor();
    const double c0 = cpu_ms() + children_cpu_ms();
    const auto t = Clock::now();
    auto result = collection.poll(*backend);
    wall.push_back(ms_since(t));
    cpu.push_back(cpu_ms() + children_cpu_ms() - c0);
    text_bytes = result.text.size();
    up = up && result.slurm_up;
    rss_after.push_back(static_cast<double>(status_kib("VmRSS:")));
    if (r % 2 == 0) run_floor();
    if (libslurm) ratios.push_back(wall.back() / floor.total.back());
    for (long u = 0; u < (r == runs - 1 ? unchanged_runs : 0); ++u) {
      const double uc0 = cpu_ms() + children_cpu_ms();
      const auto ut = Clock::now();
      auto again = collection.poll(*backend);
      unchanged_wall.push_back(ms_since(ut));
      unchanged_cpu.push_back(cpu_ms() + children_cpu_ms() - uc0);
      up = up && again.slurm_up;
      if (libslurm) {
        // The unchanged floor: the same RPCs, the loads answered SLURM_NO_CHANGE_IN_DATA.
        unchanged_floor.add(floor_once(unchanged_since));
      }
    }
  }
  const long hwm = status_kib("VmHWM:");
  std::printf(
      R"({"backend":"%s","slurm_up":%s,"text_bytes":%zu,"wall":%s,"cpu":%s,"unchanged_wall":%s,"unchanged_cpu":%s,"rss_kib_before":%ld,"rss_kib_after_first":%.0f,"rss_kib_after_last":%.0f,"hwm_kib":%ld,"floor":%s,"unchanged_floor":%s,"ratio_to_floor":%s})"
      "\n",
      backend_name.c_str(), up ? "true" : "false", text_bytes, stats(wall).c_str(),
      stats(cpu).c_str(), stats(unchanged_wall).c_str(), stats(unchanged_cpu).c_str(), rss_before,
      rss_after.empty() ? 0.0 : rss_after.front(), rss_after.empty() ? 0.0 : rss_after.back(), hwm,
      libslurm ? floor.json().c_str() : "null", libslurm ? unchanged_floor.json().c_str() : "null",
      libslurm ? stats(ratios).c_str() : "null");
  backend.reset();
  if (backend_name == "cli") slurm_fini();
  return up ? 0 : 1;
}

// ---------------------------------------------------------------- cli-commands
// The commands the cli backend runs per poll, run the same way (run_command, same env), timed
// on their own: what the cli backend's poll is compared with.
int cmd_cli_commands(const Args& a) {
  const long runs = a.num("runs", 5);
  std::vector<std::string> env{"LC_ALL=C", "SLURM_TIME_FORMAT=standard",
                               std::string("PATH=") + se::slurm::kCliSearchPath};
  if (const char* conf = std::getenv("SLURM_CONF"))
    env.push_back(std::string("SLURM_CONF=") + conf);
  se::slurm::CommandOptions opts;
  opts.env = env;
  opts.timeout = std::chrono::seconds(120);
  // name, argv: the cli backend's commands as it runs them, then candidates it does not run
  // (timed for comparison only, not in the total).
  struct Command {
    const char* name;
    std::vector<std::string> argv;
    bool in_poll;
  };
  const std::vector<Command> commands = {
      {"scontrol_node", {slurm_bin("scontrol"), "-a", "-d", "-o", "show", "node"}, true},
      {"scontrol_partition", {slurm_bin("scontrol"), "-a", "-o", "show", "partition"}, true},
      {"squeue",
       {slurm_bin("squeue"), "-h", "-r", "-a", "-t", "all", "-O",
        std::string(se::slurm::cli::kSqueueFields)},
       true},
      // The controller-side collectors' commands (on by default), as the cli backend runs them.
      {"scontrol_ping", {slurm_bin("scontrol"), "ping"}, true},
      {"sdiag", {slurm_bin("sdiag")}, true},
      {"scontrol_licenses", {slurm_bin("scontrol"), "show", "licenses", "-o"}, true},
      {"scontrol_reservation", {slurm_bin("scontrol"), "show", "reservation", "-o"}, true},
      // Candidates: sinfo's node list (what the backend ran before scontrol's; now only
      // without a scontrol), the job list from scontrol, sinfo with a minimal field list.
      {"cand_sinfo_nodes",
       {slurm_bin("sinfo"), "-N", "-h", "-a", "-O", std::string(se::slurm::cli::kSinfoNodeFields)},
       false},
      {"cand_sinfo_partitions",
       {slurm_bin("sinfo"), "-h", "-a", "-o", std::string(se::slurm::cli::kSinfoPartitionFormat)},
       false},
      {"cand_scontrol_job", {slurm_bin("scontrol"), "-o", "show", "job"}, false},
      {"cand_scontrol_job_d", {slurm_bin("scontrol"), "-d", "-o", "show", "job"}, false},
      {"cand_sinfo_nodes_min", {slurm_bin("sinfo"), "-N", "-h", "-a", "-o", "%N %P"}, false},
  };
  const auto child_cpu_ms = [] {
    rusage ru{};
    ::getrusage(RUSAGE_CHILDREN, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  };
  std::vector<double> total, total_cpu, controller_side;
  std::vector<std::vector<double>> each(commands.size()), each_cpu(commands.size());
  for (long r = 0; r < runs; ++r) {
    double sum = 0, sum_cpu = 0;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const double cpu0 = child_cpu_ms();
      const auto t = Clock::now();
      const auto res = se::slurm::run_command(commands[i].argv, opts);
      const double took = ms_since(t);
      const double cpu = child_cpu_ms() - cpu0;
      if (res.exit_code != 0 || res.term_signal != 0) {
        throw std::runtime_error(commands[i].argv[0] + " failed: " + res.err);
      }
      each[i].push_back(took);
      each_cpu[i].push_back(cpu);
      if (commands[i].in_poll) {
        sum += took;
        sum_cpu += cpu;
      }
    }
    total.push_back(sum);
    total_cpu.push_back(sum_cpu);
    double controller = 0;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const std::string_view name = commands[i].name;
      if (name == "sdiag" || (name.starts_with("scontrol_") && name != "scontrol_node" &&
                              name != "scontrol_partition")) {
        controller += each[i].back();
      }
    }
    controller_side.push_back(controller);
  }
  std::string out = "{\"wall\":" + stats(total) + ",\"cpu\":" + stats(total_cpu) +
                    ",\"controller_side\":" + stats(controller_side) + ",\"commands\":[";
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (i) out += ",";
    out += std::string("{\"name\":\"") + commands[i].name +
           "\",\"in_poll\":" + (commands[i].in_poll ? "true" : "false") +
           ",\"wall\":" + stats(each[i]) + ",\"cpu\":" + stats(each_cpu[i]) + "}";
  }
  out += "]}";
  std::printf("%s\n", out.c_str());
  return 0;
}

// ---------------------------------------------------------------- http
// A blocking keep-alive HTTP/1.1 client, enough for Content-Length responses.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) { connect(); }
  ~HttpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  struct Response {
    int status = 0;
    std::string encoding;
    std::string body;
  };

  Response get(const std::string& path, bool gzip) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n" +
                            (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (send_all(req)) {
        if (auto r = read_response()) return *r;
      }
      ::close(fd_);
      buf_.clear();
      connect();  // the server closed a kept-alive connection: once more on a new one
    }
    throw std::runtime_error("no response from 127.0.0.1:" + std::to_string(port_));
  }

 private:
  void connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{};
    tv.tv_sec = 60;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error(fmt::format("connect to port {}: {}", port_, std::strerror(errno)));
    }
  }
  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  static std::string header(const std::string& head, std::string_view name) {
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto pos = lower.find("\r\n" + std::string(name) + ":");
    if (pos == std::string::npos) return "";
    auto start = pos + 3 + name.size();
    while (start < head.size() && head[start] == ' ') ++start;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  std::optional<Response> read_response() {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    Response r;
    r.status = std::atoi(head.c_str() + 9);
    r.encoding = header(head, "content-encoding");
    const auto size = static_cast<std::size_t>(std::stoul(header(head, "content-length")));
    while (buf_.size() < size) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, size);
    buf_.erase(0, size);
    return r;
  }

  std::uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

// C clients, each on its own keep-alive connection, each sending N requests back to back.
int cmd_http(const Args& a) {
  const auto port = static_cast<std::uint16_t>(a.num("port", 9092));
  const long clients = std::max(1L, a.num("clients", 1));
  const long requests = a.num("requests", 200);
  const bool gzip = a.flag("gzip");
  const std::string path = a.get("path", "/metrics");
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<long> errors{0};
  std::atomic<std::size_t> bytes{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (long c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      try {
        HttpClient client(port);
        for (long r = 0; r < requests; ++r) {
          const auto t = Clock::now();
          const auto resp = client.get(path, gzip);
          lat[static_cast<std::size_t>(c)].push_back(ms_since(t));
          bytes = resp.body.size();
          if (resp.status != 200 || (gzip && resp.encoding != "gzip")) ++errors;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_bench http: %s\n", e.what());
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = ms_since(start) / 1e3;
  std::vector<double> all;
  for (const auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::printf(
      R"({"clients":%ld,"gzip":%s,"requests":%zu,"errors":%ld,"body_bytes":%zu,"per_second":%.1f,"latency":%s})"
      "\n",
      clients, gzip ? "true" : "false", all.size(), errors.load(), bytes.load(),
      static_cast<double>(all.size()) / seconds, stats(all).c_str());
  return errors == 0 ? 0 : 1;
}

// While one client's /metrics waits for a full poll (exporter with --slurm.poll-limit=0 after
// the cluster changed), other clients probe `/` and /metrics: the first shows the HTTP thread is
// not blocked, the second that a scrape arriving mid-poll joins that poll (no second RPC).
int cmd_inflight(const Args& a) {
  const auto port = static_cast<std::uint16_t>(a.num("port", 9092));
  const long probes = a.num("probes", 5);
  slurm_init(nullptr);
  std::vector<double> landing, joined, polls;
  std::uint32_t job_id = 0;
  std::string node;
  for (long p = 0; p < probes; ++p) {
    touch_cluster(job_id, node, 1000 + p);
    std::atomic<bool> done{false};
    double poll_ms = 0;
    std::thread poller([&] {
      HttpClient c(port);
      const auto t = Clock::now();
      c.get("/metrics", false);
      poll_ms = ms_since(t);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    HttpClient probe(port);
    double joined_ms = -1;
    {
      HttpClient late(port);
      std::thread t2([&] {
        const auto t = Clock::now();
        late.get("/metrics", false);
        joined_ms = ms_since(t);
      });
      while (!done) {
        const auto t = Clock::now();
        probe.get("/", false);
        if (!done) landing.push_back(ms_since(t));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      t2.join();
    }
    poller.join();
    polls.push_back(poll_ms);
    joined.push_back(joined_ms);
  }
  slurm_fini();
  std::printf(R"({"poll_scrape":%s,"landing_during_poll":%s,"metrics_joining_poll":%s})"
              "\n",
              stats(polls).c_str(), stats(landing).c_str(), stats(joined).c_str());
  return 0;
}

// ---------------------------------------------------------------- maxrss
int cmd_maxrss(const Args& a) {
  if (a.rest.empty()) throw std::runtime_error("maxrss needs -- COMMAND ARGS");
  std::vector<char*> argv;
  for (const auto& s : a.rest) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  const auto t = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) throw std::runtime_error("wait4 failed");
  std::printf(R"({"exit":%d,"wall_ms":%.1f,"maxrss_kib":%ld})"
              "\n",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, ms_since(t), ru.ru_maxrss);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: scale_bench submit|floor|poll|cli-commands|http|inflight|touch|maxrss "
                 "[--options]\n");
    return 2;
  }
  const std::string cmd = argv[1];
  se::scrape::configure_malloc_for_polls();  // as the exporter's main does
  try {
    const Args a = parse_args(argc, argv);
    if (cmd == "submit") return cmd_submit(a);
    if (cmd == "floor") return cmd_floor(a);
    if (cmd == "poll") return cmd_poll(a);
    if (cmd == "cli-commands") return cmd_cli_commands(a);
    if (cmd == "http") return cmd_http(a);
    if (cmd == "inflight") return cmd_inflight(a);
    if (cmd == "touch") return cmd_touch(a);
    if (cmd == "maxrss") return cmd_maxrss(a);
    std::fprintf(stderr, "scale_bench: unknown command %s\n", cmd.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale_bench %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
