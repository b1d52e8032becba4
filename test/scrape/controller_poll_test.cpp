// SPDX-License-Identifier: GPL-2.0-or-later
#include <catch2/catch.hpp>
#include <string>

#include "../support/fake_backend.hpp"
#include "../support/golden.hpp"
#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

using namespace slurm_exporter;
using slurm::LoadKind;
using test_support::contains;

namespace {

// A backend with the controller-side loads too.
struct ControllerFake final : test_support::FakeBackend {
  explicit ControllerFake(bool primary_up = true, bool unreachable = false) {
    nodes.nodes.front().state = slurm::node_state::kIdle;
    set(LoadKind::nodes, nodes);
    slurm::SchedulerStats s;
    s.jobs_submitted = 7;
    set(LoadKind::sdiag, s);
    set(LoadKind::licenses,
        slurm::Licenses{{"matlab", 10, 3, 7, 0, false, std::nullopt, std::nullopt}});
    set(LoadKind::reservations,
        slurm::Reservations{{"maint", "", "MAINT", 0, 4102444800, 1, 4, {"n1"}}});
    slurm::ControllerStatus c;
    c.controllers = {{"ctl1", 0, primary_up, 0.001}, {"ctl2", 1, false, 0.001}};
    if (!primary_up) c.error = "ctl1: Connection refused; ctl2: Connection refused";
    c.local_host = "ctl1";
    c.unreachable = unreachable;
    set(LoadKind::ping, c);
  }
  int controller_side() const {
    return fetches(LoadKind::sdiag) + fetches(LoadKind::licenses) +
           fetches(LoadKind::reservations) + fetches(LoadKind::ping);
  }
};

std::string poll(slurm::Backend& b, const collectors::EnabledCollectors& enabled = {}) {
  scrape::Collection c(enabled);
  return c.poll(b).text;
}

}  // namespace

TEST_CASE("controller-side collectors run with their own calls only when enabled") {
  ControllerFake b;
  auto only_nodes = collectors::EnabledCollectors::none();
  only_nodes.set("nodes", true);
  const std::string r = poll(b, only_nodes);
  CHECK(b.controller_side() == 0);
  CHECK_FALSE(contains(r, "slurm_license_"));

  const std::string all = poll(b);
  CHECK(b.fetches(LoadKind::sdiag) == 1);
  CHECK(b.fetches(LoadKind::licenses) == 1);
  CHECK(b.fetches(LoadKind::reservations) == 1);
  CHECK(b.fetches(LoadKind::ping) == 1);
  // Reservations reuse the poll's node load.
  CHECK(b.fetches(LoadKind::nodes) == 2);
  CHECK(contains(all, "slurm_scheduler_jobs_submitted_total 7\n"));
  CHECK(contains(all, "slurm_license_used{license=\"matlab\"} 3\n"));
  CHECK(
      contains(all, "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n"));
  CHECK(contains(all, "slurm_controller_up{controller=\"ctl2\",index=\"1\"} 0\n"));
  CHECK(contains(all, "slurm_exporter_on_active_controller 1\n"));
  CHECK(contains(all, "slurm_exporter_collector_success{collector=\"reservations\"} 1\n"));

  // Reservations alone load the nodes themselves.
  auto only_resv = collectors::EnabledCollectors::none();
  only_resv.set("reservations", true);
  const std::string resv = poll(b, only_resv);
  CHECK(b.fetches(LoadKind::nodes) == 3);
  CHECK_FALSE(contains(resv, "slurm_cpus_total"));
  CHECK(
      contains(resv, "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n"));
}

TEST_CASE("when no controller answers, the controllers report 0 and the loads still run") {
  ControllerFake b(/*primary_up=*/false);
  const std::string r = poll(b);
  CHECK(b.fetches(LoadKind::ping) == 1);
  // The loads say why (an authentication error looks like a dead controller to a ping).
  CHECK(b.fetches(LoadKind::nodes) == 1);
  CHECK(b.fetches(LoadKind::jobs) == 1);
  CHECK(contains(r, "slurm_controller_up{controller=\"ctl1\",index=\"0\"} 0\n"));
  CHECK(contains(r, "slurm_exporter_on_active_controller 0\n"));
  CHECK(contains(r, "slurm_exporter_collector_success{collector=\"controllers\"} 0\n"));
  CHECK(contains(r, "slurm_exporter_collector_success{collector=\"nodes\"} 1\n"));
}

TEST_CASE("when no controller is reachable, the loads are skipped") {
  ControllerFake b(/*primary_up=*/false, /*unreachable=*/true);
  scrape::Collection c;
  const auto r = c.poll(b);
  CHECK(b.fetches(LoadKind::ping) == 1);
  CHECK(b.controller_side() + b.fetches(LoadKind::nodes) + b.fetches(LoadKind::jobs) == 1);
  CHECK_FALSE(r.slurm_up);
  CHECK(contains(r.text, "slurm_controller_up{controller=\"ctl1\",index=\"0\"} 0\n"));
  CHECK(contains(r.text, "slurm_exporter_collector_success{collector=\"nodes\"} 0\n"));
}

TEST_CASE("a backend without the controller-side loads fails only those collectors") {
  test_support::FakeBackend b;  // nodes and jobs only
  scrape::Collection c;
  const auto r = c.poll(b);
  CHECK(r.slurm_up);
  CHECK(contains(r.text, "slurm_exporter_collector_success{collector=\"scheduler\"} 0\n"));
  CHECK(contains(r.text, "slurm_exporter_collector_success{collector=\"jobs\"} 1\n"));
}
