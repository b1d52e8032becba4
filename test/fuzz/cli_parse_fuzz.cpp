// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the CLI backend's pure parsers. The first byte picks the parser; sinfo's and
// scontrol's two texts are split at the first NUL. Also the GRES list and the text toolkit's
// scontrol fields. A ParseError is the documented answer to bad input; any other exception or a
// crash is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace cli = slurm_exporter::slurm::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 6) {
      case 0: {
        const auto nul = in.find('\0');
        const auto nodes = nul == std::string_view::npos ? in : in.substr(0, nul);
        const auto parts = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
        (void)cli::parse_sinfo_nodes(nodes, parts);
        break;
      }
      case 1:
        (void)cli::parse_squeue_jobs(in);
        break;
      case 2:
        (void)cli::parse_state_complete(in);
        break;
      case 4:
        (void)slurm_exporter::slurm::parse_gres_list(in);
        break;
      case 5: {
        const slurm_exporter::slurm::text::Fields fields(in);
        (void)fields.find("State");
        (void)slurm_exporter::slurm::text::parse_suffixed(fields.get("Count"), "count");
        break;
      }
      default: {
        // scontrol's nodes and partitions, split at the first NUL as sinfo's.
        const auto nul = in.find('\0');
        const auto nodes = nul == std::string_view::npos ? in : in.substr(0, nul);
        const auto parts = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
        (void)cli::parse_scontrol_nodes(nodes, parts);
        break;
      }
    }
  } catch (const slurm_exporter::ParseError&) {
  }
  return 0;
}
