// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/cli_backend.hpp"
#include "../support/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

using namespace slurm_exporter::slurm;
using slurm_exporter::BackendError;
using slurm_exporter::ParseError;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = std::string(SE_TEST_DATA_DIR) + "/slurm/fixtures/cli";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory for fake commands, pid files and scratch programs, removed afterwards.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("se_cli_backend") {}
};

// Writes an executable /bin/sh script. Every call appends its arguments, each in brackets,
// to <dir>/<name>.calls (one line per call, in the order the calls started).
void write_script(const TempDir& dir, const std::string& name, const std::string& body,
                  bool executable = true) {
  const std::string path = dir.file(name);
  {
    std::ofstream out(path, std::ios::trunc);
    out << "#!/bin/sh\n"
        // One write per call: commands run side by side append to the same file.
        << "line=; for a in \"$@\"; do line=\"$line[$a]\"; done\n"
        << "printf '%s\\n' \"$line\" >> '" << path << ".calls'\n"
        << body << "\n";
  }
  REQUIRE(::chmod(path.c_str(), executable ? 0755 : 0644) == 0);
}

// A sinfo that answers like the real one from the captured fixtures.
const std::string kSinfoFromFixtures =
    "case \"$1\" in\n"
    "  --version) cat '" +
    kFixtures +
    "/live_sinfo_version.txt' ;;\n"
    "  -N) cat '" +
    kFixtures +
    "/live_sinfo_nodes.txt' ;;\n"
    "  -h) cat '" +
    kFixtures +
    "/live_sinfo_partitions.txt' ;;\n"
    "  *) echo \"unexpected arguments $*\" >&2; exit 2 ;;\n"
    "esac";

const std::string kSqueueFromFixtures =
    "case \"$1\" in\n"
    "  --json) cat '" +
    kFixtures +
    "/live_squeue_reasons.json' ;;\n"
    "  *) cat '" +
    kFixtures + "/live_squeue.txt' ;;\nesac";

CliOptions options_for(const TempDir& dir) {
  CliOptions o;
  o.bin_dir = dir.str();
  o.timeout = 10s;
  return o;
}

// Whether the process exists and is not a zombie.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(") ");
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] != 'Z';
}

