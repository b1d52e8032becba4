// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/accounting.hpp"

/// Pure parsers of the accounting commands' text (Slurm 22.05, `LC_ALL=C`). Each throws
/// ParseError (with the 1-based line) on a line of the wrong shape, a number that is not one
/// (no sign, "nan" or junk; "inf" only where Slurm prints it) or a value out of range; never
/// returns made-up numbers.
namespace slurm_exporter::slurm::cli {

/// The fields the CLI backend asks sshare for, in this order:
/// `sshare -a -n -P -o <kSshareFields>`.
inline constexpr std::string_view kSshareFields =
    "Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,LevelFS";

/// Rows of `sshare -a -n -P -o kSshareFields` (9 fields; the account keeps its leading
/// spaces, one per tree level, which give ShareRow::depth). A header line (as printed without
/// -n, also by `sshare -a -l -P`, whose first nine columns are the same) is skipped; extra
/// columns after the ninth are ignored only when that header names them.
std::vector<ShareRow> parse_sshare(std::string_view text);

/// The fields the CLI backend asks `sacctmgr -n -P show assoc format=<…>` for.
inline constexpr std::string_view kSacctmgrAssocFields =
    "Cluster,Account,User,Partition,ParentName,Share,GrpJobs,GrpSubmit,GrpTRES,GrpWall,MaxJobs,"
    "MaxSubmit,MaxTRES,MaxWall,QOS,DefaultQOS";

/// Associations as slurmdbd stores them (`sacctmgr -n -P show assoc format=kSacctmgrAssocFields`):
/// configured limits only (Limit::used stays 0; Shares::raw_shares from Share).
std::vector<Association> parse_sacctmgr_assocs(std::string_view text);

/// The fields of `sacctmgr -n -P show qos format=<…>`.
inline constexpr std::string_view kSacctmgrQosFields =
    "Name,Priority,GrpJobs,GrpSubmit,GrpTRES,GrpWall,MaxJobsPU,MaxSubmitPU,MaxTRESPU,MaxWall,"
    "MaxTRES,UsageFactor";

/// QOS as slurmdbd stores them (`sacctmgr -n -P show qos format=kSacctmgrQosFields`).
std::vector<Qos> parse_sacctmgr_qos(std::string_view text);

/// slurmctld's association manager: `scontrol show assoc_mgr` with flags=assoc, qos and/or
/// users (sections "Association Records", "QOS Records", "User Records"). Lines Slurm adds in
/// other versions inside a record (Key=value pairs not used here) are ignored; a record line
/// of unknown shape is an error.
AssocMgrState parse_assoc_mgr(std::string_view text);

/// slurmdbd's statistics: `sacctmgr show stats` (rollups, RPCs by type and by user). Throws
/// ParseError (no line) when the text lacks the "Data since" line (not that output).
DbdStats parse_sacctmgr_stats(std::string_view text);

}  // namespace slurm_exporter::slurm::cli
