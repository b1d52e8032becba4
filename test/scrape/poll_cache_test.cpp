// SPDX-License-Identifier: GPL-2.0-or-later
// poll_once with a PollCache: data the backend reports unchanged is not collected again, and the
// text stays what a poll without the cache renders.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

using namespace slurm_exporter;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A backend that says whether its data changed since the previous *_if_changed call, like the
// libslurm backend does with last_update. `version_*` change the data.
struct ChangingBackend final : slurm::Backend {
  int nodes_version = 1, jobs_version = 1;
  int nodes_seen = 0, jobs_seen = 0;  // the versions the last *_if_changed handed out
  int full_node_loads = 0, full_job_loads = 0, node_if_changed = 0, job_if_changed = 0;
  bool fail_jobs = false;
  std::int64_t submit_time = 0;
  std::int64_t eligible_time = 0;      // of the pending jobs
  std::vector<slurm::Job> extra_jobs;  // listed after the generated ones

  std::string_view name() const override { return "changing"; }
  std::string slurm_version() const override { return "22.05.8"; }

  slurm::NodeData nodes() const {
    slurm::NodeData d;
    for (int i = 0; i < nodes_version; ++i) {
      slurm::Node n;
      n.name = "n" + std::to_string(i);
      n.state_name = "idle";
      n.cpus = 4;
      n.idle_cpus = 4;
      n.partitions = {"debug"};
      n.state = slurm::node_state::kIdle;
      if (i == 1) n.state |= slurm::node_state::kDrain;
      d.nodes.push_back(n);
    }
    slurm::Partition p;
    p.name = "debug";
    p.state = "up";
    d.partitions.push_back(p);
    return d;
  }
  std::vector<slurm::Job> jobs() const {
    std::vector<slurm::Job> out;
    for (int i = 0; i < jobs_version; ++i) {
      slurm::Job j;
      j.job_id = static_cast<std::uint32_t>(i + 1);
      j.user = "alice";
      j.account = "physics";
      j.partition = i % 2 ? "batch" : "debug";
      j.state = i == 0 ? "RUNNING" : "PENDING";
      j.reason = i == 0 ? "None" : "Priority";
      j.cpus = 2;
      j.submit_time = submit_time - i;
      if (i > 0) j.eligible_time = eligible_time;
      out.push_back(j);
    }
    out.insert(out.end(), extra_jobs.begin(), extra_jobs.end());
    return out;
  }
  slurm::NodeData load_nodes() override {
    ++full_node_loads;
    nodes_seen = nodes_version;
    return nodes();
  }
  std::vector<slurm::Job> load_jobs() override {
    ++full_job_loads;
    if (fail_jobs) throw BackendError("slurm_load_jobs: Socket timed out");
    jobs_seen = jobs_version;
    return jobs();
  }
  std::vector<slurm::Reservation> load_reservations() override {
    slurm::Reservation r;
    r.name = "maint";
    r.node_count = 2;
    r.nodes = {"n0", "n1"};
    return {r};
  }
  std::optional<slurm::NodeData> load_nodes_if_changed() override {
    ++node_if_changed;
    if (nodes_seen == nodes_version) return std::nullopt;
    nodes_seen = nodes_version;
    return nodes();
  }
  std::optional<std::vector<slurm::Job>> load_jobs_if_changed() override {
    ++job_if_changed;
    if (fail_jobs) throw BackendError("slurm_load_jobs: Socket timed out");
    if (jobs_seen == jobs_version) return std::nullopt;
    jobs_seen = jobs_version;
    return jobs();
  }
};

// The text without the lines that measure time (durations), which differ from poll to poll.
std::string stable_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find("duration") != std::string::npos) continue;
    out += line + "\n";
  }
  return out;
}

// Polls `cached` (through its cache) and a copy of it without a cache within the same second
// (the pending ages depend on "now"), returning both stable texts.
std::pair<std::string, std::string> poll_both(ChangingBackend& cached, scrape::PollCache& cache,
                                              const collectors::EnabledCollectors& enabled = {}) {
  scrape::FailureLog log;
  for (int attempt = 0;; ++attempt) {
    const auto before = unix_now();
    ChangingBackend reference = cached;
    const std::string a = scrape::poll_once(cached, log, enabled, {}, nullptr, &cache).text;
    const std::string b = scrape::poll_once(reference, log, enabled).text;
    if (unix_now() == before || attempt == 5) return {stable_lines(a), stable_lines(b)};
  }
}

}  // namespace

