// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the web-config parser. ConfigError is the documented answer to bad YAML or
// bad values; any other exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/http/web_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    (void)slurm_exporter::http::parse_web_config(in, "/fuzz/web.yml");
  } catch (const slurm_exporter::ConfigError&) {
  }
  return 0;
}
