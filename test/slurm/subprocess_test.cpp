// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/subprocess.hpp"
#include "../support/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "slurm_exporter/errors.hpp"

using slurm_exporter::BackendError;
using slurm_exporter::slurm::command_line;
using slurm_exporter::slurm::CommandOptions;
using slurm_exporter::slurm::CommandResult;
using slurm_exporter::slurm::describe;
using slurm_exporter::slurm::kMaxStderrBytes;
using slurm_exporter::slurm::run_command;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

CommandOptions base_options() {
  CommandOptions o;
  o.env = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
  return o;
}

CommandResult run(const std::vector<std::string>& argv, const CommandOptions& o = base_options()) {
  return run_command(argv, o);
}

CommandResult sh(const std::string& script, const CommandOptions& o = base_options()) {
  return run({"/bin/sh", "-c", script}, o);
}

// A fresh directory for fake commands, pid files and scratch programs, removed afterwards.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("se_subprocess") {}
};

std::vector<pid_t> read_pids(const fs::path& file) {
  std::ifstream in(file);
  std::vector<pid_t> pids;
  for (long pid; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

void write_file(const fs::path& file, const std::string& text, mode_t mode) {
  std::ofstream(file) << text;
  REQUIRE(::chmod(file.c_str(), mode) == 0);
}

// The process state letter from /proc/<pid>/stat, '\0' when the process does not exist.
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '\0';
  return stat[paren + 2];
}

// A process is dead once it is gone or a zombie; an orphaned grandchild's zombie waits for init,
// which may take a moment.
bool dead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    if (process_state(pid) == 'Z') return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// True when `pid` is not (any more) a child of this process, i.e. it has been reaped.
bool reaped(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

// True when this process has no child at all, so none can be a zombie.
bool no_children() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

std::size_t count_open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::string what_of(const std::vector<std::string>& argv, const CommandOptions& o) {
  try {
    run_command(argv, o);
  } catch (const BackendError& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("run_command captures stdout byte for byte, NUL and high bytes included",
          "[subprocess]") {
  const CommandResult r = sh(R"(printf 'a\000b\377c\n\n')");
  CHECK(r.out == std::string("a\0b\xff"
                             "c\n\n",
                             7));
  CHECK(r.err.empty());
  CHECK_FALSE(r.err_truncated);
  CHECK(r.exit_code == 0);
  CHECK(r.term_signal == 0);

  CHECK(run({"/bin/echo", "-n", ""}).out.empty());
  CHECK(run({"/bin/echo", "two words", "x"}).out == "two words x\n");
}

TEST_CASE("run_command reads a 20 MB stdout completely", "[subprocess]") {
  constexpr std::size_t kSize = 20 * 1024 * 1024;
  const std::string line = "0123456789abcdef\n";
  const CommandResult r =
      sh("yes 0123456789abcdef | head -c " + std::to_string(kSize) + "; echo done >&2");
  REQUIRE(r.out.size() == kSize);
  std::size_t mismatch = kSize;
  for (std::size_t i = 0; i < kSize; ++i) {
    if (r.out[i] != line[i % line.size()]) {
      mismatch = i;
      break;
    }
  }
  CHECK(mismatch == kSize);
  CHECK(r.err == "done\n");
  CHECK(r.exit_code == 0);
}

TEST_CASE("run_command reports stderr, the exit status and a killing signal", "[subprocess]") {
  const CommandResult failed = sh("echo partial; echo 'sinfo: error: oops' >&2; exit 3");
  CHECK(failed.out == "partial\n");
  CHECK(failed.err == "sinfo: error: oops\n");
  CHECK_FALSE(failed.err_truncated);
  CHECK(failed.exit_code == 3);
  CHECK(failed.term_signal == 0);
  CHECK(describe(failed) == "exited with status 3: sinfo: error: oops");

  CHECK(sh("exit 255").exit_code == 255);

  const CommandResult killed = sh("echo dying >&2; kill -TERM $$; sleep 5");
  CHECK(killed.term_signal == SIGTERM);
  CHECK(killed.exit_code == 0);
  CHECK(describe(killed) == "killed by signal 15 (SIGTERM): dying");

  const CommandResult aborted = sh("kill -KILL $$");
  CHECK(aborted.term_signal == SIGKILL);
  CHECK(describe(aborted) == "killed by signal 9 (SIGKILL)");
}

TEST_CASE("run_command reads stderr while stdout is pending and keeps only its first 64 KiB",
          "[subprocess]") {
  // 1 MiB on stderr before anything on stdout: a reader that waited for stdout first would
  // leave the child blocked on a full stderr pipe until the timeout.
  CommandOptions o = base_options();
  o.timeout = 30s;
  const CommandResult r = sh("head -c 1048576 /dev/zero | tr '\\0' e >&2; echo done", o);
  CHECK(r.out == "done\n");
  CHECK(r.exit_code == 0);
  CHECK(r.err.size() == kMaxStderrBytes);
  CHECK(r.err == std::string(kMaxStderrBytes, 'e'));
  CHECK(r.err_truncated);

  const CommandResult exact = sh("head -c 65536 /dev/zero | tr '\\0' e >&2");
  CHECK(exact.err.size() == kMaxStderrBytes);
  CHECK_FALSE(exact.err_truncated);
}

TEST_CASE("the child's environment is exactly options.env", "[subprocess]") {
  REQUIRE(::setenv("SE_SUBPROCESS_TEST_PARENT_ONLY", "leak", 1) == 0);
  CommandOptions o;
  o.env = {"LC_ALL=C", "SLURM_TIME_FORMAT=standard", "WITH_SPACE=a b", "EMPTY="};
  const CommandResult r = run({"/usr/bin/env"}, o);
  ::unsetenv("SE_SUBPROCESS_TEST_PARENT_ONLY");
  CHECK(r.out == "LC_ALL=C\nSLURM_TIME_FORMAT=standard\nWITH_SPACE=a b\nEMPTY=\n");
  CHECK(r.out.find("LC_ALL=C\n") != std::string::npos);
  CHECK(r.out.find("SE_SUBPROCESS_TEST_PARENT_ONLY") == std::string::npos);

  CHECK(run({"/usr/bin/env"}, CommandOptions{}).out.empty());
}

TEST_CASE("the child's stdin is /dev/null", "[subprocess]") {
  CommandOptions o = base_options();
  o.timeout = 5s;
  const CommandResult r = run({"/bin/cat"}, o);
  CHECK(r.out.empty());
  CHECK(r.exit_code == 0);
  CHECK(run({"/usr/bin/readlink", "/proc/self/fd/0"}).out == "/dev/null\n");
}

TEST_CASE("the child inherits only stdin, stdout and stderr", "[subprocess]") {
  const int cloexec_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int inheritable_fd = ::open("/dev/null", O_RDONLY);  // as careless library code would
  REQUIRE(cloexec_fd >= 0);
  REQUIRE(inheritable_fd >= 0);
  // ls opens /proc/self/fd itself as 3; anything else would be inherited.
  const CommandResult r = run({"/bin/ls", "/proc/self/fd"});
  const CommandResult links =
      run({"/usr/bin/readlink", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2"});
  ::close(cloexec_fd);
  ::close(inheritable_fd);
  CHECK(r.out == "0\n1\n2\n3\n");
  CHECK_THAT(links.out, Catch::Matches("/dev/null\npipe:\\[\\d+\\]\npipe:\\[\\d+\\]\n"));
}

TEST_CASE("the child leads its own process group with default signal handling", "[subprocess]") {
  const CommandResult r = sh("echo $$; cut -d' ' -f5 /proc/$$/stat");
  std::istringstream lines(r.out);
  long pid = 0;
  long pgid = 0;
  lines >> pid >> pgid;
  CHECK(pid > 0);
  CHECK(pgid == pid);
  CHECK(pgid != ::getpgrp());

  // What the exporter's threads may do; neither may reach sinfo.
  sigset_t usr1;
  sigset_t old_mask;
  ::sigemptyset(&usr1);
  ::sigaddset(&usr1, SIGUSR1);
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask) == 0);
  struct sigaction ignore {};
  struct sigaction old_pipe {};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGPIPE, &ignore, &old_pipe) == 0);
  const CommandResult sig = run({"/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  std::istringstream fields(sig.out);
  std::string blk_name, ign_name;
  std::uint64_t blocked = ~0ULL;
  std::uint64_t ignored = ~0ULL;
  fields >> blk_name >> std::hex >> blocked >> ign_name >> ignored;
  CHECK(blk_name == "SigBlk:");
  CHECK(ign_name == "SigIgn:");
  CHECK(blocked == 0);
  // Signals 1-31; glibc's posix_spawn itself leaves its internal real-time signals (32, 33)
  // ignored in the child.
  CHECK((ignored & 0x7fffffffULL) == 0);
}

TEST_CASE("a timeout kills the whole process group and reaps the child", "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  CommandOptions o = base_options();
  o.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  // The background sleep is a grandchild; `exec` keeps $$ as the direct child.
  const std::string what =
      what_of({"/bin/sh", "-c", "sleep 100 & echo $! > \"$1\"; echo $$ >> \"$1\"; exec sleep 100",
               "sh", pids.string()},
              o);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK_THAT(what, Catch::StartsWith("/bin/sh -c ") && Catch::EndsWith(" timed out after 0.3s"));
  CHECK(waited >= 300ms);
  CHECK(waited < 10s);  // the command alone would take 100 s
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 2);
  CHECK(reaped(p[1]));
  CHECK(dead(p[1]));
  CHECK(dead(p[0]));
  CHECK(no_children());

  o.timeout = 10s;
  CHECK_THAT(what_of({"/bin/sleep", "100"},
                     [&] {
                       CommandOptions q = o;
                       q.timeout = 200ms;
                       return q;
                     }()),
             Catch::Equals("/bin/sleep 100 timed out after 0.2s"));
}

TEST_CASE("a cancel descriptor ends a running command and its group at once", "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  const int efd = ::eventfd(0, EFD_CLOEXEC);
  REQUIRE(efd >= 0);
  CommandOptions o = base_options();
  o.timeout = 60s;
  o.cancel_fd = efd;
  std::thread canceller([efd] {
    std::this_thread::sleep_for(300ms);
    const std::uint64_t one = 1;
    CHECK(::write(efd, &one, sizeof one) == sizeof one);
  });
  const auto start = std::chrono::steady_clock::now();
  const std::string what =
      what_of({"/bin/sh", "-c", "sleep 100 & echo $! > \"$1\"; echo $$ >> \"$1\"; exec sleep 100",
               "sh", pids.string()},
              o);
  const auto waited = std::chrono::steady_clock::now() - start;
  canceller.join();
  CHECK_THAT(what, Catch::StartsWith("/bin/sh -c ") && Catch::EndsWith(" cancelled"));
  CHECK(waited >= 300ms);
  CHECK(waited < 30s);  // neither the 60 s timeout nor the 100 s command
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 2);
  CHECK(reaped(p[1]));
  CHECK(dead(p[0]));
  CHECK(no_children());
  // Once cancelled, later commands do not start at all.
  CHECK_THAT(what_of({"/bin/true"}, o), Catch::Equals("/bin/true cancelled"));
  ::close(efd);
}

TEST_CASE("a child that exits while a background process holds its output open times out",
          "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  CommandOptions o = base_options();
  o.timeout = 300ms;
  const std::string what =
      what_of({"/bin/sh", "-c", "sleep 100 & echo $! > \"$1\"", "sh", pids.string()}, o);
  CHECK_THAT(what, Catch::Contains("timed out after 0.3s") &&
                       Catch::Contains("a background process kept its output open"));
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 1);
  CHECK(dead(p[0]));
  CHECK(no_children());
}

TEST_CASE("a child that closes its output but keeps running still times out", "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  CommandOptions o = base_options();
  o.timeout = 300ms;
  const std::string what = what_of(
      {"/bin/sh", "-c", "echo $$ > \"$1\"; exec sleep 100 >&- 2>&-", "sh", pids.string()}, o);
  CHECK_THAT(what, Catch::EndsWith("timed out after 0.3s"));
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 1);
  CHECK(reaped(p[0]));
  CHECK(no_children());
}

