// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/process.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "../support/golden.hpp"
#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter;
using collectors::parse_boot_time;
using collectors::parse_max_open_files;
using collectors::parse_proc_stat;

namespace {
std::string fixture(const std::string& name) {
  return test_support::read_file(std::string(SE_TEST_DATA_DIR) + "/collectors/fixtures/proc/" +
                                 name);
}
}  // namespace

TEST_CASE("process: /proc/self/stat fields, comm with spaces and parentheses") {
  const auto s = parse_proc_stat(fixture("self_stat"));
  CHECK(s.utime_ticks == 250);
  CHECK(s.stime_ticks == 130);
  CHECK(s.starttime_ticks == 4500);
  CHECK(s.vsize_bytes == 812347392);
  CHECK(s.rss_pages == 3120);
}

TEST_CASE("process: boot time and the soft open-files limit") {
  CHECK(parse_boot_time(fixture("stat")) == 1765000000);
  CHECK(parse_max_open_files(fixture("self_limits")) == 65536);
  CHECK(parse_max_open_files("Max open files            unlimited            unlimited  files\n") ==
        18446744073709551615.0);
}

TEST_CASE("process: client_golang's definitions and exact text") {
  const auto p = collectors::process_stats(parse_proc_stat(fixture("self_stat")),
                                           parse_boot_time(fixture("stat")), 100, 4096, 7, 65536);
  CHECK(p.cpu_seconds == Approx(3.8));  // (250 + 130) / 100
  CHECK(p.resident_bytes == 3120.0 * 4096);
  CHECK(p.start_time_seconds == 1765000045);  // btime + 4500 / 100
  const std::string text = test_support::render(collectors::process_families(p));
  CHECK(text ==
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        "# TYPE process_cpu_seconds_total counter\n"
        "process_cpu_seconds_total 3.8\n"
        "# HELP process_max_fds Maximum number of open file descriptors.\n"
        "# TYPE process_max_fds gauge\n"
        "process_max_fds 65536\n"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\n"
        "process_open_fds 7\n"
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\n"
        "process_resident_memory_bytes 12779520\n"
        "# HELP process_start_time_seconds Start time of the process since unix epoch in "
        "seconds.\n"
        "# TYPE process_start_time_seconds gauge\n"
        "process_start_time_seconds 1765000045\n"
        "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
        "# TYPE process_virtual_memory_bytes gauge\n"
        "process_virtual_memory_bytes 812347392\n");
}

TEST_CASE("process: bad /proc text is a ParseError") {
  CHECK_THROWS_AS(parse_proc_stat("1234 no comm"), ParseError);
  CHECK_THROWS_AS(parse_proc_stat("1 (x) S 1 2 3"), ParseError);
  CHECK_THROWS_AS(parse_boot_time("cpu 1 2 3\n"), ParseError);
  CHECK_THROWS_AS(parse_max_open_files("Max open files   lots  lots files\n"), ParseError);
}

TEST_CASE("process: the live /proc/self agrees with the process") {
  const auto p = collectors::read_process_stats();
  CHECK(p.open_fds >= 3);
  CHECK(p.resident_bytes > 0);
  CHECK(p.virtual_bytes >= p.resident_bytes);
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(p.start_time_seconds <= now + 1);
  CHECK(p.start_time_seconds > now - 24 * 3600);  // this test program started recently
}
