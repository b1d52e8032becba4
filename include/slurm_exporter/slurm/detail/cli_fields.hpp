// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"
#include "slurm_exporter/slurm/text.hpp"

/// What the parsers of cli_parse.hpp share (src/slurm/cli_*.cpp): the line loop that costs one
/// line per bad line, and the fields sinfo and scontrol print alike. Every function throws
/// ParseError on text that is not what it expects.
namespace slurm_exporter::slurm::cli::detail {

// Runs parse(line, number) on every line. A ParseError on one line skips that line and is
// recorded in `errors` as "<source>: <quoted line>: <problem>" (no line number: the same
// datum gives the same text every poll). When no line parsed but some failed, the output is
// wholly wrong (another command's, another version's): throws the first error, with its line.
/// parse_lines: see the comment above.
template <typename F>
void parse_lines(std::string_view text, std::string_view source, std::vector<std::string>& errors,
                 F&& parse) {
  std::size_t good = 0;
  std::optional<ParseError> first;
  const std::size_t before = errors.size();
  text::for_each_line(text, [&](std::string_view line, std::size_t number) {
    try {
      parse(line, number);
      ++good;
    } catch (const ParseError& e) {
      if (!first) {
        first.emplace(fmt::format("{}: {}: {}", source, e.what(), text::quote(line)), number);
      }
      errors.push_back(fmt::format("{}: {}: {}", source, text::quote(line), e.what()));
    }
  });
  if (good == 0 && first) {
    errors.resize(before);
    throw *first;
  }
}

/// A MiB count ("8000") in bytes; throws on junk or overflow.
std::uint64_t mib_to_bytes(std::string_view text, std::string_view what);

/// A load average ("0.50"; "N/A" is 0); throws on junk, negative or non-finite values.
double parse_load(std::string_view text, std::string_view what);

/// sinfo's CPUsState "allocated/idle/other/total".
struct CpuCounts {
  std::uint32_t alloc = 0, idle = 0, total = 0;
};
CpuCounts parse_cpus_state(std::string_view text);

/// A node or partition name: not empty, no blanks, control characters or '|'.
bool valid_name(std::string_view name);

/// sinfo's placeholders for a string it has no value for ("(null)", "N/A", "none",
/// "Unknown") as empty; anything else verbatim.
std::string optional_text(std::string_view text);

/// TimeStamp/SubmitTime with SLURM_TIME_FORMAT=standard (local time) as unix seconds;
/// "Unknown", "N/A", "None" and "" are 0.
std::int64_t parse_timestamp(std::string_view text);

/// UserLong "name(uid)" → the uid as text; "" for anything else (e.g. "Unknown").
std::string reason_uid_text(std::string_view text);

/// A node's Gres and GresUsed into node.gres and node.gres_used; text that does not parse
/// costs the node both (left empty) and is recorded in `errors` ("node NAME Gres: …").
void parse_node_gres(std::string_view gres, std::string_view used, Node& node,
                     std::vector<std::string>& errors);

}  // namespace slurm_exporter::slurm::cli::detail
