// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "slurm_exporter/metrics/exposition.hpp"
#include "slurm_exporter/metrics/family.hpp"

namespace test_support {

/// The whole content of `path` ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Families as text format 0.0.4.
inline std::string render(const std::vector<slurm_exporter::metrics::Family>& families) {
  std::string out;
  slurm_exporter::metrics::write_text(families, out);
  return out;
}

/// Compares `actual` with test/golden/<name>; SE_UPDATE_GOLDEN=1 rewrites the file instead
/// (then check the diff: each golden test also asserts key values on its own).
inline void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(SE_TEST_DATA_DIR) + "/golden/" + name;
  if (std::getenv("SE_UPDATE_GOLDEN")) std::ofstream(path, std::ios::binary) << actual;
  const std::string expected = read_file(path);
  REQUIRE_FALSE(expected.empty());
  CHECK(actual == expected);
}

/// Whether `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace test_support
