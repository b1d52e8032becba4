// SPDX-License-Identifier: GPL-2.0-or-later
#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/controller.hpp"
#include "slurm_exporter/slurm/controller_parse.hpp"
#include "slurm_exporter/slurm/sdiag_parse.hpp"

using namespace slurm_exporter;
using namespace slurm_exporter::slurm;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SE_TEST_DATA_DIR) + "/slurm/fixtures/controller/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::int64_t local(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

}  // namespace

TEST_CASE("sdiag: live 22.05 output, every section", "[sdiag]") {
  const SchedulerStats s = cli::parse_sdiag(fixture("live_sdiag.txt"));
  CHECK(s.server_thread_count == 3);
  CHECK(s.agent_queue_size == 0);
  CHECK(s.dbd_agent_queue_size == 0);
  CHECK(s.jobs_submitted == 4);
  CHECK(s.schedule_cycle_last_us == 133);
  CHECK(s.schedule_cycle_max_us == 6868);
  CHECK(s.schedule_cycle_counter == 12);
  CHECK(s.schedule_cycle_mean_us == 624);
  CHECK(s.schedule_queue_len == 3);
  // Backfill keys with the same names as the main scheduler's stay apart.
  CHECK_FALSE(s.bf_active);
  CHECK(s.bf_cycle_counter == 1);
  CHECK(s.bf_cycle_last_us == 1281);
  CHECK(s.bf_when_last_cycle == 1795999923);
  CHECK(s.bf_last_depth == 3);
  CHECK(s.bf_last_depth_try == 3);
  CHECK(s.bf_depth_mean == 3);
  CHECK(s.bf_queue_len == 3);
  CHECK(s.bf_table_size == 1);
  REQUIRE(s.rpc_types.size() == 9);
  CHECK(s.rpc_types[0].name == "MESSAGE_NODE_REGISTRATION_STATUS");
  CHECK(s.rpc_types[0].count == 15);
  CHECK(s.rpc_types[0].total_time_us == 15316);
  CHECK(s.rpc_types[8].name == "REQUEST_RESERVATION_INFO");
  CHECK(s.rpc_types[8].total_time_us == 989);
  REQUIRE(s.rpc_users.size() == 1);
  CHECK(s.rpc_users[0].name == "0");  // the uid: the backend names it
  CHECK(s.rpc_users[0].count == 31);
  CHECK(s.rpc_users[0].total_time_us == 41907);
}

TEST_CASE("sdiag: active backfill, long names, numeric types, extra sections", "[sdiag]") {
  const SchedulerStats s = cli::parse_sdiag(fixture("hostile_sdiag.txt"));
  CHECK(s.req_time == 1795998695);
  CHECK(s.req_time_start == 1795996800);
  CHECK(s.server_thread_count == 17);
  CHECK(s.agent_count == 2);
  CHECK(s.agent_thread_count == 6);
  CHECK(s.dbd_agent_queue_size == 1234);
  CHECK(s.jobs_submitted == 4000000000u);
  CHECK(s.jobs_started == 12);
  CHECK(s.jobs_completed == 10);
  CHECK(s.jobs_canceled == 3);
  CHECK(s.jobs_failed == 1);
  CHECK(s.schedule_cycle_mean_depth == 12);
  CHECK(s.schedule_queue_len == 9);
  CHECK(s.bf_active);
  CHECK(s.bf_backfilled_jobs == 5);
  CHECK(s.bf_last_backfilled_jobs == 2);
  CHECK(s.bf_backfilled_het_jobs == 1);
  CHECK(s.bf_cycle_counter == 3);
  CHECK(s.bf_cycle_last_us == 2000000);
  CHECK(s.bf_cycle_max_us == 3000000);
  CHECK(s.bf_cycle_mean_us == 2500000);
  CHECK(s.bf_cycle_sum_us == 7500000);  // Mean cycle × Total cycles: sdiag prints no sum
  CHECK(s.bf_last_depth == 8);
  CHECK(s.bf_last_depth_try == 6);
  CHECK(s.bf_depth_mean == 7);
  CHECK(s.bf_table_size == 4);
  // Pending RPCs and exit reasons are not RPC statistics.
  REQUIRE(s.rpc_types.size() == 2);
  CHECK(s.rpc_types[0].name == "REQUEST_JOB_INFO_SINGLE_WITH_A_VERY_LONG_NAME_PAST_FORTY");
  CHECK(s.rpc_types[0].count == 1234567);
  CHECK(s.rpc_types[0].total_time_us == 12345670);
  CHECK(s.rpc_types[1].name == "59999");
  REQUIRE(s.rpc_users.size() == 2);
  CHECK(s.rpc_users[0].name == "1234");
  CHECK(s.rpc_users[1].name == "4242");
  CHECK(s.rpc_users[1].count == 1);
}

