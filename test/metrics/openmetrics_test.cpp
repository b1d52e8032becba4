// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/openmetrics.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using slurm_exporter::metrics::prefers_openmetrics;
using slurm_exporter::metrics::to_openmetrics;

TEST_CASE("OpenMetrics: counters, unknown, gauges, histograms and # EOF", "[openmetrics]") {
  const std::string text =
      "# HELP slurm_jobs_finished_total Jobs that finished \"ok\"\\nor not\n"
      "# TYPE slurm_jobs_finished_total counter\n"
      "slurm_jobs_finished_total{state=\"FAILED\"} 3\n"
      "# HELP slurm_node_scrape_error Failed node loads\n"
      "# TYPE slurm_node_scrape_error counter\n"
      "slurm_node_scrape_error 0\n"
      "# HELP slurm_cpus_total Total CPUs\n"
      "# TYPE slurm_cpus_total untyped\n"
      "slurm_cpus_total 4\n"
      "# HELP slurm_up Up\n"
      "# TYPE slurm_up gauge\n"
      "slurm_up 1\n"
      "# a free comment\n"
      "# HELP w Waits\n"
      "# TYPE w histogram\n"
      "w_bucket{le=\"60\"} 1\n"
      "w_bucket{le=\"+Inf\"} 2\n"
      "w_sum 90\n"
      "w_count 2\n";
  CHECK(to_openmetrics(text) ==
        "# HELP slurm_jobs_finished Jobs that finished \\\"ok\\\"\\nor not\n"
        "# TYPE slurm_jobs_finished counter\n"
        "slurm_jobs_finished_total{state=\"FAILED\"} 3\n"
        "# HELP slurm_node_scrape_error Failed node loads\n"
        "# TYPE slurm_node_scrape_error counter\n"
        "slurm_node_scrape_error_total 0\n"
        "# HELP slurm_cpus_total Total CPUs\n"
        "# TYPE slurm_cpus_total unknown\n"
        "slurm_cpus_total 4\n"
        "# HELP slurm_up Up\n"
        "# TYPE slurm_up gauge\n"
        "slurm_up 1\n"
        "# HELP w Waits\n"
        "# TYPE w histogram\n"
        "w_bucket{le=\"60\"} 1\n"
        "w_bucket{le=\"+Inf\"} 2\n"
        "w_sum 90\n"
        "w_count 2\n"
        "# EOF\n");
  CHECK(to_openmetrics("") == "# EOF\n");
  CHECK_THROWS_AS(to_openmetrics("x 1\n"), std::invalid_argument);
}

TEST_CASE("OpenMetrics only when the scraper prefers it, as client_golang negotiates",
          "[openmetrics]") {
  CHECK_FALSE(prefers_openmetrics(""));
  CHECK_FALSE(prefers_openmetrics("*/*"));
  CHECK_FALSE(prefers_openmetrics("text/plain;version=0.0.4"));
  CHECK(prefers_openmetrics("application/openmetrics-text"));
  CHECK(prefers_openmetrics("application/openmetrics-text; version=1.0.0"));
  // Prometheus' default Accept (OpenMetrics first).
  CHECK(prefers_openmetrics(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  // Text preferred by q, OpenMetrics listed first.
  CHECK_FALSE(
      prefers_openmetrics("application/openmetrics-text;q=0.3, text/plain;version=0.0.4;q=0.9"));
  CHECK_FALSE(prefers_openmetrics("application/openmetrics-text;version=2.0.0"));
  CHECK_FALSE(prefers_openmetrics("application/openmetrics-text;q=0"));
  CHECK(prefers_openmetrics("*/*;q=1, application/openmetrics-text;q=0.5"));
}
