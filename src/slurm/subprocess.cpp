// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <new>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "slurm_exporter/errors.hpp"

namespace slurm_exporter::slurm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kDescribeMaxBytes = 200;
// Without a pidfd the loop cannot sleep until the child exits, so it looks this often.
constexpr milliseconds kExitPollInterval{10};

// std::generic_category().message is thread-safe, unlike strerror.
std::string errno_text(int err) { return std::generic_category().message(err); }

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Linux releases the descriptor even when close fails with EINTR, so no retry.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// Both ends close-on-exec from the start (pipe2), so a concurrent spawn or fork in another thread
// never inherits them.
Pipe make_pipe(const std::string& name) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0)
    throw BackendError(fmt::format("cannot run {}: pipe: {}", name, errno_text(errno)));
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // When this process runs with a standard stream closed, pipe2 can hand out 0–2; the child's
  // dup2 onto 0–2 would then overwrite an end before it is duplicated.
  for (UniqueFd* end : {&p.read, &p.write}) {
    if (end->get() > 2) continue;
    const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
      throw BackendError(fmt::format("cannot run {}: fcntl: {}", name, errno_text(errno)));
    end->reset(moved);
  }
  // O_NONBLOCK lives on the open file description; the write end is a separate one, so the child
  // still gets a blocking stdout/stderr.
  const int flags = ::fcntl(p.read.get(), F_GETFL);
  if (flags < 0 || ::fcntl(p.read.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    throw BackendError(fmt::format("cannot run {}: fcntl: {}", name, errno_text(errno)));
  return p;
}

class SpawnAttr {
 public:
  SpawnAttr() {
    // ENOMEM is the only documented failure.
    if (::posix_spawnattr_init(&attr_) != 0) throw std::bad_alloc();
  }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() { ::posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() noexcept { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() {
    if (::posix_spawn_file_actions_init(&actions_) != 0) throw std::bad_alloc();
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Starts argv[0] in a new process group with stdin from /dev/null, stdout/stderr on the given
// pipe ends and nothing else open. Returns the error number on failure.
int spawn(std::span<const std::string> argv, const std::vector<std::string>& env, int out_fd,
          int err_fd, pid_t& pid) {
  FileActions actions;
  SpawnAttr attr;
  int rc = ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), out_fd, 1);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), err_fd, 2);
  // Also closes descriptors that other code (libslurm, munge) opened without O_CLOEXEC.
  if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
  if (rc != 0) return rc;

  // The caller's thread may block signals (Asio's signal handling does) or ignore SIGPIPE; the
  // command must see neither.
  sigset_t none;
  sigset_t all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  rc = ::posix_spawnattr_setsigmask(attr.get(), &none);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(attr.get(), &all);
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(attr.get(), 0);
  if (rc == 0)
    rc = ::posix_spawnattr_setflags(
        attr.get(),
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  if (rc != 0) return rc;

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // glibc's posix_spawn waits for the exec (CLONE_VFORK) and returns its error, and the process
  // group is set before the exec, so kill(-pid) is valid as soon as this returns.
  return ::posix_spawn(&pid, args[0], actions.get(), attr.get(), args.data(), envp.data());
}

// Owns the spawned child: whatever way run_command leaves, the group is killed and the child
// reaped, so no zombie and no stray process outlive the call.
class Child {
 public:
  Child(pid_t pid, const std::string& cmd) : pid_(pid), cmd_(cmd) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) kill_and_reap();
  }

  // WNOWAIT leaves the child a zombie: its pid, and so its process group id, cannot be reused
  // before kill_and_reap has signalled the group.
  bool exited() {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      pid_ = -1;  // ECHILD: someone else reaped it (SIGCHLD ignored?); nothing left to kill
      throw BackendError(fmt::format("{}: lost track of the child: {}", cmd_, errno_text(err)));
    }
    return info.si_pid == pid_;
  }

  // SIGKILLs every process left in the child's group (a no-op for an exited child with no
  // background processes), then waits for the child. The wait status, nullopt if it was lost.
  std::optional<int> kill_and_reap() noexcept {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t rc;
    while ((rc = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (rc < 0) return std::nullopt;
    return status;
  }

 private:
  pid_t pid_;
  const std::string& cmd_;
};

struct Capture {
  UniqueFd fd;
  std::string* data;
  std::size_t keep;
  bool truncated = false;
};

// One read(): a chatty child cannot keep the loop from checking the deadline. Closes the pipe at
// end of file. Bytes beyond `keep` are discarded and flagged.
void read_once(Capture& c, std::span<char> buf, const std::string& cmd) {
  ssize_t n;
  while ((n = ::read(c.fd.get(), buf.data(), buf.size())) < 0 && errno == EINTR) {
  }
  if (n == 0) {
    c.fd.reset();
    return;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    throw BackendError(fmt::format("{}: reading its output: {}", cmd, errno_text(errno)));
  }
  const auto count = static_cast<std::size_t>(n);
  const std::size_t room = c.keep - std::min(c.keep, c.data->size());
  if (count > room) c.truncated = true;
  c.data->append(buf.data(), std::min(count, room));
}

std::string format_seconds(milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}s", static_cast<double>(d.count()) / 1000.0);
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C" (fixed in 2.37), so the system call directly. The
// descriptor is always close-on-exec. -1 when the kernel refuses.
// Whether the cancel descriptor (if any) is readable now.
bool cancelled(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool is_plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_-./:=,%+@^").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

std::string command_line(std::span<const std::string> argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    if (!arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
          return is_plain(static_cast<unsigned char>(c));
        })) {
      line += arg;
      continue;
    }
    line += '\'';
    for (const char ch : arg) {
      const auto c = static_cast<unsigned char>(ch);
      if (ch == '\'') {
        line += "'\\''";
      } else if (ch == '\n') {
        line += "\\n";
      } else if (ch == '\t') {
        line += "\\t";
      } else if (is_control(c)) {
        line += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
      } else {
        line += ch;
      }
    }
    line += '\'';
  }
  return line;
}

