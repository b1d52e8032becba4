// SPDX-License-Identifier: GPL-2.0-or-later
// The process families every Go exporter has, defined as client_golang's process collector
// (and procfs) define them.
#include "slurm_exporter/collectors/process.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "slurm_exporter/errors.hpp"

namespace slurm_exporter::collectors {
namespace {

std::vector<std::string_view> split_ws(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

double to_number(std::string_view field, std::string_view what) {
  unsigned long long v = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc{} || end != field.data() + field.size()) {
    throw ParseError(std::string(what) + ": not a number: \"" + std::string(field) + "\"");
  }
  return static_cast<double>(v);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ProcStat parse_proc_stat(std::string_view text) {
  // "pid (comm) state ppid …": comm may contain ") ", so the fields start after the last ')'.
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) throw ParseError("/proc/self/stat: no \"(comm)\"");
  const auto f = split_ws(text.substr(close + 1));
  // f[0] is field 3 (state): field n is f[n - 3].
  if (f.size() < 22) throw ParseError("/proc/self/stat: fewer than 24 fields");
  ProcStat s;
  s.utime_ticks = to_number(f[11], "/proc/self/stat utime");
  s.stime_ticks = to_number(f[12], "/proc/self/stat stime");
  s.starttime_ticks = to_number(f[19], "/proc/self/stat starttime");
  s.vsize_bytes = to_number(f[20], "/proc/self/stat vsize");
  s.rss_pages = to_number(f[21], "/proc/self/stat rss");
  return s;
}

double parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    const auto f = split_ws(proc_stat.substr(pos, end - pos));
    if (f.size() == 2 && f[0] == "btime") return to_number(f[1], "/proc/stat btime");
    pos = end + 1;
  }
  throw ParseError("/proc/stat: no btime line");
}

double parse_max_open_files(std::string_view limits) {
  constexpr std::string_view kName = "Max open files";
  const std::size_t at = limits.find(kName);
  if (at == std::string_view::npos) throw ParseError("/proc/self/limits: no \"Max open files\"");
  std::string_view rest = limits.substr(at + kName.size());
  rest = rest.substr(0, rest.find('\n'));
  const auto f = split_ws(rest);
  if (f.empty()) throw ParseError("/proc/self/limits: \"Max open files\" without a value");
  if (f[0] == "unlimited") return static_cast<double>(std::numeric_limits<std::uint64_t>::max());
  return to_number(f[0], "/proc/self/limits Max open files");
}

ProcessStats process_stats(const ProcStat& stat, double boot_time, double ticks_per_second,
                           double page_size, double open_fds, double max_fds) {
  ProcessStats p;
  p.cpu_seconds = (stat.utime_ticks + stat.stime_ticks) / ticks_per_second;
  p.resident_bytes = stat.rss_pages * page_size;
  p.virtual_bytes = stat.vsize_bytes;
  p.open_fds = open_fds;
  p.max_fds = max_fds;
  p.start_time_seconds = boot_time + stat.starttime_ticks / ticks_per_second;
  return p;
}

ProcessStats read_process_stats(const std::string& proc_root) {
  const std::string self = proc_root + "/self";
  const ProcStat stat = parse_proc_stat(slurp(self + "/stat"));
  const double boot = parse_boot_time(slurp(proc_root + "/stat"));
  const double max_fds = parse_max_open_files(slurp(self + "/limits"));
  double fds = 0;
  // The directory's own descriptor is counted too, as procfs' FileDescriptorsLen does.
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(self + "/fd")) ++fds;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (ticks <= 0 || page <= 0) throw std::runtime_error("sysconf: no clock tick or page size");
  return process_stats(stat, boot, static_cast<double>(ticks), static_cast<double>(page), fds,
                       max_fds);
}

std::vector<metrics::Family> process_families(const ProcessStats& s) {
  using metrics::Family;
  using metrics::Type;
  auto one = [](std::string name, std::string help, Type type, double v) {
    Family f{std::move(name), std::move(help), type, {}, {}};
    f.samples.emplace_back(std::vector<std::string>{}, v);
    return f;
  };
  std::vector<Family> out;
  out.push_back(one("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    Type::kCounter, s.cpu_seconds));
  out.push_back(
      one("process_max_fds", "Maximum number of open file descriptors.", Type::kGauge, s.max_fds));
  out.push_back(
      one("process_open_fds", "Number of open file descriptors.", Type::kGauge, s.open_fds));
  out.push_back(one("process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge,
                    s.resident_bytes));
  out.push_back(one("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", Type::kGauge,
                    s.start_time_seconds));
  out.push_back(one("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge,
                    s.virtual_bytes));
  return out;
}

}  // namespace slurm_exporter::collectors