TEST_CASE("background processes left in the group are killed when the command finishes",
          "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  const CommandResult r =
      run({"/bin/sh", "-c", "sleep 100 >/dev/null 2>&1 & echo $! > \"$1\"; echo ok; exit 4", "sh",
           pids.string()});
  CHECK(r.out == "ok\n");
  CHECK(r.exit_code == 4);
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 1);
  CHECK(dead(p[0]));
}

TEST_CASE("stdout over max_output_bytes kills the group and reaps the child", "[subprocess]") {
  TempDir dir;
  const fs::path pids = dir / "pids";
  CommandOptions o = base_options();
  o.max_output_bytes = 1024 * 1024;
  const auto start = std::chrono::steady_clock::now();
  const std::string what =
      what_of({"/bin/sh", "-c", "echo $$ > \"$1\"; exec yes", "sh", pids.string()}, o);
  CHECK(std::chrono::steady_clock::now() - start < 10s);  // the default timeout would be 10 s
  CHECK_THAT(what, Catch::EndsWith("wrote more than 1048576 bytes to stdout"));
  const std::vector<pid_t> p = read_pids(pids);
  REQUIRE(p.size() == 1);
  CHECK(reaped(p[0]));
  CHECK(no_children());

  o.max_output_bytes = 4;
  CHECK(run({"/bin/echo", "abc"}, o).out == "abc\n");
  o.max_output_bytes = 3;
  CHECK(what_of({"/bin/echo", "abc"}, o) == "/bin/echo abc wrote more than 3 bytes to stdout");
}

