// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/controller.hpp"

/// Pure parsers of the `scontrol` output the CLI backend reads for the controller-side
/// collectors. Each throws ParseError (with the 1-based line number) on a record that does not
/// have the expected shape; blank lines are skipped.
namespace slurm_exporter::slurm::cli {

/// `scontrol show licenses -o`: one "LicenseName=… Total=N Used=N Free=N Reserved=N
/// Remote=yes|no" line per license; "No licenses configured in Slurm." gives none.
std::vector<License> parse_scontrol_licenses(std::string_view text);

/// `scontrol show reservation -o` (SLURM_TIME_FORMAT=standard): one line per reservation;
/// "No reservations in the system" gives none. StartTime/EndTime are local times read with
/// mktime; Nodes= is expanded; PartitionName=(null) becomes empty.
std::vector<Reservation> parse_scontrol_reservations(std::string_view text);

/// `scontrol ping`: "Slurmctld(primary) at HOST is UP" and one "Slurmctld(backup…) at HOST is
/// UP|DOWN" line per backup, in slurm.conf order (index = line order). Other lines (the
/// "RESTORE SLURMCTLD DAEMON TO SERVICE" banner) are ignored; ping_seconds stays 0. Throws
/// ParseError when no controller line is found.
std::vector<Controller> parse_scontrol_ping(std::string_view text);

/// PrivateData and SlurmUser of `scontrol show config` ("PrivateData = jobs,usage" or "none";
/// "SlurmUser = slurm(64030)"). Throws ParseError when there is no PrivateData line.
SlurmConfig parse_scontrol_config(std::string_view text);

}  // namespace slurm_exporter::slurm::cli
