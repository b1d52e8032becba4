// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the accounting parsers (sshare, sacctmgr, scontrol show assoc_mgr). The
// first byte picks the parser. A ParseError is the documented answer to bad input; any other
// exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"

namespace cli = slurm_exporter::slurm::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0:
        (void)cli::parse_sshare(in);
        break;
      case 1:
        (void)cli::parse_assoc_mgr(in);
        break;
      case 2:
        (void)cli::parse_sacctmgr_assocs(in);
        break;
      case 3:
        (void)cli::parse_sacctmgr_qos(in);
        break;
      default:
        (void)cli::parse_sacctmgr_stats(in);
        break;
    }
  } catch (const slurm_exporter::ParseError&) {
  }
  return 0;
}
