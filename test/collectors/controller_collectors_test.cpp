// SPDX-License-Identifier: GPL-2.0-or-later
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/golden.hpp"
#include "slurm_exporter/collectors/controllers.hpp"
#include "slurm_exporter/collectors/licenses.hpp"
#include "slurm_exporter/collectors/reservations.hpp"
#include "slurm_exporter/collectors/scheduler.hpp"
#include "slurm_exporter/metrics/exposition.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

using namespace slurm_exporter;
using test_support::check_golden;
using test_support::render;

namespace {

slurm::SchedulerStats stats() {
  slurm::SchedulerStats s;
  s.server_thread_count = 3;
  s.agent_queue_size = 1;
  s.dbd_agent_queue_size = 7;
  s.jobs_submitted = 40;
  s.jobs_started = 30;
  s.jobs_completed = 20;
  s.jobs_canceled = 2;
  s.jobs_failed = 1;
  s.schedule_cycle_last_us = 133;
  s.schedule_cycle_max_us = 6868;
  s.schedule_cycle_counter = 12;
  s.schedule_cycle_mean_us = 624;
  s.schedule_queue_len = 3;
  s.bf_active = true;
  s.bf_cycle_counter = 2;
  s.bf_when_last_cycle = 1795999923;
  s.bf_cycle_last_us = 1500000;
  s.bf_backfilled_jobs = 4;
  s.bf_cycle_sum_us = 2600000;
  s.bf_last_depth_try = 7;
  s.rpc_types = {{"REQUEST_PING", 3, 4599}, {"REQUEST_NODE_INFO", 2, 2098}, {"59999", 0, 0}};
  s.rpc_users = {{"root", 31, 41907}, {"slurm\"test", 1, 10}};
  return s;
}

double value(const std::vector<metrics::Family>& fams, const std::string& name,
             const std::vector<std::string>& labels = {}) {
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& s : f.samples) {
      if (s.label_values == labels) return s.value;
    }
  }
  FAIL("no sample " << name);
  return -1;
}

}  // namespace

TEST_CASE("scheduler families match the golden file") {
  check_golden("scheduler.prom", render(collectors::collect_scheduler(stats())));
}

TEST_CASE("scheduler: base units, counters and the rivosinc names") {
  const auto f = collectors::collect_scheduler(stats());
  CHECK(value(f, "slurm_scheduler_last_cycle_seconds") == Approx(0.000133));
  CHECK(value(f, "slurm_backfill_last_cycle_seconds") == Approx(1.5));
  CHECK(value(f, "slurm_backfill_active") == 1);
  // rivosinc's backfill names: the sdiag fields its diags collector reads.
  CHECK(value(f, "slurm_backfill_job_count") == 4);
  CHECK(value(f, "slurm_backfill_cycle_count") == 2600000);  // bf_cycle_sum, µs
  CHECK(value(f, "slurm_backfill_cycle_counter") == 2);
  CHECK(value(f, "slurm_backfill_last_depth_try_sched") == 7);
  CHECK(value(f, "slurm_rpc_calls_total", {"REQUEST_PING"}) == 3);
  CHECK(value(f, "slurm_rpc_duration_seconds_total", {"REQUEST_PING"}) == Approx(0.004599));
  CHECK(value(f, "slurm_rpc_user_calls_total", {"root"}) == 31);
  CHECK(value(f, "slurm_rpc_msg_type_avg_time", {"REQUEST_PING"}) == 1533);  // integer µs
  CHECK(value(f, "slurm_rpc_msg_type_avg_time", {"59999"}) == 0);
  CHECK(value(f, "slurm_rpc_user_total_time", {"root"}) == 41907);
  for (const auto& fam : f) {
    const bool total = fam.name.size() > 6 && fam.name.ends_with("_total");
    if (fam.type == metrics::Type::kCounter) CHECK(total);
  }
}

TEST_CASE("license families match the golden file") {
  const std::vector<slurm::License> l{{"matlab", 10, 3, 7, 0, false, {}, {}},
                                      {"db", 100, 0, 98, 2, true, 40, 3}};
  const auto f = collectors::collect_licenses(l);
  check_golden("licenses.prom", render(f));
  CHECK(value(f, "slurm_license_free", {"matlab"}) == 7);
  CHECK(value(f, "slurm_license_remote", {"db"}) == 1);
  CHECK(value(f, "slurm_lic_reserved", {"db"}) == 2);
  CHECK(value(f, "slurm_lic_last_consumed", {"db"}) == 40);
  CHECK(value(f, "slurm_lic_last_deficit", {"db"}) == 3);
  for (const auto& fam : f) {
    if (fam.name.starts_with("slurm_lic_last_")) CHECK(fam.samples.size() == 1);  // not matlab
  }
}

TEST_CASE("reservation families match the golden file; states come from the node load") {
  namespace ns = slurm::node_state;
  std::vector<slurm::Node> nodes(3);
  nodes[0].name = "node1";
  nodes[0].state = ns::kIdle | ns::kMaint | ns::kRes;
  nodes[0].cpus = 4;
  nodes[1].name = "node2";
  nodes[1].state = ns::kIdle | ns::kDrain;
  nodes[1].cpus = 4;
  nodes[2].name = "node3";
  nodes[2].state = ns::kIdle;
  nodes[2].cpus = 4;
  const std::vector<slurm::Reservation> r{
      {"maint", "", "MAINT,SPEC_NODES", 1000, 2000, 2, 8, {"node1", "node2"}},
      {"later", "debug", "SPEC_NODES", 5000, 6000, 1, 4, {"node3", "gone"}},
  };
  const auto f = collectors::collect_reservations(r, nodes, 1500);
  check_golden("reservations.prom", render(f));
  CHECK(value(f, "slurm_reservation_active", {"maint"}) == 1);
  CHECK(value(f, "slurm_reservation_active", {"later"}) == 0);
  CHECK(value(f, "slurm_reservation_nodes_by_state", {"maint", "maint"}) == 1);
  CHECK(value(f, "slurm_reservation_nodes_by_state", {"maint", "drained"}) == 1);
  CHECK(value(f, "slurm_reservation_nodes_by_state", {"later", "idle"}) == 1);
  CHECK(value(f, "slurm_reservation_nodes_by_state", {"later", "down"}) == 0);
  // The window is [start, end).
  CHECK(value(collectors::collect_reservations(r, nodes, 2000), "slurm_reservation_active",
              {"maint"}) == 0);
  CHECK(value(collectors::collect_reservations(r, nodes, 1000), "slurm_reservation_active",
              {"maint"}) == 1);
}

TEST_CASE("controller families match the golden file") {
  slurm::ControllerStatus s;
  s.controllers = {{"ctl1", 0, true, 0.0015}, {"ctl2", 1, false, 0.25}};
  s.local_host = "ctl1";
  const auto f = collectors::collect_controllers(s);
  check_golden("controllers.prom", render(f));
  CHECK(value(f, "slurm_controller_up", {"ctl2", "1"}) == 0);
  CHECK(value(f, "slurm_exporter_on_active_controller") == 1);
  s.local_host = "ctl2";
  CHECK(value(collectors::collect_controllers(s), "slurm_exporter_on_active_controller") == 0);
}