TEST_CASE("poll cache: an unchanged poll renders the same text without collecting again") {
  ChangingBackend b;
  b.submit_time = unix_now() - 1000;
  b.jobs_version = 5;
  scrape::PollCache cache;
  scrape::FailureLog log;

  const auto first = scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  CHECK(first.reloaded);
  CHECK(cache.nodes_valid);
  CHECK(cache.jobs_valid);
  const int node_loads = b.full_node_loads, job_loads = b.full_job_loads;
  const int node_asks = b.node_if_changed, job_asks = b.job_if_changed;

  const auto [cached, reference] = poll_both(b, cache);
  CHECK(b.node_if_changed == node_asks + 1);
  CHECK(b.job_if_changed == job_asks + 1);
  CHECK(b.full_node_loads == node_loads);  // the cached poll asked only whether anything changed
  CHECK(b.full_job_loads == job_loads);
  CHECK(cached == reference);
  CHECK(cached.find("slurm_cpus_total 4\n") != std::string::npos);
  CHECK(cached.find("slurm_exporter_collector_success{collector=\"jobs\"} 1\n") !=
        std::string::npos);

  const auto again = scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  CHECK_FALSE(again.reloaded);
}

TEST_CASE("poll cache: the pending ages of an unchanged poll follow the clock") {
  ChangingBackend b;
  b.jobs_version = 4;
  b.submit_time = unix_now() - 500;  // oldest pending: job 4 (submit_time - 3), in batch
  b.eligible_time = b.submit_time;   // only jobs eligible to start have an age
  scrape::PollCache cache;
  scrape::FailureLog log;
  scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  // Later submit times make the same cached jobs "older": move the clock instead by
  // comparing against a poll without the cache, which computes the ages from scratch.
  const auto [cached, reference] = poll_both(b, cache);
  CHECK(cached == reference);
  const auto line = [&](const std::string& text, const std::string& part) {
    const std::string key =
        "slurm_partition_oldest_pending_job_seconds{partition=\"" + part + "\"} ";
    const auto pos = text.find(key);
    REQUIRE(pos != std::string::npos);
    return std::stod(text.substr(pos + key.size()));
  };
  CHECK(line(cached, "batch") >= 501);
  CHECK(line(cached, "debug") >= 500);
}

TEST_CASE("poll cache: unchanged pending ages skip held jobs and split partitions") {
  ChangingBackend b;
  b.jobs_version = 1;  // one running job in debug
  const auto now = unix_now();
  const auto pending = [&](std::uint32_t id, const char* partition, std::int64_t submit,
                           std::int64_t eligible) {
    slurm::Job j;
    j.job_id = id;
    j.user = "bob";
    j.account = "chem";
    j.partition = partition;
    j.state = "PENDING";
    j.reason = eligible ? "Priority" : "JobHeldUser";
    j.cpus = 1;
    j.submit_time = submit;
    j.eligible_time = eligible;
    return j;
  };
  // In debug the held job is the oldest; the job pending in debug,batch is the oldest eligible
  // one of both partitions; batch's own job is younger.
  b.extra_jobs = {pending(10, "debug", now - 9000, 0),
                  pending(11, "debug,batch", now - 700, now - 700),
                  pending(12, "batch", now - 300, now - 300)};
  scrape::PollCache cache;
  scrape::FailureLog log;
  scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  const int job_loads = b.full_job_loads;
  const auto [cached, reference] = poll_both(b, cache);
  CHECK(b.full_job_loads == job_loads);  // served from the cache
  CHECK(cached == reference);
  const auto age = [&](const std::string& part) {
    const std::string key =
        "slurm_partition_oldest_pending_job_seconds{partition=\"" + part + "\"} ";
    const auto pos = cached.find(key);
    REQUIRE(pos != std::string::npos);
    return std::stod(cached.substr(pos + key.size()));
  };
  CHECK(age("debug") >= 700);
  CHECK(age("debug") < 800);
  CHECK(age("batch") >= 700);
  CHECK(age("batch") < 800);
  CHECK(cached.find("partition=\"debug,batch\"") != std::string::npos);  // the rivosinc family
  CHECK(cached.find("slurm_partition_oldest_pending_job_seconds{partition=\"debug,batch\"") ==
        std::string::npos);
}

