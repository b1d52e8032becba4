// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/scrape/poller.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "../support/fake_backend.hpp"
#include "../support/fake_clock.hpp"
#include "../support/golden.hpp"
#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter;
using namespace std::chrono_literals;

namespace {

using slurm::LoadKind;
using test_support::FakeBackend;

std::string poll(slurm::Backend& b, const collectors::EnabledCollectors& enabled = {},
                 scrape::FamilyFilter drop = {}) {
  scrape::Collection c(enabled, std::move(drop));
  return c.poll(b).text;
}

// Blocks every fetch until open() (instead of sleeping to make a poll take time).
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool is_open = false;
  void wait() {
    std::unique_lock l(m);
    cv.wait(l, [&] { return is_open; });
  }
  void open() {
    {
      std::lock_guard l(m);
      is_open = true;
    }
    cv.notify_all();
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

TEST_CASE("a poll renders Slurm and exporter families") {
  FakeBackend b;
  const std::string text = poll(b);
  CHECK(text.find("slurm_cpus_total 4\n") != std::string::npos);
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"nodes\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 1\n") != std::string::npos);
  CHECK(text.find("backend=\"fake\"} 1\n") != std::string::npos);
  // The fake has no ping, sdiag, licenses or reservations: those collectors fail alone.
  CHECK(text.find("slurm_exporter_collector_success{collector=\"scheduler\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("slurm_exporter_parse_errors_total{collector=\"nodes\"} 0\n") !=
        std::string::npos);
}

TEST_CASE("families the filter names are left out, the others stay") {
  FakeBackend b;
  const auto drop = [](const std::string& name) { return name.rfind("slurm_cpus", 0) == 0; };
  const std::string text = poll(b, {}, drop);
  CHECK(text.find("slurm_cpus_total") == std::string::npos);
  CHECK(text.find("slurm_cpus_idle") == std::string::npos);
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_mem_real") != std::string::npos);
}

TEST_CASE("a failed load drops that collector's families, keeps the others") {
  FakeBackend b;
  b.fail(LoadKind::jobs, "slurm_load_jobs: Socket timed out");
  const std::string text = poll(b);
  CHECK(text.find("slurm_up 1\n") != std::string::npos);
  CHECK(text.find("slurm_cpus_total 4\n") != std::string::npos);
  CHECK(text.find("slurm_jobs_pending") == std::string::npos);
  CHECK(text.find("slurm_pending_job_wait_seconds") == std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 0\n") != std::string::npos);
}

TEST_CASE("all loads failing gives slurm_up 0 and no Slurm families") {
  FakeBackend b;
  b.fail(LoadKind::jobs, "slurm_load_jobs: Socket timed out");
  b.fail(LoadKind::nodes, "slurm_load_node: Socket timed out");
  const std::string text = poll(b);
  CHECK(text.find("slurm_up 0\n") != std::string::npos);
  CHECK(text.find("slurm_cpus_total") == std::string::npos);
  CHECK(text.find("slurm_exporter_build_info{") != std::string::npos);
}

TEST_CASE("an unreachable slurmctld is contacted once per poll, not once per collector") {
  FakeBackend b;
  b.fail(LoadKind::nodes, "slurm_load_node: Unable to contact slurm controller", true);
  const std::string text = poll(b);
  CHECK(b.fetches(LoadKind::nodes) == 1);
  CHECK(b.fetches(LoadKind::jobs) == 0);
  CHECK(b.fetches(LoadKind::licenses) == 0);
  CHECK(text.find("slurm_up 0\n") != std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"jobs\"} 0\n") != std::string::npos);
  // A failure that is not about reaching slurmctld does not skip the other loads.
  FakeBackend c;
  c.fail(LoadKind::nodes, "slurm_load_node: Protocol authentication error");
  poll(c);
  CHECK(c.fetches(LoadKind::jobs) == 1);
}

TEST_CASE("while slurmctld is down, scrapes get slurm_up 0 at once and the poll runs behind") {
  FakeBackend* backend = nullptr;
  Gate gate;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->fail(LoadKind::nodes, "slurm_load_node: Unable to contact slurm controller", true);
        backend = b.get();
        return b;
      },
      0ms);
  CHECK(contains(get_sync(p), "slurm_up 0\n"));  // no earlier answer: this one waits
  REQUIRE(backend->fetches(LoadKind::nodes) == 1);
  // The next request is answered on the calling thread, before get() returns, although the
  // poll it starts cannot finish (its fetches wait at the gate).
  backend->on_fetch = [&] { gate.wait(); };
  bool answered = false;
  scrape::Text text;
  p.get([&](scrape::Text t) {
    answered = true;
    text = std::move(t);
  });
  CHECK(answered);
  CHECK(contains(text, "slurm_up 0\n"));
  // ... and it started a background poll, which sees the controller back.
  backend->fail(LoadKind::nodes, "");
  gate.open();
  for (int i = 0; i < 500 && !contains(get_sync(p), "slurm_up 1\n"); ++i) {
    std::this_thread::sleep_for(10ms);  // waits for the poller thread, not for time to pass
  }
  CHECK(backend->fetches(LoadKind::nodes) >= 2);
  CHECK(contains(get_sync(p), "slurm_up 1\n"));
}

