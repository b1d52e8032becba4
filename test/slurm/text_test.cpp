// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/text.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter::slurm;
using slurm_exporter::ParseError;

namespace {

std::string error_of(auto f) {
  try {
    f();
  } catch (const ParseError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("text: lines, blanks, CRLF, a last line without newline") {
  std::vector<std::pair<std::string, std::size_t>> seen;
  text::for_each_line("a\r\n\n  \t\nb c\nlast", [&](std::string_view l, std::size_t n) {
    seen.emplace_back(std::string(l), n);
  });
  CHECK(seen ==
        std::vector<std::pair<std::string, std::size_t>>{{"a", 1}, {"b c", 4}, {"last", 5}});
  CHECK(text::trim(" \t x y\r ") == "x y");
  CHECK(text::trim(" \t\r").empty());
}

TEST_CASE("text: strict integers with their range") {
  CHECK(text::parse_u64("0", "n") == 0);
  CHECK(text::parse_u64("18446744073709551615", "n") == UINT64_MAX);
  CHECK(error_of([] { text::parse_u64("18446744073709551616", "n"); }) ==
        "n \"18446744073709551616\" is out of range");
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0"}) {
    INFO(bad);
    CHECK(error_of([&] { text::parse_u64(bad, "Weight"); }) ==
          "Weight " + text::quote(bad) + " is not a number");
  }
  CHECK(text::parse_uint<std::uint32_t>("4294967295", "w") == 4294967295u);
  CHECK(error_of([] { text::parse_uint<std::uint32_t>("4294967296", "w"); }) ==
        "w \"4294967296\" is out of range");
  CHECK(error_of([] { text::parse_uint<std::uint16_t>("65536", "p"); }) ==
        "p \"65536\" is out of range");
}

TEST_CASE("text: arithmetic and units detect overflow and name unknown units") {
  CHECK(text::checked_mul(1ULL << 32, 1ULL << 31, "x") == 1ULL << 63);
  CHECK(error_of([] { text::checked_mul(1ULL << 32, 1ULL << 32, "memory"); }) ==
        "memory is out of range");
  CHECK(error_of([] { text::checked_add(UINT64_MAX, 1, "sum"); }) == "sum is out of range");
  CHECK(text::binary_unit('K', "m") == 1024);
  CHECK(text::binary_unit('E', "m") == 1ULL << 60);
  CHECK(error_of([] { text::binary_unit('k', "TRES memory"); }) ==
        "TRES memory: unknown unit \"k\"");
  CHECK(text::parse_suffixed("4G", "c") == 4ULL << 30);
  CHECK(text::parse_suffixed("7", "c") == 7);
  CHECK(error_of([] { text::parse_suffixed("16E", "c"); }) == "c \"16E\" is out of range");
  CHECK(error_of([] { text::parse_suffixed("2Q", "c"); }) == "c: unknown unit \"Q\"");
  CHECK_THROWS_AS(text::parse_suffixed("G", "c"), ParseError);
}

TEST_CASE("text: scontrol fields with spaces in values and crafted fields") {
  // 22.05's line for a node on Debian: OS has spaces, '#' and parentheses.
  const text::Fields f(
      "NodeName=n1 Arch=x86_64 CPUTot=4 CfgTRES=cpu=4,mem=8000M,billing=4 "
      "OS=Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)  "
      "RealMemory=8000 State=IDLE");
  CHECK(f.get("NodeName") == "n1");
  CHECK(f.get("CfgTRES") == "cpu=4,mem=8000M,billing=4");
  CHECK(f.get("OS") == "Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)");
  CHECK(f.get("RealMemory") == "8000");
  CHECK(f.get("State") == "IDLE");
  CHECK(!f.find("mem"));      // inside a value, not after a space
  CHECK(!f.find("Missing"));  // absent
  CHECK(f.get("Missing").empty());
  CHECK(error_of([&] { f.required("Missing"); }) == "no Missing=");
  // A key only matches whole: "Name" is not "NodeName".
  CHECK(!f.find("Name"));
  // A value that holds text shaped like a field makes that key ambiguous: an error, never the
  // crafted value.
  const text::Fields crafted("NodeName=n1 OS=Linux State=DOWN RealMemory=1 State=IDLE");
  CHECK(error_of([&] { crafted.get("State"); }) ==
        "State= appears twice (a value holds text shaped like a field)");
  CHECK(crafted.get("RealMemory") == "1");
  // Empty values and an empty line.
  const text::Fields empty_values("A= B=x");
  CHECK(empty_values.find("A") == std::string_view{});
  CHECK(text::Fields("").get("A").empty());
}

TEST_CASE("text: quote bounds, escapes and cuts on a character boundary") {
  CHECK(text::quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\x0a\"");
  const std::string long_text = std::string(199, 'x') + "é";
  CHECK(text::quote(long_text) == "\"" + std::string(199, 'x') + "\"...");
}

TEST_CASE("text: local times in the process's zone") {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  CHECK(text::parse_local_time("2024-03-01T10:00:00") == 1709287200);
  setenv("TZ", "Asia/Kolkata", 1);  // +05:30, no DST
  tzset();
  CHECK(text::parse_local_time("2024-03-01T15:30:00") == 1709287200);
  setenv("TZ", "America/New_York", 1);  // DST rules apply (tm_isdst = -1)
  tzset();
  CHECK(text::parse_local_time("2024-07-01T06:00:00") == 1719828000);
  CHECK(text::parse_local_time("2024-01-01T05:00:00") == 1704103200);
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  for (const char* bad : {"", "2024-03-01 10:00:00", "2024-13-01T10:00:00", "N/A", "Unknown"}) {
    CHECK(!text::parse_local_time(bad));
  }
}