TEST_CASE("a program that cannot be started is a BackendError naming it", "[subprocess]") {
  const CommandOptions o = base_options();
  CHECK(what_of({"/nonexistent/bin/sinfo", "-h"}, o) ==
        "cannot run /nonexistent/bin/sinfo: No such file or directory");
  // No PATH search even though PATH is set: "sh" is relative to the working directory.
  CHECK(what_of({"sh", "-c", "true"}, o) == "cannot run sh: No such file or directory");
  CHECK(what_of({}, o) == "cannot run an empty command");
  CHECK(what_of({""}, o) == "cannot run '': No such file or directory");

  TempDir dir;
  const fs::path script = dir / "not executable";
  write_file(script, "#!/bin/sh\necho hi\n", 0644);
  CHECK(what_of({script.string()}, o) == "cannot run '" + script.string() + "': Permission denied");
  // No shell either: an executable text file without #! is not run by /bin/sh.
  const fs::path bare = dir / "bare";
  write_file(bare, "echo hi\n", 0755);
  CHECK(what_of({bare.string()}, o) == "cannot run " + bare.string() + ": Exec format error");
  // access(X_OK) passes for a directory; the exec error must come through from posix_spawn.
  CHECK(what_of({dir / "."}, o).find("Permission denied") != std::string::npos);
  CHECK(no_children());
}

