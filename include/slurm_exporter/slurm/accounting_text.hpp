// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/accounting.hpp"

/// Value formats shared by the accounting parsers (sshare, sacctmgr, scontrol show assoc_mgr).
/// Pure. Every function throws ParseError naming `what` (no line: the caller adds it).
namespace slurm_exporter::slurm::cli::acct {

/// A plain non-negative decimal ("12", "0.396040"): no sign, exponent, blank or junk; "inf"
/// is +infinity only when allow_inf (sshare's LevelFS).
double number(std::string_view text, std::string_view what, bool allow_inf = false);

/// number(), or nullopt for an empty field.
std::optional<double> optional_number(std::string_view text, std::string_view what,
                                      bool allow_inf = false);

/// assoc_mgr's "LIMIT(USED)": LIMIT is "N" (none) or a number; "" is no limit, nothing used.
Limit limit(std::string_view text, std::string_view what);

/// assoc_mgr's TRES list "cpu=N(6),mem=16000(4400),gres/gpu=2(2)": mem (MiB) becomes bytes.
std::vector<TresLimit> tres_limits(std::string_view text, std::string_view what);

/// sacctmgr's TRES list "cpu=8,gres/gpu=2,mem=16000M" (mem with a K/M/G/T/P suffix, MiB
/// without one) and assoc_mgr's "cpu=8" lists: mem becomes bytes.
std::vector<TresAmount> tres_amounts(std::string_view text, std::string_view what);

/// sacctmgr's wall clock limit "[D-]HH:MM:SS" or "MM:SS" in seconds; nullopt for "".
std::optional<double> wall_seconds(std::string_view text, std::string_view what);

/// `text` split at every `sep` (an empty text is one empty field).
std::vector<std::string_view> split(std::string_view text, char sep);

}  // namespace slurm_exporter::slurm::cli::acct