TEST_CASE("destroying the poller cancels the backend's running load") {
  Gate gate;
  FakeBackend* backend = nullptr;
  std::atomic<int> cancels{0};
  auto p = std::make_unique<scrape::Poller>(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->on_fetch = [&] { gate.wait(); };
        // As the cli backend's cancel() kills its commands: the stuck fetch returns.
        b->on_cancel = [&] {
          ++cancels;
          gate.open();
        };
        backend = b.get();
        return b;
      },
      0ms);
  p->get([](scrape::Text) {});
  for (int i = 0;
       i < 500 && backend->fetches(LoadKind::ping) + backend->fetches(LoadKind::nodes) == 0; ++i) {
    std::this_thread::sleep_for(10ms);  // waits for the poll to reach the gate
  }
  // Without the cancel the destructor would wait at the gate: a backstop opens it later.
  std::thread backstop([&] {
    for (int i = 0; i < 500 && cancels == 0; ++i) std::this_thread::sleep_for(10ms);
    gate.open();
  });
  p.reset();
  backstop.join();
  CHECK(cancels == 1);
}

TEST_CASE("a snapshot younger than the poll limit is reused") {
  FakeBackend* backend = nullptr;
  test_support::FakeClock clock;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        backend = b.get();
        return b;
      },
      500ms, {}, {}, clock);
  auto first = get_sync(p);
  clock.advance(499ms);
  auto second = get_sync(p);
  CHECK(first == second);  // the same shared text, not a new poll
  CHECK(backend->fetches(LoadKind::nodes) == 1);
  CHECK(p.polls() == 1);
  clock.advance(1ms);
  auto third = get_sync(p);
  CHECK(third != first);
  CHECK(backend->fetches(LoadKind::nodes) == 2);
}

TEST_CASE("concurrent requests during a poll share that poll") {
  FakeBackend* backend = nullptr;
  Gate gate;
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->on_fetch = [&] { gate.wait(); };
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
  gate.open();
  for (auto& r : results) REQUIRE(r.wait_for(10s) == std::future_status::ready);
  CHECK(backend->fetches(LoadKind::nodes) == 1);
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
        b->fail(LoadKind::nodes, "slurm_load_node: Socket timed out");
        b->fail(LoadKind::jobs, "slurm_load_jobs: Socket timed out");
        backend = b.get();
        return b;
      },
      0ms);
  CHECK(contains(get_sync(p), "slurm_up 0\n"));
  CHECK(contains(get_sync(p), "slurm_up 0\n"));
  const auto polls_while_down = p.polls();
  backend->fail(LoadKind::nodes, "");
  backend->fail(LoadKind::jobs, "");
  // The request that notices is answered from a failed poll and starts the next one; a poll
  // that had already started while slurmctld was down may still end failed, but the poll after
  // it is good. Nothing stays stale for longer than that.
  scrape::Text text;
  for (int i = 0; i < 500; ++i) {
    text = get_sync(p);
    if (contains(text, "slurm_up 1\n")) break;
    std::this_thread::sleep_for(10ms);  // waits for the poller thread
  }
  CHECK(contains(text, "slurm_up 1\n"));
  CHECK(p.polls() <= polls_while_down + 2);
}

TEST_CASE("node-based collectors share one node load; disabled collectors have no series") {
  FakeBackend b;
  collectors::EnabledCollectors all;
  all.set("node", true);
  const std::string text = poll(b, all);
  CHECK(b.fetches(LoadKind::nodes) == 1);
  CHECK(b.fetches(LoadKind::jobs) == 1);
  for (const char* c : {"nodes", "node", "node_reason", "jobs"}) {
    INFO(c);
    CHECK(text.find(std::string("slurm_exporter_collector_success{collector=\"") + c + "\"} 1\n") !=
          std::string::npos);
  }
  CHECK(text.find("slurm_node_cpus{") != std::string::npos);

  FakeBackend d;
  auto jobs_only = collectors::EnabledCollectors::none();
  jobs_only.set("jobs", true);
  const std::string only = poll(d, jobs_only);
  CHECK(d.fetches(LoadKind::nodes) == 0);
  CHECK(d.fetches(LoadKind::ping) == 0);
  CHECK(only.find("collector=\"nodes\"") == std::string::npos);
  CHECK(only.find("collector=\"node\"") == std::string::npos);
  CHECK(only.find("collector=\"node_reason\"") == std::string::npos);
  CHECK(only.find("slurm_cpus_total") == std::string::npos);
  CHECK(only.find("slurm_exporter_collector_success{collector=\"jobs\"} 1\n") != std::string::npos);

  // A failed node load fails every node-based collector, once.
  FakeBackend f;
  f.fail(LoadKind::nodes, "slurm_load_node: Socket timed out");
  const std::string failed = poll(f, all);
  CHECK(f.fetches(LoadKind::nodes) == 1);
  for (const char* c : {"nodes", "node", "node_reason"}) {
    INFO(c);
    CHECK(failed.find(std::string("slurm_exporter_collector_success{collector=\"") + c +
                      "\"} 0\n") != std::string::npos);
  }
}