TEST_CASE("poll cache: changed data replaces the cached text") {
  ChangingBackend b;
  b.submit_time = unix_now() - 10;
  scrape::PollCache cache;
  scrape::FailureLog log;
  scrape::poll_once(b, log, {}, {}, nullptr, &cache);

  b.nodes_version = 3;  // 3 nodes x 4 CPUs
  b.jobs_version = 7;
  const auto [cached, reference] = poll_both(b, cache);
  CHECK(cached == reference);
  CHECK(cached.find("slurm_cpus_total 12\n") != std::string::npos);
  CHECK(cached.find("slurm_jobs_pending 6\n") != std::string::npos);

  b.jobs_version = 2;  // only the jobs change
  const auto [cached2, reference2] = poll_both(b, cache);
  CHECK(cached2 == reference2);
  CHECK(cached2.find("slurm_cpus_total 12\n") != std::string::npos);
  CHECK(cached2.find("slurm_jobs_pending 1\n") != std::string::npos);
}

TEST_CASE("poll cache: a failed load is not hidden by the cache, and the next poll reloads") {
  ChangingBackend b;
  scrape::PollCache cache;
  scrape::FailureLog log;
  b.jobs_version = 3;
  scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  b.fail_jobs = true;
  const std::string failed = scrape::poll_once(b, log, {}, {}, nullptr, &cache).text;
  CHECK(failed.find("slurm_exporter_collector_success{collector=\"jobs\"} 0\n") !=
        std::string::npos);
  CHECK(failed.find("slurm_jobs_pending") == std::string::npos);
  CHECK_FALSE(cache.jobs_valid);

  b.fail_jobs = false;
  const int full_before = b.full_job_loads;
  const std::string back = scrape::poll_once(b, log, {}, {}, nullptr, &cache).text;
  CHECK(b.full_job_loads == full_before + 1);  // not an if_changed: the cache was dropped
  CHECK(back.find("slurm_jobs_pending 2\n") != std::string::npos);
}

TEST_CASE("poll cache: the family filter applies to cached text too") {
  ChangingBackend b;
  scrape::PollCache cache;
  scrape::FailureLog log;
  const auto drop = [](const std::string& name) {
    return name.rfind("slurm_cpus", 0) == 0 || name == "slurm_jobs_pending";
  };
  scrape::poll_once(b, log, {}, drop, nullptr, &cache);
  const int node_loads = b.full_node_loads;
  const std::string text = scrape::poll_once(b, log, {}, drop, nullptr, &cache).text;
  CHECK(b.full_node_loads == node_loads);
  CHECK(text.find("slurm_cpus") == std::string::npos);
  CHECK(text.find("slurm_jobs_pending") == std::string::npos);
  CHECK(text.find("slurm_jobs_running") != std::string::npos);
}

TEST_CASE("poll cache: the pending-wait histogram of an unchanged poll follows the clock") {
  ChangingBackend b;
  b.jobs_version = 3;  // two pending jobs, in batch and debug
  b.submit_time = unix_now() - 10;
  b.eligible_time = unix_now() + 2;  // not waiting yet
  scrape::PollCache cache;
  scrape::FailureLog log;
  const std::string count_debug = "slurm_pending_job_wait_seconds_count{partition=\"debug\"} ";
  const std::string first = scrape::poll_once(b, log, {}, {}, nullptr, &cache).text;
  REQUIRE(first.find(count_debug + "0\n") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  const int job_loads = b.full_job_loads;
  const std::string later = scrape::poll_once(b, log, {}, {}, nullptr, &cache).text;
  CHECK(b.full_job_loads == job_loads);                         // served from the cache…
  CHECK(later.find(count_debug + "1\n") != std::string::npos);  // …at the new "now"
  const auto [cached, reference] = poll_both(b, cache);
  CHECK(cached == reference);
}

TEST_CASE("poll cache: reservations of unchanged nodes keep their nodes' states, no node load") {
  ChangingBackend b;
  b.nodes_version = 2;  // n0 idle, n1 drained
  scrape::PollCache cache;
  scrape::FailureLog log;
  scrape::poll_once(b, log, {}, {}, nullptr, &cache);
  const int node_loads = b.full_node_loads;
  const auto [cached, reference] = poll_both(b, cache);
  CHECK(b.full_node_loads == node_loads);
  CHECK(cached == reference);
  CHECK(cached.find("slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n") !=
        std::string::npos);
  CHECK(cached.find(
            "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"drained\"} 1\n") !=
        std::string::npos);
}
