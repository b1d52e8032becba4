// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::collectors {

/// The fields of /proc/<pid>/stat the process families need (proc(5) numbering).
struct ProcStat {
  double utime_ticks = 0;      ///< field 14
  double stime_ticks = 0;      ///< field 15
  double starttime_ticks = 0;  ///< field 22, clock ticks after boot
  double vsize_bytes = 0;      ///< field 23
  double rss_pages = 0;        ///< field 24
};

/// The exporter's own process, as client_golang's process collector reports it.
struct ProcessStats {
  double cpu_seconds = 0;         ///< (utime + stime) / clock ticks per second
  double resident_bytes = 0;      ///< rss pages × page size
  double virtual_bytes = 0;       ///< vsize
  double open_fds = 0;            ///< entries of /proc/<pid>/fd
  double max_fds = 0;             ///< soft "Max open files" of /proc/<pid>/limits
  double start_time_seconds = 0;  ///< boot time + starttime / clock ticks per second
};

/// Parses /proc/<pid>/stat (the command name may hold spaces and parentheses). Throws
/// ParseError on text of another shape.
ProcStat parse_proc_stat(std::string_view text);

/// The boot time (unix seconds) from the "btime" line of /proc/stat. Throws ParseError.
double parse_boot_time(std::string_view proc_stat);

/// The soft limit of "Max open files" in /proc/<pid>/limits ("unlimited": 2^64 - 1, as
/// procfs reads it). Throws ParseError.
double parse_max_open_files(std::string_view limits);

/// Combines the parsed files; `ticks_per_second` from sysconf(_SC_CLK_TCK).
ProcessStats process_stats(const ProcStat& stat, double boot_time, double ticks_per_second,
                           double page_size, double open_fds, double max_fds);

/// Reads /proc/self (under `proc_root`, "/proc" outside tests). Throws ParseError or
/// std::runtime_error when a file cannot be read.
ProcessStats read_process_stats(const std::string& proc_root = "/proc");

/// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
/// process_open_fds, process_max_fds, process_start_time_seconds (client_golang's names and
/// help texts).
std::vector<metrics::Family> process_families(const ProcessStats& stats);

}  // namespace slurm_exporter::collectors