TEST_CASE("sdiag: before the first cycle the means are 0 and the backfill time N/A", "[sdiag]") {
  const SchedulerStats s = cli::parse_sdiag(
      "Server thread count:  3\n"
      "Main schedule statistics (microseconds):\n\tTotal cycles: 0\n\tLast queue length: 0\n"
      "Backfilling stats\n\tTotal cycles: 0\n\tLast cycle when: N/A\n\tLast cycle: 0\n");
  CHECK(s.schedule_cycle_mean_us == 0);
  CHECK(s.bf_cycle_mean_us == 0);
  CHECK(s.bf_when_last_cycle == 0);
  CHECK(s.rpc_types.empty());
}

TEST_CASE("sdiag: bad input is a ParseError naming the line", "[sdiag]") {
  CHECK_THROWS_AS(cli::parse_sdiag(""), ParseError);
  CHECK_THROWS_WITH(cli::parse_sdiag("sinfo: error: something else\n"),
                    Catch::Contains("not sdiag output"));
  CHECK_THROWS_WITH(cli::parse_sdiag("Server thread count:  many\n"),
                    Catch::Contains("(line 1)") && Catch::Contains("\"many\""));
  CHECK_THROWS_WITH(
      cli::parse_sdiag("Server thread count: 3\nRemote Procedure Call statistics by message "
                       "type\n\tREQUEST_PING ( 1008) count:x ave_time:1 total_time:1\n"),
      Catch::Contains("(line 3)"));
  CHECK_THROWS_WITH(
      cli::parse_sdiag("Server thread count: 3\nRemote Procedure Call statistics by user\n"
                       "\troot count:1 ave_time:1 total_time:1\n"),
      Catch::Contains("malformed RPC"));
  CHECK_THROWS_AS(cli::parse_sdiag("Server thread count: 3\nRemote Procedure Call statistics by "
                                   "user\n\troot (abc) count:1 ave_time:1 total_time:1\n"),
                  ParseError);
  CHECK_THROWS_AS(cli::parse_sdiag("Server thread count: 99999999999999999999999\n"), ParseError);
}

TEST_CASE("licenses: live scontrol show licenses -o", "[licenses]") {
  const auto l = cli::parse_scontrol_licenses(fixture("live_licenses.txt"));
  REQUIRE(l.size() == 3);
  CHECK(l[0].name == "fluent");
  CHECK(l[1].name == "matlab");
  CHECK(l[1].total == 10);
  CHECK(l[1].used == 3);
  CHECK(l[1].free == 7);
  CHECK(l[2].name == "spare");
  CHECK(l[2].reserved == 1);
  CHECK_FALSE(l[2].remote);
  CHECK(cli::parse_scontrol_licenses("No licenses configured in Slurm.\n").empty());
  const auto r = cli::parse_scontrol_licenses(
      "LicenseName=db@server Total=100 Used=1 Free=99 Reserved=0 Remote=yes\r\n");
  REQUIRE(r.size() == 1);
  CHECK(r[0].remote);
  CHECK(r[0].name == "db@server");
  CHECK_FALSE(r[0].last_consumed);  // Slurm before 23.11 prints no LastConsumed
  CHECK_FALSE(l[1].last_deficit);
  // Slurm 23.11+ (src/scontrol/info_lics.c): a remote license's line ends in the license
  // server's figures.
  const auto n = cli::parse_scontrol_licenses(
      "LicenseName=db@server Total=100 Used=1 Free=99 Reserved=0 Remote=yes LastConsumed=42 "
      "LastDeficit=3 LastUpdate=2026-12-07T05:00:00\n"
      "LicenseName=matlab Total=10 Used=0 Free=10 Reserved=0 Remote=no\n");
  REQUIRE(n.size() == 2);
  CHECK(n[0].last_consumed == 42u);
  CHECK(n[0].last_deficit == 3u);
  CHECK_FALSE(n[1].last_consumed);
  CHECK_THROWS_WITH(cli::parse_scontrol_licenses("LicenseName=a Total=1 Used=0 Free=1 Reserved=0 "
                                                 "Remote=yes LastConsumed=-1 LastDeficit=0\n"),
                    Catch::Contains("LastConsumed"));
  CHECK_THROWS_WITH(cli::parse_scontrol_licenses("\nLicenseName=a Total=x Used=0 Free=0 "
                                                 "Reserved=0 Remote=no\n"),
                    Catch::Contains("(line 2)"));
  CHECK_THROWS_AS(cli::parse_scontrol_licenses("LicenseName=a Total=1 Used=0 Free=1\n"),
                  ParseError);
  CHECK_THROWS_AS(
      cli::parse_scontrol_licenses("LicenseName=a Total=1 Used=0 Free=1 Reserved=0 Remote=maybe"),
      ParseError);
}