// Sets (or, with nullopt, unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Redirects this process's stderr (fd 2, where log lines go) into a file for the scope.
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(saved_ >= 0);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    return read_file(path_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("cli backend: nodes and jobs from fake sinfo/squeue, with the exact arguments") {
  TempDir dir;
  write_script(dir, "sinfo", kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  CliBackend backend(options_for(dir));
  CHECK(backend.name() == "cli");
  CHECK(backend.slurm_version() == "22.05.8");

  const NodeData nodes = backend.load_nodes();
  const NodeData want = cli::parse_sinfo_nodes(read_file(kFixtures + "/live_sinfo_nodes.txt"),
                                               read_file(kFixtures + "/live_sinfo_partitions.txt"));
  REQUIRE(nodes.nodes.size() == 6);
  for (std::size_t i = 0; i < nodes.nodes.size(); ++i) {
    CHECK(nodes.nodes[i].name == want.nodes[i].name);
    CHECK(nodes.nodes[i].state == want.nodes[i].state);
    CHECK(nodes.nodes[i].alloc_memory_bytes == want.nodes[i].alloc_memory_bytes);
    CHECK(nodes.nodes[i].partitions == want.nodes[i].partitions);
  }
  REQUIRE(nodes.partitions.size() == 2);
  CHECK(nodes.partitions[1].nodes == std::vector<std::string>{"node3", "node4"});

  const std::vector<Job> jobs = backend.load_jobs().jobs;
  REQUIRE(jobs.size() == 16);
  CHECK(jobs[0].user == "cliuser");
  CHECK(jobs[1].reason == "ReqNodeNotAvail");
  CHECK(jobs[3].job_id == 6);
  CHECK(jobs[3].reason == "JobHeldUser");  // the text says "job requeued in held state"
  CHECK(jobs[15].partition == "debug,batch");

  // The node list and the partition list run side by side: either may start first.
  CHECK(sorted_lines(read_file(dir.file("sinfo.calls"))) ==
        std::vector<std::string>{"[--version]",
                                 "[-N][-h][-a][-O][" + std::string(cli::kSinfoNodeFields) + "]",
                                 "[-h][-a][-o][%R]"});
  CHECK(read_file(dir.file("squeue.calls")) ==
        "[-h][-r][-a][-t][all][-O][" + std::string(cli::kSqueueFields) + "]\n[--json][-j][6]\n");
}

TEST_CASE("cli backend: a failed squeue --json labels only the described jobs \"other\"") {
  TempDir dir;
  write_script(dir, "sinfo", kSinfoFromFixtures);
  write_script(dir, "squeue",
               "case \"$1\" in --json) echo 'squeue: error: openapi plugin missing' >&2; exit 1 ;; "
               "*) cat '" +
                   kFixtures + "/live_squeue.txt' ;; esac");
  CliBackend backend(options_for(dir));
  StderrCapture log(dir.file("log"));
  std::vector<Job> jobs = backend.load_jobs().jobs;
  jobs = backend.load_jobs().jobs;
  REQUIRE(jobs.size() == 16);
  CHECK(jobs[3].reason == "other");
  CHECK(jobs[1].reason == "ReqNodeNotAvail");
  CHECK(std::count_if(jobs.begin(), jobs.end(), [](const Job& j) { return j.reason == "other"; }) ==
        1);
  const std::string text = log.text();
  CHECK(count(text, "msg=\"squeue --json failed") == 1);  // once, not every poll
}

TEST_CASE("cli backend: once a poll loaded jobs, the next node load runs squeue beside it") {
  TempDir dir;
  write_script(dir, "sinfo", kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  CliBackend backend(options_for(dir));
  backend.load_nodes();  // no job load seen yet: no squeue
  CHECK(read_file(dir.file("squeue.calls")).empty());
  CHECK(backend.load_jobs().jobs.size() == 16);
  backend.load_nodes();  // starts squeue beside the node commands
  // (Each job load also asks squeue --json for job 6's reason code: not counted here.)
  for (int i = 0; i < 500 && count(read_file(dir.file("squeue.calls")), "[-h]") < 2; ++i) {
    std::this_thread::sleep_for(10ms);  // the prefetch is running; wait for it to have started
  }
  REQUIRE(count(read_file(dir.file("squeue.calls")), "[-h]") == 2);
  // From now on squeue fails: the job load of this poll takes the prefetched output ...
  write_script(dir, "squeue", "echo broken >&2; exit 1");
  CHECK(backend.load_jobs().jobs.size() == 16);
  // ... and a job load without a node load before it runs squeue itself.
  CHECK_THROWS_WITH(backend.load_jobs(), Catch::Contains("broken"));
  // A prefetch no job load took is dropped when the next poll starts.
  write_script(dir, "squeue", kSqueueFromFixtures);
  backend.load_nodes();
  backend.load_nodes();
  write_script(dir, "squeue", "echo broken >&2; exit 1");
  CHECK_THROWS_WITH(backend.load_jobs(), Catch::Contains("broken"));
}

TEST_CASE("cli backend: the commands run with a pinned, minimal environment") {
  TempDir dir;
  // Fails unless the locale and time format are pinned; records what it was given.
  const std::string check =
      "env > '" + dir.str() +
      "'/env.\"$1\"\n"
      "if [ \"$LC_ALL\" != C ] || [ \"$SLURM_TIME_FORMAT\" != standard ]; then\n"
      "  echo \"environment not pinned: LC_ALL=$LC_ALL\" >&2; exit 3\n"
      "fi\n"
      "if [ \"$1\" = --version ]; then echo 'slurm 22.05.8'; fi";
  write_script(dir, "sinfo", check);
  write_script(dir, "squeue", check);
  ScopedEnv lc("LC_ALL", "de_DE.UTF-8");
  ScopedEnv tf("SLURM_TIME_FORMAT", "relative");
  ScopedEnv fmt_env("SQUEUE_FORMAT", "%i %all");
  ScopedEnv sentinel("SE_CLI_TEST_SENTINEL", "leaked");
  ScopedEnv conf("SLURM_CONF", "/from/exporter/env.conf");
  ScopedEnv home("HOME", "/home/exporter");

  const auto vars = [&](const std::string& file) {
    std::set<std::string> lines;
    std::istringstream in(read_file(dir.file(file)));
    for (std::string line; std::getline(in, line);) lines.insert(line);
    return lines;
  };

  SECTION("SLURM_CONF from the options wins") {
    CliOptions o = options_for(dir);
    o.slurm_conf = "/from/options.conf";
    CliBackend backend(o);
    CHECK(backend.load_nodes().nodes.empty());
    CHECK(backend.load_jobs().jobs.empty());
    for (const char* file : {"env.--version", "env.-N", "env.-h"}) {
      INFO(file);
      const std::set<std::string> got = vars(file);
      // dash adds PWD by itself; nothing else may appear.
      std::set<std::string> want{"LC_ALL=C", "SLURM_TIME_FORMAT=standard",
                                 "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                 "SLURM_CONF=/from/options.conf", "HOME=/home/exporter"};
      for (const std::string& line : got) {
        if (line.rfind("PWD=", 0) == 0) want.insert(line);
      }
      CHECK(got == want);
    }
  }
  SECTION("otherwise the exporter's own SLURM_CONF is passed on") {
    CliBackend backend(options_for(dir));
    backend.load_jobs();
    const std::set<std::string> got = vars("env.-h");  // squeue -h …
    CHECK(got.count("SLURM_CONF=/from/exporter/env.conf") == 1);
    CHECK(got.count("SE_CLI_TEST_SENTINEL=leaked") == 0);
    CHECK(got.count("SQUEUE_FORMAT=%i %all") == 0);
  }
}

TEST_CASE("cli backend: local times are read in the zone the commands print them in") {
  // The fake commands print 2024-03-01 10:00:00 UTC as local time in whatever TZ they get, as
  // Slurm's do (localtime_r); the exporter must parse them in that same zone.
  TempDir dir;
  const std::string t = "$(date -d @1709287200 +%Y-%m-%dT%H:%M:%S)";
  write_script(dir, "sinfo",
               "case \"$1\" in\n"
               "  --version) echo 'slurm 22.05.8' ;;\n"
               "  -N) echo \"n1|idle+drain|idle+drain|0/0/4/4|8000|7000|0.01|1|0|(null)|" +
                   t +
                   "|root(0)|(null)|(null)|p1*|maintenance|\" ;;\n"
                   "  -h) echo p1 ;;\n"
                   "esac");
  write_script(dir, "squeue",
               "echo \"7|root|(null)|p1|PENDING|Priority|1|N/A|" + t + "|" + t + "|" + t +
                   "|N/A|N/A|N/A|N/A|1|1|\"");
  for (const char* zone : {"Asia/Kolkata", "America/New_York", "UTC"}) {
    INFO(zone);
    ScopedEnv tz("TZ", std::string(zone));
    ::tzset();
    CliBackend backend(options_for(dir));
    const NodeData nodes = backend.load_nodes();
    REQUIRE(nodes.nodes.size() == 1);
    CHECK(nodes.nodes[0].reason_time == 1709287200);
    const std::vector<Job> jobs = backend.load_jobs().jobs;
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].submit_time == 1709287200);
    CHECK(jobs[0].eligible_time == 1709287200);
    CHECK(jobs[0].start_time == 1709287200);
  }
  ::tzset();
}

TEST_CASE("cli backend: slurmctld unreachable is a BackendError marked unreachable") {
  TempDir dir;
  const std::string down =
      "if [ \"$1\" = --version ]; then echo 'slurm-wlm 22.05.8'; exit 0; fi\n"
      "echo 'slurm_load_node: Unable to contact slurm controller (connect failure)' >&2\n"
      "exit 1";
  write_script(dir, "sinfo", down);
  write_script(dir, "squeue",
               "echo 'squeue: warning: something first' >&2\n"
               "echo 'slurm_load_jobs error: Unable to contact slurm controller (connect "
               "failure)' >&2\nexit 1");
  CliBackend backend(options_for(dir));
  try {
    backend.load_nodes();
    FAIL("load_nodes did not throw");
  } catch (const BackendError& e) {
    CHECK(e.unreachable());
    const std::string what = e.what();
    CHECK(what.find(dir.file("sinfo") + " -N failed: exited with status 1") != std::string::npos);
    CHECK(what.find("slurm_load_node: Unable to contact slurm controller (connect failure)") !=
          std::string::npos);
  }
  // The partition list runs side by side with the node list (once, not retried); the error
  // named is the node list's, the first command of the kind.
  CHECK(count(read_file(dir.file("sinfo.calls")), "%R") == 1);
  try {
    backend.load_jobs();
    FAIL("load_jobs did not throw");
  } catch (const BackendError& e) {
    CHECK(e.unreachable());
    // Not the first stderr line, but it must be in the message.
    CHECK(std::string(e.what()).find("slurm_load_jobs error: Unable to contact slurm controller") !=
          std::string::npos);
  }
}

TEST_CASE("cli backend: other failures are BackendErrors, not marked unreachable") {
  TempDir dir;
  write_script(dir, "sinfo",
               "if [ \"$1\" = --version ]; then echo 'slurm 22.05.8'; exit 0; fi\n"
               "echo \"sinfo: error: Invalid node format specification: $4\" >&2; exit 2");
  write_script(dir, "squeue", "kill -9 $$");
  CliBackend backend(options_for(dir));
  try {
    backend.load_nodes();
    FAIL("load_nodes did not throw");
  } catch (const BackendError& e) {
    CHECK_FALSE(e.unreachable());
    CHECK(std::string(e.what()).find("exited with status 2: sinfo: error: Invalid node format") !=
          std::string::npos);
  }
  try {
    backend.load_jobs();
    FAIL("load_jobs did not throw");
  } catch (const BackendError& e) {
    CHECK_FALSE(e.unreachable());
    CHECK(std::string(e.what()).find("squeue failed: killed by signal 9") != std::string::npos);
  }
}

TEST_CASE("cli backend: stderr with exit status 0 is logged once per message, not a failure") {
  TempDir dir;
  write_script(dir, "sinfo", "cat '" + dir.file("message") + "' >&2\n" + kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  std::ofstream(dir.file("message")) << "sinfo: warning: first message\n";
  slurm_exporter::log::set_level(slurm_exporter::log::Level::kInfo);
  std::string logged;
  {
    StderrCapture capture(dir.file("stderr.log"));
    CliBackend backend(options_for(dir));  // --version prints it too
    CHECK(backend.load_nodes().nodes.size() == 6);
    CHECK(backend.load_nodes().nodes.size() == 6);
    std::ofstream(dir.file("message")) << "sinfo: warning: second message\n";
    CHECK(backend.load_nodes().nodes.size() == 6);
    logged = capture.text();
  }
  INFO(logged);
  CHECK(count(logged, "level=warn") == 2);
  CHECK(count(logged, "first message") == 1);
  CHECK(count(logged, "second message") == 1);
}

TEST_CASE("cli backend: a command taking over half its timeout is reported once") {
  TempDir dir;
  // Quick for --version (the constructor), slow for the node list; the quick ones have a
  // whole second of slack on a loaded CI machine.
  write_script(dir, "sinfo", "if [ \"$1\" = -N ]; then sleep 1.2; fi\n" + kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  CliOptions o = options_for(dir);
  o.timeout = 2000ms;
  slurm_exporter::log::set_level(slurm_exporter::log::Level::kInfo);
  std::string logged;
  {
    StderrCapture capture(dir.file("stderr.log"));
    CliBackend backend(o);
    CHECK(backend.load_nodes().nodes.size() == 6);
    CHECK(backend.load_nodes().nodes.size() == 6);
    CHECK(backend.load_jobs().jobs.size() > 0);  // quick: not reported
    logged = capture.text();
  }
  INFO(logged);
  CHECK(count(logged, "more than half of --slurm.cli-timeout") == 1);
  CHECK(count(logged, "timeout_seconds=2") == 1);
  CHECK(logged.find(" -N") != std::string::npos);
  CHECK(logged.find("squeue") == std::string::npos);
}

TEST_CASE("cli backend: cancel() ends hung commands at once, side by side ones too") {
  TempDir dir;
  // The node list and the partition list both hang (they run side by side); each writes its
  // pid first.
  write_script(dir, "sinfo",
               "if [ \"$1\" != --version ]; then echo $$ >> '" + dir.file("pids") +
                   "'; exec sleep 100; fi\n" + kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  CliOptions o = options_for(dir);
  o.timeout = 60s;
  CliBackend backend(o);
  std::thread canceller([&] {
    for (int i = 0; i < 500 && count(read_file(dir.file("pids")), "\n") < 2; ++i) {
      std::this_thread::sleep_for(10ms);  // waits for both commands to be running
    }
    backend.cancel();
  });
  std::string what;
  try {
    backend.load_nodes();
  } catch (const BackendError& e) {
    what = e.what();
  }
  canceller.join();
  CHECK_THAT(what, Catch::EndsWith(" cancelled"));
  std::istringstream pids(read_file(dir.file("pids")));
  int n = 0;
  for (pid_t pid = 0; pids >> pid; ++n) CHECK_FALSE(alive(pid));
  CHECK(n == 2);
  // Later loads fail at once, before running anything.
  CHECK_THROWS_WITH(backend.load_jobs(), Catch::EndsWith(" cancelled"));
  CHECK(read_file(dir.file("squeue.calls")).empty());
}

TEST_CASE("cli backend: a hanging command times out and is killed") {
  TempDir dir;
  write_script(dir, "sinfo",
               "if [ \"$1\" = --version ]; then echo 'slurm 22.05.8'; exit 0; fi\n"
               "sleep 60 &\necho $! > '" +
                   dir.file("sleep.pid") + "'\nwait");
  write_script(dir, "squeue", kSqueueFromFixtures);
  CliOptions o = options_for(dir);
  o.timeout = 300ms;
  CliBackend backend(o);
  const auto start = std::chrono::steady_clock::now();
  try {
    backend.load_nodes();
    FAIL("load_nodes did not throw");
  } catch (const BackendError& e) {
    CHECK(std::string(e.what()).find("timed out") != std::string::npos);
    CHECK(std::string(e.what()).find(dir.file("sinfo")) != std::string::npos);
    CHECK_FALSE(e.unreachable());
  }
  // The configured 300 ms, not run_command's 10 s default nor the sleep's own 60 s: a bound
  // on behaviour with a wide margin for a loaded machine, not a speed measurement.
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  const pid_t pid = std::stoi(read_file(dir.file("sleep.pid")));
  REQUIRE(pid > 1);
  for (int i = 0; i < 100 && alive(pid); ++i) std::this_thread::sleep_for(20ms);
  CHECK_FALSE(alive(pid));
  // The backend still works afterwards.
  CHECK(backend.load_jobs().jobs.size() == 16);
}

TEST_CASE("cli backend: finding the commands") {
  TempDir dir;
  write_script(dir, "squeue", kSqueueFromFixtures);

  SECTION("a bare name missing from bin_dir") {
    try {
      CliBackend backend(options_for(dir));
      FAIL("no error");
    } catch (const BackendError& e) {
      CHECK(std::string(e.what()) == "cannot find sinfo in " + dir.str());
    }
  }
  SECTION("bin_dir is a colon-separated list: later entries are searched, empty ones skipped") {
    TempDir other;
    write_script(other, "sinfo", kSinfoFromFixtures);
    CliOptions o = options_for(dir);
    o.bin_dir = "/nonexistent::" + dir.str() + ":" + other.str();
    CliBackend backend(o);
    CHECK(backend.load_nodes().nodes.size() > 0);
    o.bin_dir = "/nonexistent:";
    CHECK_THROWS_WITH(CliBackend(o), "cannot find sinfo in /nonexistent:");
  }
  SECTION("a bare name that is not executable does not count") {
    write_script(dir, "sinfo", kSinfoFromFixtures, /*executable=*/false);
    CHECK_THROWS_WITH(CliBackend(options_for(dir)), "cannot find sinfo in " + dir.str());
  }
  SECTION("a bare name missing from the default search path") {
    CliOptions o;
    o.sinfo = "se-no-such-sinfo";
    CHECK_THROWS_WITH(CliBackend(o),
                      "cannot find se-no-such-sinfo in /usr/sbin:/usr/bin:/sbin:/bin");
  }
  SECTION("a path is used as it is, and a missing one names itself") {
    write_script(dir, "my-sinfo", kSinfoFromFixtures);
    CliOptions o = options_for(dir);
    o.sinfo = dir.file("my-sinfo");
    CliBackend backend(o);
    CHECK(backend.load_nodes().nodes.size() == 6);
    o.squeue = "/nonexistent/squeue";
    try {
      CliBackend b2(o);
      FAIL("no error");
    } catch (const BackendError& e) {
      CHECK(std::string(e.what()).find("/nonexistent/squeue") != std::string::npos);
    }
  }
  SECTION("a version that doesn't parse stops the start") {
    write_script(dir, "sinfo", "echo 'sinfo: unrecognized option'");
    CHECK_THROWS_AS(CliBackend(options_for(dir)), BackendError);
  }
  SECTION("a failing --version stops the start") {
    write_script(dir, "sinfo", "echo 'sinfo: error: no configuration' >&2; exit 1");
    CHECK_THROWS_WITH(CliBackend(options_for(dir)),
                      Catch::Matchers::Contains("--version failed: exited with status 1: sinfo: "
                                                "error: no configuration"));
  }
}

TEST_CASE("cli backend: a line that doesn't parse costs that line; no line parsing is an error") {
  TempDir dir;
  write_script(dir, "sinfo",
               "case \"$1\" in\n"
               "  --version) echo 'slurm 22.05.8' ;;\n"
               "  -N) printf "
               "'node1|idle|idle|0/4/0/"
               "4|8000|100|0.01|1|0|(null)|Unknown|Unknown|(null)|(null)|debug*|none|\\n"
               "this is not sinfo output\\n' ;;\n"
               "  -h) echo debug ;;\n"
               "esac");
  write_script(
      dir, "squeue",
      "printf "
      "'1|root|(null)|debug|RUNNING|None|2|cpu=2|N/A|N/A|N/A|N/A|N/A|N/A|N/A|1|1|\\n7_1|x\\n'");
  CliBackend backend(options_for(dir));
  const NodeData nodes = backend.load_nodes();
  REQUIRE(nodes.nodes.size() == 1);
  CHECK(nodes.nodes[0].name == "node1");
  REQUIRE(nodes.parse_errors.size() == 1);
  CHECK(nodes.parse_errors[0].find("this is not sinfo output") != std::string::npos);
  const std::vector<Job> jobs = backend.load_jobs().jobs;
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].job_id == 1);
  write_script(dir, "squeue", "printf '7_1|x\\n'");
  try {
    backend.load_jobs();
    FAIL("load_jobs did not throw");
  } catch (const ParseError& e) {
    CHECK(e.line() == 1);
  }
}

TEST_CASE("a ping that 24.11's slurmctld answers in its own protocol is a version mismatch") {
  // Debian's 22.05 scontrol against a 24.11.7 slurmctld, as seen live: DOWN on stdout, an
  // auth complaint first on stderr, the protocol error after it.
  TempDir dir;
  write_script(dir, "sinfo", kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  write_script(dir, "scontrol",
               "echo 'scontrol: error: auth_g_unpack: authentication plugin unknown(1007) not "
               "found' >&2\n"
               "echo 'scontrol: error: slurm_unpack_received_msg: [[localhost]:26817] Invalid "
               "Protocol Version 10752 from uid=4294967295: Incompatible versions of client and "
               "server code' >&2\n"
               "echo 'Slurmctld(primary) at vm is DOWN'\nexit 1");
  CliBackend backend(options_for(dir));
  const ControllerStatus s = backend.ping_controllers();
  REQUIRE(s.controllers.size() == 1);
  CHECK_FALSE(s.controllers[0].up);
  CHECK(s.error.starts_with("version mismatch: "));
  CHECK(s.error.find("Slurm 22.05.8 commands") != std::string::npos);
  CHECK(s.error.find("Incompatible versions") != std::string::npos);

  // A munge failure keeps scontrol's own line.
  write_script(dir, "scontrol",
               "echo 'scontrol: error: Munge decode failed: Expired credential' >&2\n"
               "echo 'Slurmctld(primary) at vm is DOWN'\nexit 1");
  CHECK(backend.ping_controllers().error ==
        "scontrol: error: Munge decode failed: Expired credential");
}

TEST_CASE("a failed ping's stderr names its cause: version, authentication or connection") {
  using slurm_exporter::slurm::client_failure_cause;
  // 22.05's sinfo against a 26.05.3 slurmctld (seen live), and an older slurmctld's answer.
  const std::string old = client_failure_cause(
      "sinfo: error: slurm_receive_msg: Insane message length\n"
      "slurm_load_partitions: Insane message length\n",
      "22.05.8");
  CHECK(old.starts_with("version mismatch: "));
  CHECK(old.find("Slurm 22.05.8 commands") != std::string::npos);
  CHECK(old.find("Insane message length") != std::string::npos);
  CHECK(client_failure_cause("error: Incompatible versions of client and server code", "26.05.3")
            .starts_with("version mismatch: "));
  CHECK(client_failure_cause("error: Munge decode failed: Expired credential\n", "22.05.8") ==
        "authentication: error: Munge decode failed: Expired credential");
  CHECK(client_failure_cause(
            "slurm_load_partitions: Unable to contact slurm controller (connect failure)", "x") ==
        "connection: slurm_load_partitions: Unable to contact slurm controller (connect failure)");
  CHECK(client_failure_cause("", "22.05.8").empty());
  CHECK(client_failure_cause("sinfo: error: something else\n", "22.05.8").empty());
}

TEST_CASE("cli backend: without accounting it never asks for the association manager") {
  // `scontrol show assoc_mgr flags=assoc` kills Slurm 23.11's slurmctld when AccountingStorageType
  // is none (seen live on 23.11.10); the association manager is empty there anyway.
  TempDir dir;
  write_script(dir, "sinfo", kSinfoFromFixtures);
  write_script(dir, "squeue", kSqueueFromFixtures);
  const std::string assoc_mgr =
      std::string(SE_TEST_DATA_DIR) + "/slurm/fixtures/accounting/assoc_mgr.txt";
  REQUIRE(!read_file(assoc_mgr).empty());
  const auto scontrol = [&](const std::string& storage) {
    return "case \"$2\" in\n"
           "  config) printf 'PrivateData             = none\\nAccountingStorageType   = " +
           storage +
           "\\n' ;;\n"
           "  assoc_mgr) cat '" +
           assoc_mgr + "' ;;\nesac";
  };
  for (const std::string none : {"(null)", "accounting_storage/none"}) {
    INFO(none);
    write_script(dir, "scontrol", scontrol(none));
    CliBackend backend(options_for(dir));
    const AccountingState state = backend.load_assoc_mgr();
    CHECK(state.associations.empty());
    CHECK(state.qos.empty());
    // The private_data collector's config load in the same poll reuses that answer.
    CHECK(backend.load_config().accounting_storage_type.empty());
    const std::string calls = read_file(dir.file("scontrol.calls"));
    CHECK(count(calls, "[show][config]") == 1);
    CHECK(count(calls, "[assoc_mgr]") == 0);
    backend.begin_poll();  // the next poll asks again
    backend.load_config();
    CHECK(count(read_file(dir.file("scontrol.calls")), "[show][config]") == 2);
    fs::remove(dir.file("scontrol.calls"));
  }
  write_script(dir, "scontrol", scontrol("accounting_storage/slurmdbd"));
  CliBackend backend(options_for(dir));
  CHECK(backend.load_assoc_mgr().associations.size() == 12);
  CHECK(count(read_file(dir.file("scontrol.calls")), "[show][assoc_mgr][flags=assoc,qos]") == 1);
  // A config that cannot be read fails the load; it does not guess.
  write_script(dir, "scontrol", "echo 'slurm_load_ctl_conf error: timeout' >&2; exit 1");
  backend.begin_poll();
  CHECK_THROWS_WITH(backend.load_assoc_mgr(), Catch::Contains("timeout"));
}