TEST_CASE("repeated runs leak no descriptor and leave no zombie", "[subprocess]") {
  CommandOptions quick = base_options();
  quick.timeout = 50ms;
  quick.max_output_bytes = 16;
  run({"/bin/true"});  // first-use allocations (locale, Catch) out of the count
  const std::size_t before = count_open_fds();
  for (int i = 0; i < 100; ++i) {
    switch (i % 5) {
      case 0:
        CHECK(run({"/bin/echo", std::to_string(i)}).out == std::to_string(i) + "\n");
        break;
      case 1:
        CHECK(sh("echo e >&2; exit 1").exit_code == 1);
        break;
      case 2:
        CHECK_THROWS_AS(run({"/nonexistent"}), BackendError);
        break;
      case 3:
        CHECK_THROWS_AS(run({"/usr/bin/yes"}, quick), BackendError);
        break;
      default:
        if (i % 25 == 4) CHECK_THROWS_AS(run({"/bin/sleep", "10"}, quick), BackendError);
        break;
    }
  }
  CHECK(count_open_fds() == before);
  CHECK(no_children());
}

TEST_CASE("run_command can be used from several threads at once", "[subprocess]") {
  constexpr int kThreads = 4;
  constexpr int kRuns = 25;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < kRuns; ++i) {
        const std::string word = std::to_string(t) + "-" + std::to_string(i);
        try {
          if (run({"/bin/echo", word}).out != word + "\n") ++wrong[static_cast<std::size_t>(t)];
        } catch (...) {
          ++wrong[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(kThreads, 0));
  CHECK(no_children());
}

TEST_CASE("elapsed covers the run", "[subprocess]") {
  const CommandResult r = run({"/bin/sleep", "0.2"});
  CHECK(r.elapsed >= 200ms);
  CHECK(r.exit_code == 0);
}

TEST_CASE("describe is one line with the first non-blank line of stderr", "[subprocess]") {
  CommandResult r;
  CHECK(describe(r) == "exited with status 0");
  r.exit_code = 1;
  r.err = "\n  \r\n\tslurm_load_jobs error: Unable to contact slurm controller\r\nsecond\n";
  CHECK(describe(r) ==
        "exited with status 1: slurm_load_jobs error: Unable to contact slurm "
        "controller");
  r.err = "a\tb\x1b[0m";
  CHECK(describe(r) == "exited with status 1: a b [0m");
  r.err = " \n\n";
  CHECK(describe(r) == "exited with status 1");
  r.err = std::string(300, 'x');
  CHECK(describe(r) == "exited with status 1: " + std::string(200, 'x') + "...");
  r.err = std::string(199, 'x') + "\xc3\xa9" + "tail";  // é straddles the cut
  CHECK(describe(r) == "exited with status 1: " + std::string(199, 'x') + "...");

  r = CommandResult{};
  r.term_signal = SIGSEGV;
  CHECK(describe(r) == "killed by signal 11 (SIGSEGV)");
  r.term_signal = 77;  // not a signal glibc names
  CHECK(describe(r) == "killed by signal 77");
}

TEST_CASE("command_line quotes only what needs it", "[subprocess]") {
  const std::vector<std::string> argv = {
      "/usr/bin/squeue", "-h", "-o", "%i|%T", "", "it's", "a\nb", "SLURM_CONF=/etc/slurm.conf"};
  CHECK(command_line(argv) ==
        R"(/usr/bin/squeue -h -o '%i|%T' '' 'it'\''s' 'a\nb' SLURM_CONF=/etc/slurm.conf)");
  CHECK(command_line(std::vector<std::string>{"x\x01"}) == R"('x\x01')");
  CHECK(command_line(std::vector<std::string>{}).empty());
}
