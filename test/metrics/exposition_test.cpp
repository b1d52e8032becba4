// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/exposition.hpp"

#include <catch2/catch.hpp>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "../support/golden.hpp"

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

TEST_CASE("families Prometheus would reject are found before they are served") {
  const auto problem = [](Family f) { return family_problem(f); };
  CHECK(problem({"slurm_ok:rate", "h", Type::kGauge, {"a", "_b2"}, {{{"x", "y"}, 1}}}).empty());
  CHECK(problem({"", "h", Type::kGauge, {}, {}}) == "not a valid metric name");
  CHECK(problem({"1slurm", "h", Type::kGauge, {}, {}}) == "not a valid metric name");
  CHECK(problem({"slurm-nodes", "h", Type::kGauge, {}, {}}) == "not a valid metric name");
  CHECK(problem({"m", "h", Type::kGauge, {"state name"}, {}}) ==
        "label name \"state name\" is not valid");
  CHECK(problem({"m", "h", Type::kGauge, {"__name"}, {}}) == "label name \"__name\" is not valid");
  CHECK(problem({"m", "h", Type::kGauge, {"a:b"}, {}}) == "label name \"a:b\" is not valid");
  CHECK(problem({"m", "h", Type::kGauge, {"a", "a"}, {}}) == "label name \"a\" twice");
  CHECK(problem({"m", "h", Type::kHistogram, {"le"}, {}}) == "label name \"le\" on a histogram");
  CHECK(problem({"m", "h", Type::kGauge, {"a", "b"}, {{{"x"}, 1}}}) ==
        "a sample has 1 label values for 2 label names");
  CHECK(problem({"m", "h", Type::kGauge, {}, {{{"x"}, 1}}}) ==
        "a sample has 1 label values for 0 label names");
  CHECK(problem({"m", "h", Type::kGauge, {}, {{{}, 1, "_bucket", "1"}}}) ==
        "a histogram suffix or le on a sample of another type");
  CHECK(problem({"m", "h", Type::kHistogram, {}, {{{}, 1, "_bucket"}}}) ==
        "le on a sample that is not a bucket");
  CHECK(problem({"m", "h", Type::kHistogram, {}, {{{}, 1}}}) ==
        "a histogram sample without _bucket, _sum or _count");
}

TEST_CASE("a family with a problem or a duplicate series is left out whole, the rest served") {
  std::vector<Family> fams;
  fams.push_back({"good", "h", Type::kGauge, {"a"}, {{{"1"}, 1}}});
  fams.push_back({"short_labels", "h", Type::kGauge, {"a", "b"}, {{{"1", "2"}, 1}, {{"1"}, 2}}});
  fams.push_back({"dup", "h", Type::kGauge, {"a"}, {{{"x"}, 1}, {{"y"}, 2}, {{"x"}, 3}}});
  fams.push_back({"good", "again", Type::kGauge, {}, {{{}, 1}}});
  fams.push_back({"last", "h", Type::kGauge, {}, {{{}, 4}}});
  // Escaping keeps distinct values distinct: a\"b and a"b are one value, "a\\" another.
  fams.push_back({"esc", "h", Type::kGauge, {"a"}, {{{"a\"b"}, 1}, {{"a\\\"b"}, 2}}});
  std::string out = "keep\n";
  const auto problems = write_text_checked(fams, out);
  CHECK(out ==
        "keep\n"
        "# HELP good h\n# TYPE good gauge\ngood{a=\"1\"} 1\n"
        "# HELP last h\n# TYPE last gauge\nlast 4\n"
        "# HELP esc h\n# TYPE esc gauge\nesc{a=\"a\\\"b\"} 1\nesc{a=\"a\\\\\\\"b\"} 2\n");
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "family short_labels: a sample has 1 label values for 2 label names");
  CHECK(problems[1] == "family dup: series dup{a=\"x\"} twice");
  CHECK(problems[2] == "family good: named twice");
}