CommandResult run_command(std::span<const std::string> argv, const CommandOptions& options) {
  if (argv.empty()) throw BackendError("cannot run an empty command");
  const std::string program = command_line(argv.first(1));
  // posix_spawn reports these too, but checking first gives the plain "No such file or
  // directory" whatever the libc does on exec failure.
  if (::access(argv[0].c_str(), X_OK) != 0)
    throw BackendError(fmt::format("cannot run {}: {}", program, errno_text(errno)));

  Pipe out_pipe = make_pipe(program);
  Pipe err_pipe = make_pipe(program);

  const std::string cmd = command_line(argv);
  if (cancelled(options.cancel_fd)) throw BackendError(fmt::format("{} cancelled", cmd));
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  pid_t pid = -1;
  if (const int rc = spawn(argv, options.env, out_pipe.write.get(), err_pipe.write.get(), pid);
      rc != 0)
    throw BackendError(fmt::format("cannot run {}: {}", program, errno_text(rc)));
  Child child(pid, cmd);
  // Our copies of the write ends must go, or end of file never comes.
  out_pipe.write.reset();
  err_pipe.write.reset();
  // A pidfd lets poll wake up when the child exits even while its pipes stay open (a background
  // grandchild holds them) or are already closed. Kernels before 5.3 or seccomp filters refuse
  // it; then the loop polls for the exit instead.
  const UniqueFd pidfd(pidfd_open(pid));

  CommandResult result;
  Capture out{std::move(out_pipe.read), &result.out, options.max_output_bytes};
  Capture err{std::move(err_pipe.read), &result.err, kMaxStderrBytes};
  std::vector<char> buf(kReadChunk);
  bool exited = false;

  for (;;) {
    if (!exited) exited = child.exited();
    if (exited && !out.fd && !err.fd) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      child.kill_and_reap();
      throw BackendError(
          fmt::format("{} timed out after {}{}", cmd, format_seconds(options.timeout),
                      exited ? " (it exited, but a background process kept its output open)" : ""));
    }
    auto wait = std::chrono::ceil<milliseconds>(deadline - now);
    if (!exited && !pidfd) wait = std::min(wait, kExitPollInterval);
    wait = std::min(wait, milliseconds(std::numeric_limits<int>::max()));

    std::array<pollfd, 4> fds{};
    nfds_t n = 0;
    if (options.cancel_fd >= 0) fds[n++] = pollfd{options.cancel_fd, POLLIN, 0};
    for (const Capture* c : {&out, &err}) {
      if (c->fd) fds[n++] = pollfd{c->fd.get(), POLLIN, 0};
    }
    if (!exited && pidfd) fds[n++] = pollfd{pidfd.get(), POLLIN, 0};
    if (::poll(fds.data(), n, static_cast<int>(wait.count())) < 0) {
      if (errno == EINTR) continue;
      throw BackendError(fmt::format("{}: poll: {}", cmd, errno_text(errno)));
    }
    if (options.cancel_fd >= 0 && fds[0].revents != 0) {
      child.kill_and_reap();
      throw BackendError(fmt::format("{} cancelled", cmd));
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0 || fds[i].fd == options.cancel_fd) continue;
      for (Capture* c : {&out, &err}) {
        if (c->fd && c->fd.get() == fds[i].fd) read_once(*c, buf, cmd);
      }
    }
    if (out.truncated) {
      child.kill_and_reap();
      throw BackendError(
          fmt::format("{} wrote more than {} bytes to stdout", cmd, options.max_output_bytes));
    }
  }

  // The child has exited; this only removes background processes left in its group.
  const std::optional<int> status = child.kill_and_reap();
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  if (!status) throw BackendError(fmt::format("{}: lost track of the child", cmd));
  if (WIFSIGNALED(*status)) {
    result.term_signal = WTERMSIG(*status);
  } else {
    result.exit_code = WEXITSTATUS(*status);
  }
  result.err_truncated = err.truncated;
  return result;
}

std::string describe(const CommandResult& r) {
  std::string text;
  if (r.term_signal != 0) {
    const char* abbrev = ::sigabbrev_np(r.term_signal);
    text = abbrev ? fmt::format("killed by signal {} (SIG{})", r.term_signal, abbrev)
                  : fmt::format("killed by signal {}", r.term_signal);
  } else {
    text = fmt::format("exited with status {}", r.exit_code);
  }

  // The first line with something on it: Slurm commands sometimes start with an empty line.
  std::string_view rest = r.err;
  std::string_view line;
  constexpr std::string_view kBlank = " \t\r\n\v\f";
  while (!rest.empty() && line.empty()) {
    const std::size_t nl = rest.find('\n');
    line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    const std::size_t first = line.find_first_not_of(kBlank);
    line = first == std::string_view::npos
               ? std::string_view{}
               : line.substr(first, line.find_last_not_of(kBlank) - first + 1);
  }
  if (line.empty()) return text;

  bool cut = false;
  if (line.size() > kDescribeMaxBytes) {
    std::size_t end = kDescribeMaxBytes;
    // Do not split a UTF-8 sequence.
    while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
    line = line.substr(0, end);
    cut = true;
  }
  text += ": ";
  for (const char ch : line) text += is_control(static_cast<unsigned char>(ch)) ? ' ' : ch;
  if (cut) text += "...";
  return text;
}

}  // namespace slurm_exporter::slurm
