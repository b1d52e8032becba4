// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/accounting.hpp"

/// Pure parsers of the accounting commands' text (Slurm 22.05, `LC_ALL=C`). One bad datum
/// costs one datum, as in cli_parse.hpp: a line (sshare, sacctmgr) or a record (assoc_mgr)
/// of the wrong shape, with a number that is not one (a sign, "nan", an exponent or junk;
/// "inf" only where Slurm prints it) or out of range, is left out and recorded in
/// parse_errors; when nothing parsed but something failed, the output is wholly wrong and the
/// parser throws ParseError with the first bad line's number. Never made-up numbers.
namespace slurm_exporter::slurm::cli {

/// The fields the CLI backend asks sshare for, in this order:
/// `sshare -a -n -P -o <kSshareFields>`.
inline constexpr std::string_view kSshareFields =
    "Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,LevelFS";

/// Rows of `sshare -a -n -P -o kSshareFields` (9 fields; the account keeps its leading
/// spaces, one per tree level, which give ShareRow::depth). A header line (as printed without
/// -n, also by `sshare -a -l -P`, whose first nine columns are the same) is skipped; extra
/// columns after the ninth are ignored only when that header names them.
ShareData parse_sshare(std::string_view text);

/// The fields the CLI backend asks `sacctmgr -n -P show assoc format=<…>` for.
inline constexpr std::string_view kSacctmgrAssocFields =
    "Cluster,Account,User,Partition,ParentName,Share,GrpJobs,GrpSubmit,GrpTRES,GrpWall,MaxJobs,"
    "MaxSubmit,MaxTRES,MaxWall,QOS,DefaultQOS";

/// Associations as slurmdbd stores them (`sacctmgr -n -P show assoc format=kSacctmgrAssocFields`):
/// configured limits only (Limit::used stays 0; Shares::raw_shares from Share).
AccountingState parse_sacctmgr_assocs(std::string_view text);

/// The fields of `sacctmgr -n -P show qos format=<…>`.
inline constexpr std::string_view kSacctmgrQosFields =
    "Name,Priority,GrpJobs,GrpSubmit,GrpTRES,GrpWall,MaxJobsPU,MaxSubmitPU,MaxTRESPU,MaxWall,"
    "MaxTRES,UsageFactor";

/// QOS as slurmdbd stores them (`sacctmgr -n -P show qos format=kSacctmgrQosFields`).
AccountingState parse_sacctmgr_qos(std::string_view text);

/// slurmctld's association manager: `scontrol show assoc_mgr` with flags=assoc, qos and/or
/// users (sections "Association Records", "QOS Records", "User Records"). Lines Slurm adds in
/// other versions inside a record (Key=value pairs not used here) are ignored; a record with a
/// line of unknown shape is left out (with everything up to the next record).
AccountingState parse_assoc_mgr(std::string_view text);

/// slurmdbd's statistics: `sacctmgr show stats` (rollups, RPCs by type and by user; a bad RPC
/// row is left out). Throws ParseError when the text lacks the "Data since" line (not that
/// output) or a rollup line is malformed.
DbdStats parse_sacctmgr_stats(std::string_view text);

}  // namespace slurm_exporter::slurm::cli
