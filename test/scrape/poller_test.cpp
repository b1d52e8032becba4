// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/scrape/poller.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter;
using namespace std::chrono_literals;

namespace {

// A backend whose answers and speed the test controls; counts its calls.
struct FakeBackend final : slurm::Backend {
  std::atomic<int> node_loads{0}, job_loads{0};
  std::atomic<bool> fail_nodes{false}, fail_jobs{false}, unreachable{false};
  std::chrono::milliseconds delay{0};
  std::thread::id last_thread;

  std::string_view name() const override { return "fake"; }
  std::string slurm_version() const override { return "22.05.8"; }
  slurm::NodeData load_nodes() override {
    last_thread = std::this_thread::get_id();
    ++node_loads;
    std::this_thread::sleep_for(delay);
    if (fail_nodes) {
      throw BackendError("slurm_load_node: Unable to contact slurm controller", unreachable);
    }
    slurm::NodeData d;
    slurm::Node n;
    n.name = "n1";
    n.state_name = "idle";
    n.cpus = 4;
    n.idle_cpus = 4;
    d.nodes.push_back(n);
    return d;
  }
  std::vector<slurm::Job> load_jobs() override {
    ++job_loads;
    if (fail_jobs) throw BackendError("slurm_load_jobs: Socket timed out");
    return {};
  }
};

scrape::Text get_sync(scrape::Poller& p) {
  std::promise<scrape::Text> promise;
  auto fut = promise.get_future();
  p.get([&promise](scrape::Text t) { promise.set_value(std::move(t)); });
  REQUIRE(fut.wait_for(10s) == std::future_status::ready);
  return fut.get();
}

bool contains(const scrape::Text& t, const std::string& s) {
  return t && t->find(s) != std::string::npos;
}

}  // namespace

TEST_CASE("poll_once renders Slurm and exporter families") {
  FakeBackend b;
  scrape::FailureLog log;
  const std::string text = scrape::poll_once(b, log).text;
  CHECK(text.find("slurm_cpus_total 4\n") != std::string::npos);
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"nodes\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 1\n") != std::string::npos);
  CHECK(text.find("backend=\"fake\"} 1\n") != std::string::npos);
}

TEST_CASE("families the filter names are left out, the others stay") {
  FakeBackend b;
  scrape::FailureLog log;
  const auto drop = [](const std::string& name) { return name.rfind("slurm_cpus", 0) == 0; };
  const std::string text = scrape::poll_once(b, log, {}, drop).text;
  CHECK(text.find("slurm_cpus_total") == std::string::npos);
  CHECK(text.find("slurm_cpus_idle") == std::string::npos);
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_mem_real") != std::string::npos);
}

TEST_CASE("a failed load drops that collector's families, keeps the others") {
  FakeBackend b;
  b.fail_jobs = true;
  scrape::FailureLog log;
  const std::string text = scrape::poll_once(b, log).text;
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_cpus_total 4\n") != std::string::npos);
  CHECK(text.find("slurm_jobs_pending") == std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 0\n") != std::string::npos);
}

TEST_CASE("all loads failing gives slurm_up 0 and no Slurm families") {
  FakeBackend b;
  b.fail_jobs = true;
  b.fail_nodes = true;
  scrape::FailureLog log;
  const std::string text = scrape::poll_once(b, log).text;
  CHECK(text.find("slurm_up 0\n") != std::string::npos);
  CHECK(text.find("slurm_cpus_total") == std::string::npos);
  CHECK(text.find("slurm_exporter_build_info{") != std::string::npos);
}

TEST_CASE("an unreachable slurmctld is contacted once per poll, not once per collector") {
  FakeBackend b;
  b.fail_nodes = true;
  b.unreachable = true;
  scrape::FailureLog log;
  const std::string text = scrape::poll_once(b, log).text;
  CHECK(b.node_loads == 1);
  CHECK(b.job_loads == 0);
  CHECK(text.find("slurm_up 0\n") != std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 0\n") != std::string::npos);
  // A failure that is not about reaching slurmctld does not skip the other loads.
  FakeBackend c;
  c.fail_nodes = true;
  scrape::poll_once(c, log);
  CHECK(c.job_loads == 1);
}

TEST_CASE("while slurmctld is down, scrapes get slurm_up 0 at once and the poll runs behind") {
  FakeBackend* backend = nullptr;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->fail_nodes = true;
        b->unreachable = true;
        b->delay = 200ms;
        backend = b.get();
        return b;
      },
      0ms);
  CHECK(contains(get_sync(p), "slurm_up 0\n"));  // no earlier answer: this one waits
  REQUIRE(backend->node_loads == 1);
  // The next request is answered on the calling thread, before get() returns.
  bool answered = false;
  scrape::Text text;
  p.get([&](scrape::Text t) {
    answered = true;
    text = std::move(t);
  });
  CHECK(answered);
  CHECK(contains(text, "slurm_up 0\n"));
  // ... and it started a background poll, which sees the controller back.
  backend->fail_nodes = false;
  for (int i = 0; i < 100 && backend->node_loads < 2; ++i) std::this_thread::sleep_for(20ms);
  CHECK(backend->node_loads >= 2);
  for (int i = 0; i < 100 && !contains(get_sync(p), "slurm_up 1\n"); ++i) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(contains(get_sync(p), "slurm_up 1\n"));
}