namespace {

double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  REQUIRE(at != std::string::npos);
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("each collector's duration is its own loads and work: the sum is the poll") {
  // Every fetch takes 1 s on the fake clock; nodes, node and node_reason share one node load.
  test_support::FakeClock clock;
  FakeBackend b;
  b.on_fetch = [&] { clock.advance(1000ms); };
  collectors::EnabledCollectors e = collectors::EnabledCollectors::none();
  for (const char* c : {"nodes", "node", "node_reason", "jobs"}) e.set(c, true);
  scrape::Collection c(e, {}, clock);
  const std::string text = c.poll(b).text;
  const std::string d = "slurm_exporter_collector_duration_seconds{collector=\"";
  CHECK(sample(text, d + "nodes\"}") == 1.0);  // the node load
  CHECK(sample(text, d + "node\"}") == 0.0);   // shared: counted once, in nodes
  CHECK(sample(text, d + "node_reason\"}") == 0.0);
  CHECK(sample(text, d + "jobs\"}") == 1.0);
  CHECK(sample(text, "slurm_node_scrape_duration") == 1000.0);
  CHECK(sample(text, "slurm_job_scrape_duration") == 1000.0);
}

TEST_CASE("parse errors are counted per collector once per load generation, logged once") {
  FakeBackend b;
  b.change_detection = true;
  slurm::NodeData nodes = b.nodes;
  nodes.parse_errors = {"node n9: gres \"gpu:x:\": bad count"};
  b.set(LoadKind::nodes, nodes);
  collectors::EnabledCollectors e = collectors::EnabledCollectors::none();
  e.set("nodes", true);
  e.set("node_reason", true);
  e.set("jobs", true);
  scrape::Collection c(e);
  std::string text = c.poll(b).text;
  CHECK(test_support::contains(text, "slurm_exporter_parse_errors_total{collector=\"nodes\"} 1\n"));
  CHECK(test_support::contains(text,
                               "slurm_exporter_parse_errors_total{collector=\"node_reason\"} 1\n"));
  CHECK(test_support::contains(text, "slurm_exporter_parse_errors_total{collector=\"jobs\"} 0\n"));
  CHECK(test_support::contains(text, "# TYPE slurm_exporter_parse_errors_total counter\n"));
  // Unchanged data: the same generation, not counted again.
  text = c.poll(b).text;
  CHECK(test_support::contains(text, "slurm_exporter_parse_errors_total{collector=\"nodes\"} 1\n"));
  // A new answer with the same bad datum counts again.
  b.changed(LoadKind::nodes);
  text = c.poll(b).text;
  CHECK(test_support::contains(text, "slurm_exporter_parse_errors_total{collector=\"nodes\"} 2\n"));
  CHECK(test_support::contains(text, "slurm_exporter_collector_success{collector=\"nodes\"} 1\n"));
}

TEST_CASE("a finished job is counted once through the jobs collector's finished-jobs row") {
  FakeBackend b;
  b.change_detection = true;
  slurm::Job j;
  j.job_id = 42;
  j.user = "alice";
  j.account = "physics";
  j.partition = "debug";
  j.state = "RUNNING";
  j.submit_time = 1'700'000'000;
  b.set(LoadKind::jobs, slurm::JobData{{j}, {}});
  auto jobs_only = collectors::EnabledCollectors::none();
  jobs_only.set("jobs", true);
  scrape::Collection c(jobs_only);
  c.poll(b);
  j.state = "COMPLETED";
  b.set(LoadKind::jobs, slurm::JobData{{j}, {}});
  const std::string series =
      "slurm_jobs_finished_total{state=\"COMPLETED\",partition=\"debug\",account=\"physics\"} 1\n";
  CHECK(test_support::contains(c.poll(b).text, series));
  b.changed(LoadKind::jobs);  // listed finished again (MinJobAge): not counted twice
  CHECK(test_support::contains(c.poll(b).text, series));
  CHECK(test_support::contains(c.poll(b).text, series));  // unchanged: reused text
}

TEST_CASE("a backend that throws anything fails its collectors, never the process") {
  FakeBackend b;
  b.on_fetch = [] { throw 42; };  // not a std::exception
  const std::string text = poll(b);
  CHECK(text.find("slurm_up 0\n") != std::string::npos);
  CHECK(text.find("slurm_exporter_collector_success{collector=\"nodes\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("slurm_cpus_total") == std::string::npos);
}

TEST_CASE("a throwing family filter makes a failed poll: slurm_up 0, no Slurm family") {
  FakeBackend b;
  scrape::Collection c({}, [](const std::string& name) -> bool {
    if (name == "slurm_up") throw std::runtime_error("regex_error: complexity");
    return false;
  });
  const scrape::PollResult r = c.poll(b);
  CHECK_FALSE(r.slurm_up);
  CHECK(r.text.find("slurm_up 0\n") != std::string::npos);
  CHECK(r.text.find("slurm_cpus_total") == std::string::npos);
  CHECK(r.text.find("slurm_exporter_build_info{") != std::string::npos);
}

TEST_CASE("the poller survives a throwing backend, filter and callback, and keeps serving") {
  std::atomic<bool> throw_now{true};
  scrape::Poller p(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->on_fetch = [&] {
          if (throw_now) throw std::logic_error("boom");
        };
        return b;
      },
      0ms, {},
      [&](const std::string&) -> bool {
        if (throw_now) throw 7;
        return false;
      });
  // A callback that throws on the poller's thread (it waits for the first poll).
  std::promise<void> thrown;
  p.get([&](scrape::Text) {
    thrown.set_value();
    throw std::runtime_error("callback failed");
  });
  REQUIRE(thrown.get_future().wait_for(10s) == std::future_status::ready);
  const auto failed = get_sync(p);
  CHECK(contains(failed, "slurm_up 0\n"));
  CHECK_FALSE(contains(failed, "slurm_cpus_total"));
  throw_now = false;
  // A poll in the background after the failed one: the next answer is a working poll.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  scrape::Text ok;
  do {
    ok = get_sync(p);
  } while (!contains(ok, "slurm_up 1\n") && std::chrono::steady_clock::now() < deadline);
  CHECK(contains(ok, "slurm_up 1\n"));
  CHECK(contains(ok, "slurm_cpus_total 4\n"));
}

TEST_CASE("stop gives up on a poll stuck in Slurm after its deadline, and joins one that ends") {
  Gate gate;
  std::atomic<bool> in_fetch{false};
  auto p = std::make_unique<scrape::Poller>(
      [&] {
        auto b = std::make_unique<FakeBackend>();
        b->on_fetch = [&] {
          in_fetch = true;
          gate.wait();  // a libslurm RPC to a frozen slurmctld
        };
        return b;
      },
      0ms);
  p->get([](scrape::Text) {});
  for (int i = 0; i < 1000 && !in_fetch; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(in_fetch);
  CHECK_FALSE(p->stop(200ms));  // still in the fetch: the caller may exit without it
  gate.open();
  CHECK(p->stop(10s));  // the poll ends, the thread stops and is joined
  p.reset();
}

namespace {

// How often `line` starts a line of `text`.
std::size_t count_lines(const std::string& text, const std::string& line) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(line, at)) != std::string::npos; at += line.size()) {
    if (at == 0 || text[at - 1] == '\n') ++n;
  }
  return n;
}

// The family names of the text's # TYPE lines, in order.
std::vector<std::string> type_names(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at) {
    const auto start = at + 7;
    out.push_back(text.substr(start, text.find(' ', start) - start));
  }
  return out;
}

}  // namespace

TEST_CASE("a poll's text has each family once and each key sample once") {
  FakeBackend b;
  const std::string text = poll(b);
  auto names = type_names(text);
  REQUIRE(names.size() > 10);
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(count_lines(text, "slurm_up ") == 1);
  CHECK(count_lines(text, "slurm_cpus_total ") == 1);
  CHECK(count_lines(text, "slurm_exporter_collector_success{collector=\"nodes\"} ") == 1);
}

TEST_CASE("during an outage no stale Slurm family is served, only the exporter's own") {
  FakeBackend b;
  scrape::Collection c;
  REQUIRE(c.poll(b).text.find("slurm_cpus_total 4\n") != std::string::npos);
  for (auto kind : slurm::kAllLoads) b.fail(kind, "Unable to contact slurm controller", true);
  const std::string text = c.poll(b).text;
  CHECK(count_lines(text, "slurm_up 0\n") == 1);
  for (const auto& name : type_names(text)) {
    INFO(name);
    // The exporter's own: its health, timings, failed-load counters and process families.
    CHECK((name == "slurm_up" || name.starts_with("slurm_exporter_") ||
           name.starts_with("process_") || name.ends_with("_scrape_duration") ||
           name.ends_with("_scrape_error")));
  }
}
