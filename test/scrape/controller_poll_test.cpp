// SPDX-License-Identifier: GPL-2.0-or-later
#include <catch2/catch.hpp>
#include <string>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

using namespace slurm_exporter;

namespace {

// A backend with the controller-side calls; counts every call.
struct ControllerFake final : slurm::Backend {
  int node_loads = 0, job_loads = 0, stats = 0, licenses = 0, reservations = 0, pings = 0;
  bool primary_up = true;
  bool unreachable = false;

  std::string_view name() const override { return "fake"; }
  std::string slurm_version() const override { return "22.05.8"; }
  slurm::NodeData load_nodes() override {
    ++node_loads;
    slurm::NodeData d;
    slurm::Node n;
    n.name = "n1";
    n.state = slurm::node_state::kIdle;
    n.state_name = "idle";
    n.cpus = 4;
    n.idle_cpus = 4;
    d.nodes.push_back(n);
    return d;
  }
  std::vector<slurm::Job> load_jobs() override {
    ++job_loads;
    return {};
  }
  slurm::SchedulerStats load_scheduler_stats() override {
    ++stats;
    slurm::SchedulerStats s;
    s.jobs_submitted = 7;
    return s;
  }
  std::vector<slurm::License> load_licenses() override {
    ++licenses;
    return {{"matlab", 10, 3, 7, 0, false}};
  }
  std::vector<slurm::Reservation> load_reservations() override {
    ++reservations;
    return {{"maint", "", "MAINT", 0, 4102444800, 1, 4, {"n1"}}};
  }
  slurm::ControllerStatus ping_controllers() override {
    ++pings;
    slurm::ControllerStatus s;
    s.controllers = {{"ctl1", 0, primary_up, 0.001}, {"ctl2", 1, false, 0.001}};
    if (!primary_up) s.error = "ctl1: Connection refused; ctl2: Connection refused";
    s.local_host = "ctl1";
    s.unreachable = unreachable;
    return s;
  }
};

bool has(const std::string& text, const std::string& s) {
  return text.find(s) != std::string::npos;
}

}  // namespace

TEST_CASE("controller-side collectors run with their own calls only when enabled") {
  ControllerFake b;
  scrape::FailureLog log;
  collectors::EnabledCollectors only_nodes;
  only_nodes.node_reason = only_nodes.jobs = only_nodes.controllers = false;
  only_nodes.scheduler = only_nodes.licenses = only_nodes.reservations = false;
  const auto r = scrape::poll_once(b, log, only_nodes);
  CHECK(b.stats + b.licenses + b.reservations + b.pings == 0);
  CHECK_FALSE(has(r.text, "slurm_license_"));

  const auto all = scrape::poll_once(b, log, {});
  CHECK(b.stats == 1);
  CHECK(b.licenses == 1);
  CHECK(b.reservations == 1);
  CHECK(b.pings == 1);
  // Reservations reuse the poll's node load.
  CHECK(b.node_loads == 2);
  CHECK(has(all.text, "slurm_scheduler_jobs_submitted_total 7\n"));
  CHECK(has(all.text, "slurm_license_used{license=\"matlab\"} 3\n"));
  CHECK(
      has(all.text, "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n"));
  CHECK(has(all.text, "slurm_controller_up{controller=\"ctl2\",index=\"1\"} 0\n"));
  CHECK(has(all.text, "slurm_exporter_on_active_controller 1\n"));
  CHECK(has(all.text, "slurm_exporter_collector_success{collector=\"reservations\"} 1\n"));

  // Reservations alone load the nodes themselves.
  collectors::EnabledCollectors only_resv = only_nodes;
  only_resv.nodes = false;
  only_resv.reservations = true;
  const auto resv = scrape::poll_once(b, log, only_resv);
  CHECK(b.node_loads == 3);
  CHECK_FALSE(has(resv.text, "slurm_cpus_total"));
  CHECK(
      has(resv.text, "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n"));
}

TEST_CASE("when no controller answers, the controllers report 0 and the loads still run") {
  ControllerFake b;
  b.primary_up = false;
  scrape::FailureLog log;
  const auto r = scrape::poll_once(b, log, {});
  CHECK(b.pings == 1);
  // The loads say why (an authentication error looks like a dead controller to a ping).
  CHECK(b.node_loads == 1);
  CHECK(b.job_loads == 1);
  CHECK(has(r.text, "slurm_controller_up{controller=\"ctl1\",index=\"0\"} 0\n"));
  CHECK(has(r.text, "slurm_exporter_on_active_controller 0\n"));
  CHECK(has(r.text, "slurm_exporter_collector_success{collector=\"controllers\"} 0\n"));
  CHECK(has(r.text, "slurm_exporter_collector_success{collector=\"nodes\"} 1\n"));
}

TEST_CASE("when no controller is reachable, the loads are skipped") {
  ControllerFake b;
  b.primary_up = false;
  b.unreachable = true;
  scrape::FailureLog log;
  const auto r = scrape::poll_once(b, log, {});
  CHECK(b.pings == 1);
  CHECK(b.node_loads + b.job_loads + b.stats + b.licenses + b.reservations == 0);
  CHECK_FALSE(r.slurm_up);
  CHECK(has(r.text, "slurm_controller_up{controller=\"ctl1\",index=\"0\"} 0\n"));
  CHECK(has(r.text, "slurm_exporter_collector_success{collector=\"nodes\"} 0\n"));
}

TEST_CASE("a backend without the controller-side calls fails only those collectors") {
  struct Minimal final : slurm::Backend {
    std::string_view name() const override { return "minimal"; }
    std::string slurm_version() const override { return "22.05.8"; }
    slurm::NodeData load_nodes() override { return {}; }
    std::vector<slurm::Job> load_jobs() override { return {}; }
  } b;
  scrape::FailureLog log;
  const auto r = scrape::poll_once(b, log, {});
  CHECK(r.slurm_up);
  CHECK(has(r.text, "slurm_exporter_collector_success{collector=\"scheduler\"} 0\n"));
  CHECK(has(r.text, "slurm_exporter_collector_success{collector=\"jobs\"} 1\n"));
}
