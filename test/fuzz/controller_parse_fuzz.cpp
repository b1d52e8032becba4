// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the parsers of the controller-side and job-detail commands (sdiag, scontrol
// ping / show licenses / show reservations / show config / show partition / -d show job,
// squeue --json, time limits, --version). The first byte picks the parser. A ParseError is the
// documented answer to bad input; any other exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/controller_parse.hpp"
#include "slurm_exporter/slurm/sdiag_parse.hpp"

namespace cli = slurm_exporter::slurm::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 10) {
      case 0:
        (void)cli::parse_sdiag(in);
        break;
      case 1:
        (void)cli::parse_scontrol_ping(in);
        break;
      case 2:
        (void)cli::parse_scontrol_licenses(in);
        break;
      case 3:
        (void)cli::parse_scontrol_reservations(in);
        break;
      case 4:
        (void)cli::parse_scontrol_config(in);
        break;
      case 5:
        // The partition half of the cli backend's scontrol node load (cli_parse_fuzz feeds both).
        (void)cli::parse_scontrol_nodes("", in);
        break;
      case 6: {
        std::vector<std::string> errors;
        (void)cli::parse_scontrol_job_gres(in, &errors);
        break;
      }
      case 7:
        (void)cli::parse_squeue_json_reasons(in);
        break;
      case 8:
        (void)cli::parse_time_limit(in);
        break;
      default:
        (void)cli::parse_version(in);
        break;
    }
  } catch (const slurm_exporter::ParseError&) {
  }
  return 0;
}