TEST_CASE("histogram buckets differ by le, not duplicates") {
  Family f{"w", "h", Type::kHistogram, {}, {}};
  f.samples.push_back({{}, 1, "_bucket", "1"});
  f.samples.push_back({{}, 1, "_bucket", "+Inf"});
  f.samples.push_back({{}, 1, "_sum"});
  f.samples.push_back({{}, 1, "_count"});
  std::string out;
  CHECK(write_text_checked(std::vector<Family>{f}, out).empty());
  f.samples.push_back({{}, 1, "_bucket", "1"});
  std::string again;
  CHECK(write_text_checked(std::vector<Family>{f}, again) ==
        std::vector<std::string>{"family w: series w_bucket{le=\"1\"} twice"});
  CHECK(again.empty());
}

TEST_CASE("label values from Slurm: any bytes give valid UTF-8 without control characters") {
  const std::string fffd = "\xEF\xBF\xBD";
  // Latin-1 "Müller" (0xFC alone is not UTF-8): the byte is replaced, the rest kept.
  CHECK(escape_label_value("M\xFCller") == "M" + fffd + "ller");
  // Broken UTF-8: a lone continuation byte, a sequence cut short, an overlong '/', a surrogate.
  CHECK(escape_label_value("a\x80z") == "a" + fffd + "z");
  CHECK(escape_label_value("a\xC3") == "a" + fffd);
  CHECK(escape_label_value("\xC0\xAF") == fffd + fffd);
  CHECK(escape_label_value("\xED\xA0\x80") == fffd + fffd + fffd);
  CHECK(escape_label_value("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);
  // Valid UTF-8 of any length passes: 2, 3 and 4 bytes.
  CHECK(escape_label_value("\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80") ==
        "\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Control characters are replaced; newline, quote and backslash are escaped as before.
  CHECK(escape_label_value(std::string("a\tb\rc\x1b[31m\x7f") + '\0' + "d") ==
        "a" + fffd + "b" + fffd + "c" + fffd + "[31m" + fffd + fffd + "d");
  CHECK(escape_label_value("x\ny\"z\\") == "x\\ny\\\"z\\\\");
  // Over-long values are cut at kMaxLabelValueBytes, never inside a character.
  CHECK(escape_label_value(std::string(5000, 'r')) == std::string(kMaxLabelValueBytes, 'r'));
  std::string euros;
  for (int i = 0; i < 400; ++i) euros += "\xE2\x82\xAC";  // 1200 bytes
  const std::string cut = escape_label_value(euros);
  CHECK(cut.size() == kMaxLabelValueBytes / 3 * 3);
  CHECK(cut == euros.substr(0, kMaxLabelValueBytes / 3 * 3));
}

TEST_CASE("a family with hostile label values renders valid text (promtool checks the golden)") {
  Family f{"slurm_node_reason_info", "Node reasons", Type::kGauge, {"node", "reason", "user"}, {}};
  f.samples.emplace_back(std::vector<std::string>{"n1", "M\xFCller disk\x01", "r\xE9mi"}, 1);
  f.samples.emplace_back(std::vector<std::string>{"n2", std::string(3000, 'x'), "\xFF\xFE"}, 1);
  f.samples.emplace_back(std::vector<std::string>{"n3", "a\"b\\c\nd", "ok"}, 1);
  std::string text;
  CHECK(write_text_checked(std::vector<Family>{f}, text).empty());
  // Hand-computed: the first sample's line.
  CHECK(
      text.find("slurm_node_reason_info{node=\"n1\",reason=\"M\xEF\xBF\xBDller disk\xEF\xBF\xBD\","
                "user=\"r\xEF\xBF\xBDmi\"} 1\n") != std::string::npos);
  // No byte of the text is a control character other than newline.
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    CHECK((u >= 0x20 || u == '\n'));
    CHECK(u != 0x7F);
  }
  test_support::check_golden("untrusted_text.prom", text);
}
