// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>

#include "slurm_exporter/slurm/controller.hpp"

namespace slurm_exporter::slurm::cli {

/// Scheduler statistics from `sdiag` (Slurm 22.05's text output, `LC_ALL=C`). Pure.
///
/// Reads the "Key: value" lines of the header, the main-scheduler and the backfill sections
/// (a key is looked up in the section it belongs to, so "Last cycle" of the main scheduler and
/// of backfilling don't mix), and the two RPC tables ("by message type", "by user"), whose
/// rows are `NAME (ID) count:N ave_time:N total_time:N`. Lines Slurm adds in other versions
/// (scheduler exit reasons, pending RPCs, Cycles per minute…) are ignored; the means sdiag
/// prints only after the first cycle stay 0 before it. A backfill section headed "(WARNING:
/// data obtained in the middle of backfilling execution.)" sets bf_active.
/// User rows keep the decimal uid in RpcStat::name (the backend names it with UserNames, as
/// the libslurm backend does). Throws ParseError (with the line number) on a value that is not
/// a number where one is expected or a malformed RPC row, and ParseError (no line) when the
/// text lacks the "Server thread count" line (not sdiag output).
SchedulerStats parse_sdiag(std::string_view text);

}  // namespace slurm_exporter::slurm::cli
