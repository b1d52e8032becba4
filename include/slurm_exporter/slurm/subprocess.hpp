// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace slurm_exporter::slurm {

/// How run_command runs one command.
struct CommandOptions {
  /// Limit on the whole run, from spawn to exit (including waiting for the output pipes to close).
  std::chrono::milliseconds timeout{10'000};
  /// Limit on stdout in bytes; exactly this many is allowed, one more fails the run.
  /// (stderr is never a failure: its first kMaxStderrBytes are kept, the rest is discarded.)
  std::size_t max_output_bytes = 256 * 1024 * 1024;
  /// The child's complete environment as "K=V" entries; nothing is inherited from this process
  /// (the caller pins LC_ALL=C, SLURM_TIME_FORMAT=standard, SLURM_CONF, PATH…). Empty = no
  /// environment at all.
  std::vector<std::string> env;
  /// A descriptor that becomes readable when the run must be abandoned (e.g. an eventfd a
  /// shutdown writes to and never resets), or -1 for none. When it is readable, before the spawn
  /// or while waiting, the process group is killed with SIGKILL, the child reaped and
  /// BackendError ("… cancelled") thrown. Not owned, not read from.
  int cancel_fd = -1;
};

/// How much of stderr a CommandResult keeps (the first 64 KiB).
inline constexpr std::size_t kMaxStderrBytes = 64 * 1024;

/// What a command did. Plain data.
struct CommandResult {
  /// The exit status (0–255); valid when term_signal == 0, otherwise 0.
  int exit_code = 0;
  /// The signal that killed the child, 0 if it exited.
  int term_signal = 0;
  /// Everything the command wrote to stdout, byte for byte (NULs included).
  std::string out;
  /// The first kMaxStderrBytes the command wrote to stderr.
  std::string err;
  /// Whether stderr was longer than kMaxStderrBytes and `err` is only its beginning.
  bool err_truncated = false;
  /// Wall time from just before the spawn to the child being reaped.
  std::chrono::milliseconds elapsed{0};
};

/// Runs argv (argv[0] an absolute or relative path: no PATH search, no shell) with stdin from
/// /dev/null, stdout and stderr captured through pipes, no other file descriptor inherited
/// (whether or not it is close-on-exec), default signal dispositions and an empty signal mask, in
/// a new process group whose id is the child's pid. Blocks the calling thread until the command
/// has finished and been reaped; any process still left in its process group at that point (a
/// background grandchild) is killed with SIGKILL. Descendants that leave the group (setsid) are
/// not tracked. Safe in a multi-threaded process and from several threads at once (posix_spawn,
/// every descriptor close-on-exec, no shared state); it must not race with code that reaps
/// children it does not own (waitpid(-1), SIGCHLD set to SIG_IGN).
///
/// Throws BackendError with a one-line message naming the command when:
/// - it cannot be started ("cannot run /usr/bin/sinfo: No such file or directory"), including
///   an empty argv, a missing or non-executable file, or one the kernel cannot execute;
/// - the timeout expires, also when the child has exited but a background process keeps the
///   pipes open ("… timed out after 10s"); the whole process group is killed with SIGKILL and
///   the child reaped before the throw;
/// - options.cancel_fd becomes readable ("… cancelled"); the group is killed and the child
///   reaped before the throw;
/// - stdout exceeds max_output_bytes ("… wrote more than 1048576 bytes to stdout"); the group is
///   killed and the child reaped before the throw.
/// Does NOT throw for a non-zero exit status or a death by signal: the caller decides.
/// Also throws BackendError if the child cannot be waited for (someone else reaped it) and may
/// throw std::bad_alloc; the child is killed and reaped on every path.
CommandResult run_command(std::span<const std::string> argv, const CommandOptions& options);

/// One line describing the outcome for logs and error messages: "exited with status 1: <first
/// non-blank line of stderr>", "killed by signal 9 (SIGKILL)", or "exited with status 0" when
/// stderr is blank. Control characters are replaced by spaces and the stderr part is cut to 200
/// bytes.
std::string describe(const CommandResult& r);

/// argv as one loggable line: plain words as they are, anything else in single quotes with
/// control characters escaped (\n, \t, \xNN). Used in run_command's messages.
std::string command_line(std::span<const std::string> argv);

}  // namespace slurm_exporter::slurm
