// SPDX-License-Identifier: GPL-2.0-or-later
// The drop-in claim: every flag and metric name of the rivosinc exporter 1.7 (captured from its
// source into test/fixtures/rivosinc_1.7_names.txt) is accepted / exported here, and every name of
// the vpenso exporter (test/fixtures/vpenso_895c7c6_names.txt) with --compat=vpenso.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/golden.hpp"
#include "fixtures.hpp"
#include "slurm_exporter/app/flags.hpp"
#include "slurm_exporter/collectors/accounting.hpp"
#include "slurm_exporter/collectors/exporter.hpp"
#include "slurm_exporter/collectors/features.hpp"
#include "slurm_exporter/collectors/jobs.hpp"
#include "slurm_exporter/collectors/licenses.hpp"
#include "slurm_exporter/collectors/nodes.hpp"
#include "slurm_exporter/collectors/scheduler.hpp"
#include "slurm_exporter/collectors/trace.hpp"
#include "slurm_exporter/collectors/vpenso.hpp"

using namespace slurm_exporter;

namespace {

// Every family name the collectors produce from the test fixtures, with every optional part on.
std::set<std::string> exported_names() {
  std::vector<metrics::Family> all;
  const auto add = [&](std::vector<metrics::Family> f) {
    for (auto& x : f) all.push_back(std::move(x));
  };
  add(collectors::collect_nodes(fixtures::cluster()));
  add(collectors::collect_jobs(fixtures::jobs()));
  slurm::JobData jobs;
  jobs.jobs = fixtures::jobs();
  jobs.features_known = true;
  add(collectors::collect_features(jobs));
  add(collectors::collect_scheduler(slurm::SchedulerStats{}));
  add(collectors::collect_licenses({slurm::License{"matlab", 10, 2, 8, 0, true, 1, 0}}));
  collectors::ExporterStatus st;
  st.sdiag_load_ms = 1;
  st.node_load_failures = st.job_load_failures = st.sdiag_load_failures = st.license_load_failures =
      0;
  add(collectors::collect_exporter(st));
  trace::Sample traced;
  traced.job_id = fixtures::jobs().at(0).job_id;
  add(collectors::collect_trace(fixtures::jobs(), std::vector<trace::Sample>{traced}));
  std::set<std::string> names;
  for (const auto& f : all) names.insert(f.name);
  return names;
}

// The "KIND NAME …" lines of a names fixture (comments and blank lines skipped).
std::vector<std::pair<std::string, std::string>> fixture_entries(const std::string& file) {
  const std::string text = test_support::read_file(std::string(SE_TEST_DATA_DIR) + "/" + file);
  REQUIRE_FALSE(text.empty());
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind, name;
    words >> kind >> name;
    out.emplace_back(kind, name);
  }
  return out;
}

}  // namespace

TEST_CASE("every rivosinc 1.7 flag is accepted and every metric name exported") {
  const std::string usage = app::usage();
  const auto names = exported_names();
  int flags = 0, metrics = 0;
  for (const auto& [kind, name] : fixture_entries("fixtures/rivosinc_1.7_names.txt")) {
    INFO(kind << " " << name);
    if (kind == "flag") {
      ++flags;
      const bool listed = usage.find("  -" + name + "\n") != std::string::npos ||
                          usage.find("  -" + name + " ") != std::string::npos;
      CHECK(listed);
      // And the parser takes it (a value where it needs one).
      const bool boolean = name.starts_with("trace.enabled") || name.starts_with("slurm.collect") ||
                           name == "slurm.cli-fallback";
      std::string value = "/x";
      if (name == "trace.rate" || name == "slurm.poll-limit") value = "5";
      if (name == "web.log-level") value = "info";
      const std::string arg = "-" + name + (boolean ? "" : "=" + value);
      const std::string_view args[] = {arg};
      CHECK_NOTHROW(app::parse_flags(args));
    } else if (kind == "metric") {
      ++metrics;
      CHECK(names.count(name) == 1);
    } else {
      CHECK((kind == "elsewhere" || kind == "absent"));
      CHECK(names.count(name) == 0);  // once exported here, make it a "metric" line
    }
  }
  CHECK(flags == 17);
  CHECK(metrics == 59);
}

TEST_CASE("every vpenso name is exported with --compat=vpenso (or by the fairshare collector)") {
  std::vector<metrics::Family> all;
  const auto add = [&](std::vector<metrics::Family> f) {
    for (auto& x : f) all.push_back(std::move(x));
  };
  slurm::JobData jobs;
  jobs.jobs = fixtures::jobs();
  add(collectors::collect_vpenso(fixtures::cluster(), jobs));
  add(collectors::collect_vpenso_scheduler(slurm::SchedulerStats{}));
  // Served once under the name both exporters use: slurm_cpus_idle/_total (nodes),
  // slurm_scheduler_threads (scheduler), slurm_account_fairshare (fairshare).
  add(collectors::collect_nodes(fixtures::cluster()));
  add(collectors::collect_scheduler(slurm::SchedulerStats{}));
  slurm::ShareData shares;
  shares.rows.push_back({"physics", "", 1, {}});
  shares.rows.back().shares.norm_shares = 0.5;
  add(collectors::collect_fairshare(shares, false));
  std::set<std::string> names;
  for (const auto& f : all) names.insert(f.name);
  int metrics = 0;
  for (const auto& [kind, name] : fixture_entries("fixtures/vpenso_895c7c6_names.txt")) {
    INFO(kind << " " << name);
    CHECK(kind == "metric");
    CHECK(names.count(name) == 1);
    ++metrics;
  }
  CHECK(metrics == 62);
}
