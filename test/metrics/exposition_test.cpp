// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/exposition.hpp"

#include <catch2/catch.hpp>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

using namespace slurm_exporter::metrics;

TEST_CASE("values: integers, fractions, NaN and infinities") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(-0.0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(-7) == "-7");
  CHECK(format_value(8388608000.0) == "8388608000");
  CHECK(format_value(0.5) == "0.5");
  CHECK(format_value(1.25e-7) == "1.25e-07");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(1e300) == "1e+300");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("values do not depend on the C locale") {
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = old ? old : "C";
  // de_DE writes 2,5; scripts/install-deps.sh generates the locale.
  REQUIRE(std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", 2.5);
  const std::string c_printf = buf;
  const std::string ours = format_value(2.5);
  std::string text;
  write_text(std::vector<Family>{{"m", "h", Type::kGauge, {}, {{{}, 0.125}}}}, text);
  std::setlocale(LC_NUMERIC, saved.c_str());
  CHECK(c_printf == "2,5");  // the locale really is in effect
  CHECK(ours == "2.5");
  CHECK(text == "# HELP m h\n# TYPE m gauge\nm 0.125\n");
}

TEST_CASE("label values escape backslash, quote and newline only") {
  CHECK(escape_label_value(R"(a\b"c)"
                           "\n"
                           "d") == R"(a\\b\"c\nd)");
  CHECK(escape_label_value("down*") == "down*");
  CHECK(escape_label_value("ünïcode") == "ünïcode");
  CHECK(escape_help("line1\nline2 \"q\" \\") == R"(line1\nline2 "q" \\)");
}

TEST_CASE("families render HELP, TYPE and samples in the given order") {
  std::vector<Family> fams;
  fams.push_back({"slurm_up", "Whether slurmctld answered.", Type::kGauge, {}, {{{}, 1}}});
  fams.push_back({"slurm_x_total",
                  "A counter\nwith newline.",
                  Type::kCounter,
                  {"a", "b"},
                  {{{"1", "q\""}, 2.5}, {{"0", ""}, 0}}});
  fams.push_back({"slurm_empty", "No samples.", Type::kUntyped, {"l"}, {}});
  std::string out;
  write_text(fams, out);
  CHECK(out ==
        "# HELP slurm_up Whether slurmctld answered.\n"
        "# TYPE slurm_up gauge\n"
        "slurm_up 1\n"
        "# HELP slurm_x_total A counter\\nwith newline.\n"
        "# TYPE slurm_x_total counter\n"
        "slurm_x_total{a=\"1\",b=\"q\\\"\"} 2.5\n"
        "slurm_x_total{a=\"0\",b=\"\"} 0\n"
        "# HELP slurm_empty No samples.\n"
        "# TYPE slurm_empty untyped\n");
}

TEST_CASE("write_text appends") {
  std::string out = "x\n";
  std::vector<Family> fams{{"m", "h", Type::kGauge, {}, {{{}, std::nan("")}}}};
  write_text(fams, out);
  CHECK(out == "x\n# HELP m h\n# TYPE m gauge\nm NaN\n");
}

TEST_CASE("histograms: _bucket with le as the last label, then _sum and _count") {
  Family f{"wait_seconds", "h", Type::kHistogram, {"partition"}, {}};
  f.samples.push_back({{"a\"b"}, 1, "_bucket", "60"});
  f.samples.push_back({{"a\"b"}, 3, "_bucket", "+Inf"});
  f.samples.push_back({{"a\"b"}, 250.5, "_sum"});
  f.samples.push_back({{"a\"b"}, 3, "_count"});
  Family bare{"x_seconds", "no labels", Type::kHistogram, {}, {}};
  bare.samples.push_back({{}, 0, "_bucket", "+Inf"});
  bare.samples.push_back({{}, 0, "_count"});
  std::string out;
  write_text(std::vector<Family>{f, bare}, out);
  CHECK(out ==
        "# HELP wait_seconds h\n"
        "# TYPE wait_seconds histogram\n"
        "wait_seconds_bucket{partition=\"a\\\"b\",le=\"60\"} 1\n"
        "wait_seconds_bucket{partition=\"a\\\"b\",le=\"+Inf\"} 3\n"
        "wait_seconds_sum{partition=\"a\\\"b\"} 250.5\n"
        "wait_seconds_count{partition=\"a\\\"b\"} 3\n"
        "# HELP x_seconds no labels\n"
        "# TYPE x_seconds histogram\n"
        "x_seconds_bucket{le=\"+Inf\"} 0\n"
        "x_seconds_count 0\n");
}
