// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/registry.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "../support/golden.hpp"

using namespace slurm_exporter;

TEST_CASE("README's collector table is the one the table generates") {
  const std::string readme =
      test_support::read_file(std::string(SE_TEST_DATA_DIR) + "/../README.md");
  const std::string begin =
      "<!-- collector-table:begin (generated from src/collectors/registry.cpp; "
      "collectors_test prints it) -->\n";
  const std::string end = "<!-- collector-table:end -->";
  const auto b = readme.find(begin);
  const auto e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string in_readme = readme.substr(b + begin.size(), e - b - begin.size());
  INFO("paste this between the markers in README.md:\n" << collectors::collectors_markdown());
  CHECK(in_readme == collectors::collectors_markdown());
  // Checked by hand, not by the generator: the node collector is the one opt-in.
  CHECK(test_support::contains(in_readme, "| `node` | **off** |"));
  CHECK(test_support::contains(in_readme, "| `jobs` | on |"));
}

TEST_CASE("every row of the collector table is complete") {
  std::set<std::string_view> documented;
  std::set<std::string_view> aliases;
  for (const auto& row : collectors::collector_table()) {
    INFO(row.name);
    // A row without loads reads no Slurm data: it must then depend on "now" (else its text
    // would never be rendered again).
    CHECK((!row.loads.empty() || row.uses_now));
    // Exactly one of a pure collect function and a state.
    CHECK((row.collect == nullptr) != (row.make_state == nullptr));
    if (documented.insert(row.name).second) {
      CHECK_FALSE(row.help.empty());
      CHECK_FALSE(row.families.empty());
    } else {
      CHECK(row.help.empty());  // only the first row of a name documents it
    }
    if (!row.alias.empty()) CHECK(aliases.insert(row.alias).second);
  }
  // The controllers collector runs first: an unreachable controller skips the other loads.
  REQUIRE_FALSE(collectors::collector_table().empty());
  CHECK(collectors::collector_table().front().name == "controllers");
  CHECK(collectors::collector_names().find("reservations") != std::string::npos);
}

TEST_CASE("enabled collectors: the table's defaults, switched by name") {
  collectors::EnabledCollectors e;
  CHECK(e.enabled("nodes"));
  CHECK_FALSE(e.enabled("node"));
  CHECK(e.set("node", true));
  CHECK(e.enabled("node"));
  CHECK(e.set("jobs", false));
  CHECK_FALSE(e.enabled("jobs"));
  CHECK_FALSE(e.set("bogus", true));
  CHECK_FALSE(e.enabled("bogus"));
  CHECK_FALSE(collectors::EnabledCollectors::none().enabled("nodes"));
}

TEST_CASE("a collector reading a load its row does not declare is a bug, not a crash") {
  collectors::Inputs in;
  const slurm::LoadData nodes = slurm::NodeData{};
  in.set(slurm::LoadKind::nodes, &nodes);
  CHECK(in.nodes().nodes.empty());
  CHECK_THROWS_AS(in.jobs(), std::logic_error);
}