TEST_CASE("a snapshot younger than the poll limit is reused") {
  FakeBackend* backend = nullptr;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        backend = b.get();
        return b;
      },
      500ms);
  auto first = get_sync(p);
  auto second = get_sync(p);
  CHECK(first == second);  // the same shared text, not a new poll
  CHECK(backend->node_loads == 1);
  CHECK(p.polls() == 1);
  std::this_thread::sleep_for(600ms);
  auto third = get_sync(p);
  CHECK(third != first);
  CHECK(backend->node_loads == 2);
}

TEST_CASE("concurrent requests during a poll share that poll") {
  FakeBackend* backend = nullptr;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->delay = 300ms;
        backend = b.get();
        return b;
      },
      0ms);
  std::vector<std::future<scrape::Text>> results;
  std::vector<std::promise<scrape::Text>> promises(20);
  for (auto& pr : promises) {
    results.push_back(pr.get_future());
    p.get([&pr](scrape::Text t) { pr.set_value(std::move(t)); });
  }
  for (auto& r : results) REQUIRE(r.wait_for(10s) == std::future_status::ready);
  CHECK(backend->node_loads == 1);
  CHECK(p.polls() == 1);
}

TEST_CASE("every Slurm call runs on the poller's one thread, not the caller's") {
  FakeBackend* backend = nullptr;
  std::thread::id factory_thread;
  scrape::Poller p(
      [&] {
        factory_thread = std::this_thread::get_id();
        auto b = std::make_unique<FakeBackend>();
        backend = b.get();
        return b;
      },
      0ms);
  get_sync(p);
  get_sync(p);
  CHECK(backend->last_thread == factory_thread);
  CHECK(factory_thread != std::this_thread::get_id());
}

TEST_CASE("a factory that throws fails construction") {
  auto make = [] {
    return scrape::Poller(
        []() -> std::unique_ptr<slurm::Backend> { throw BackendError("no conf"); }, 0ms);
  };
  CHECK_THROWS_AS(make(), BackendError);
}

TEST_CASE("recovery: slurm_up returns to 1 with the first poll after slurmctld is back") {
  FakeBackend* backend = nullptr;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->fail_nodes = true;
        b->fail_jobs = true;
        backend = b.get();
        return b;
      },
      0ms);
  CHECK(contains(get_sync(p), "slurm_up 0\n"));
  CHECK(contains(get_sync(p), "slurm_up 0\n"));
  const auto polls_while_down = p.polls();
  backend->fail_nodes = false;
  backend->fail_jobs = false;
  // The request that notices is answered from the failed poll and starts the next one; the
  // answer after that poll is good. Nothing stays stale for longer than one poll.
  get_sync(p);
  for (int i = 0; i < 200 && p.polls() == polls_while_down; ++i) std::this_thread::sleep_for(10ms);
  CHECK(p.polls() == polls_while_down + 1);
  CHECK(contains(get_sync(p), "slurm_up 1\n"));
}

TEST_CASE("node-based collectors share one node load; disabled collectors have no series") {
  FakeBackend b;
  scrape::FailureLog log;
  collectors::EnabledCollectors all;
  all.node = true;
  const std::string text = scrape::poll_once(b, log, all).text;
  CHECK(b.node_loads == 1);
  CHECK(b.job_loads == 1);
  for (const char* c : {"nodes", "node", "node_reason", "jobs"}) {
    INFO(c);
    CHECK(text.find(std::string("slurm_exporter_collector_success{collector=\"") + c + "\"} 1\n") !=
          std::string::npos);
  }
  CHECK(text.find("slurm_node_cpus{") != std::string::npos);

  FakeBackend d;
  collectors::EnabledCollectors jobs_only;
  jobs_only.nodes = false;
  jobs_only.node_reason = false;
  const std::string only = scrape::poll_once(d, log, jobs_only).text;
  CHECK(d.node_loads == 0);
  CHECK(only.find("collector=\"nodes\"") == std::string::npos);
  CHECK(only.find("collector=\"node\"") == std::string::npos);
  CHECK(only.find("collector=\"node_reason\"") == std::string::npos);
  CHECK(only.find("slurm_cpus_total") == std::string::npos);
  CHECK(only.find("slurm_exporter_collector_success{collector=\"jobs\"} 1\n") != std::string::npos);

  // A failed node load fails every node-based collector, once.
  FakeBackend f;
  f.fail_nodes = true;
  const std::string failed = scrape::poll_once(f, log, all).text;
  CHECK(f.node_loads == 1);
  for (const char* c : {"nodes", "node", "node_reason"}) {
    INFO(c);
    CHECK(failed.find(std::string("slurm_exporter_collector_success{collector=\"") + c +
                      "\"} 0\n") != std::string::npos);
  }
}