TEST_CASE("reservations: live scontrol show reservation -o", "[reservations]") {
  const auto r = cli::parse_scontrol_reservations(fixture("live_reservations.txt"));
  REQUIRE(r.size() == 2);
  CHECK(r[0].name == "maint_now");
  CHECK(r[0].start_time == local(2026, 11, 30, 0, 44, 9));
  CHECK(r[0].end_time == local(2026, 11, 30, 2, 44, 9));
  CHECK(r[0].partition.empty());
  CHECK(r[0].flags == "MAINT,IGNORE_JOBS,SPEC_NODES");
  CHECK(r[0].node_count == 1);
  CHECK(r[0].core_count == 4);
  CHECK(r[0].nodes == std::vector<std::string>{"node3"});
  CHECK(r[1].name == "future");
  CHECK(r[1].partition == "debug");
  CHECK(r[1].flags == "SPEC_NODES");
  CHECK(cli::parse_scontrol_reservations("No reservations in the system\n").empty());
  CHECK_THROWS_WITH(cli::parse_scontrol_reservations(
                        "ReservationName=x StartTime=soon EndTime=2026-11-30T02:44:09 "
                        "Nodes=n1 NodeCnt=1 CoreCnt=1 PartitionName=(null) Flags=MAINT"),
                    Catch::Contains("StartTime=") && Catch::Contains("(line 1)"));
  CHECK_THROWS_AS(cli::parse_scontrol_reservations(
                      "ReservationName=x StartTime=2026-11-30T00:44:09 "
                      "EndTime=2026-11-30T02:44:09 Nodes=n[1-2 NodeCnt=1 CoreCnt=1 "
                      "PartitionName=(null) Flags=MAINT"),
                  ParseError);
}

TEST_CASE("scontrol ping: primary up, backup down", "[controllers]") {
  const auto c = cli::parse_scontrol_ping(fixture("live_ping.txt"));
  REQUIRE(c.size() == 2);
  CHECK(c[0].name == "vm");
  CHECK(c[0].index == 0);
  CHECK(c[0].up);
  CHECK(c[1].name == "vm-backup");
  CHECK(c[1].index == 1);
  CHECK_FALSE(c[1].up);
  CHECK_THROWS_AS(cli::parse_scontrol_ping("garbage\n"), ParseError);
  CHECK_THROWS_WITH(cli::parse_scontrol_ping("Slurmctld(primary) at h is MAYBE\n"),
                    Catch::Contains("(line 1)"));
}

TEST_CASE("the active controller is the first that answers", "[controllers]") {
  ControllerStatus s;
  s.controllers = {{"ctl1", 0, false, 0}, {"ctl2", 1, true, 0}, {"ctl3", 2, true, 0}};
  s.local_host = "ctl2.example.org";
  CHECK(on_active_controller(s));
  s.local_host = "ctl3";
  CHECK_FALSE(on_active_controller(s));
  s.controllers[0].up = true;
  s.local_host = "ctl1";
  CHECK(on_active_controller(s));
  s.local_host.clear();
  CHECK_FALSE(on_active_controller(s));
  for (auto& c : s.controllers) c.up = false;
  s.local_host = "ctl1";
  CHECK_FALSE(on_active_controller(s));
}

TEST_CASE("rpc type names are sdiag's", "[sdiag]") {
  CHECK(rpc_type_name(1008) == "REQUEST_PING");
  CHECK(rpc_type_name(2007) == "REQUEST_NODE_INFO");
  CHECK(rpc_type_name(4003) == "REQUEST_SUBMIT_BATCH_JOB");
  CHECK(rpc_type_name(1002) == "MESSAGE_NODE_REGISTRATION_STATUS");
  CHECK(rpc_type_name(59999) == "59999");
  CHECK(rpc_type_name(0) == "0");
}

TEST_CASE("host lists expand like Slurm's", "[controllers]") {
  CHECK(expand_host_list("node[1-3,5],gpu01") ==
        std::vector<std::string>{"node1", "node2", "node3", "node5", "gpu01"});
  CHECK(expand_host_list("n[08-10]") == std::vector<std::string>{"n08", "n09", "n10"});
  CHECK(expand_host_list("(null)").empty());
  CHECK(expand_host_list("").empty());
  CHECK_THROWS_AS(expand_host_list("n[1-"), ParseError);
  CHECK_THROWS_AS(expand_host_list("n[3-1]"), ParseError);
  CHECK_THROWS_AS(expand_host_list("n1]"), ParseError);
  CHECK_THROWS_AS(expand_host_list("n[a-b]"), ParseError);
}
