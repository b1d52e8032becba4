// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/log.hpp"

#include <catch2/catch.hpp>

#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter;

TEST_CASE("logfmt lines quote only what needs quoting") {
  CHECK(log::format(log::Level::kInfo, "listening", {{"address", "127.0.0.1:9092"}}) ==
        "level=info msg=listening address=127.0.0.1:9092\n");
  CHECK(log::format(log::Level::kError, "collector failed",
                    {{"err", "slurm_load_node: Unable to contact \"ctld\""}}) ==
        "level=error msg=\"collector failed\" err=\"slurm_load_node: Unable to contact "
        "\\\"ctld\\\"\"\n");
  CHECK(log::format(log::Level::kWarn, "x", {{"k", ""}, {"n", "a=b"}, {"nl", "a\nb"}}) ==
        "level=warn msg=x k=\"\" n=\"a=b\" nl=\"a\\nb\"\n");
  CHECK(log::format(log::Level::kDebug, "ctl", {{"c", std::string_view("\x01", 1)}}) ==
        "level=debug msg=ctl c=\"\\x01\"\n");
}

TEST_CASE("log levels parse and reject garbage") {
  CHECK(log::parse_level("debug") == log::Level::kDebug);
  CHECK(log::parse_level("info") == log::Level::kInfo);
  CHECK(log::parse_level("warn") == log::Level::kWarn);
  CHECK(log::parse_level("warning") == log::Level::kWarn);
  CHECK(log::parse_level("error") == log::Level::kError);
  CHECK_THROWS_AS(log::parse_level("loud"), ConfigError);
  CHECK_THROWS_AS(log::parse_level(""), ConfigError);
}
