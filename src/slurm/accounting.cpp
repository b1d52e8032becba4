// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/accounting.hpp"

#include <array>
#include <string>
#include <string_view>

namespace slurm_exporter::slurm {
namespace {

// slurmdbd's message types from DBD_INIT = 1400 on, in enum order (slurmdbd_msg_type_t in
// src/common/slurmdbd_defs.h; what `sacctmgr show stats` prints; libslurm.so exports no
// slurmdbd_msg_type_2_str). 22.05's list, then what 23.11 … 26.05 appended; the ids never move.
// The names of types no release's slurmdbd counts (replies, the 1400 start marker, which 23.11
// renamed, 1433's DBD_RC, 23.11's SLURM_PERSIST_RC) stay 22.05's.
constexpr std::array<std::string_view, 109> kDbdTypes = {
    "DBD_INIT", "DBD_FINI", "DBD_ADD_ACCOUNTS", "DBD_ADD_ACCOUNT_COORDS", "DBD_ADD_ASSOCS",
    "DBD_ADD_CLUSTERS", "DBD_ADD_USERS", "DBD_CLUSTER_TRES", "DBD_FLUSH_JOBS", "DBD_GET_ACCOUNTS",
    "DBD_GET_ASSOCS", "DBD_GET_ASSOC_USAGE", "DBD_GET_CLUSTERS", "DBD_GET_CLUSTER_USAGE",
    "DBD_RECONFIG", "DBD_GET_USERS", "DBD_GOT_ACCOUNTS", "DBD_GOT_ASSOCS", "DBD_GOT_ASSOC_USAGE",
    "DBD_GOT_CLUSTERS", "DBD_GOT_CLUSTER_USAGE", "DBD_GOT_JOBS", "DBD_GOT_LIST", "DBD_GOT_USERS",
    "DBD_JOB_COMPLETE", "DBD_JOB_START", "DBD_ID_RC", "DBD_JOB_SUSPEND", "DBD_MODIFY_ACCOUNTS",
    "DBD_MODIFY_ASSOCS", "DBD_MODIFY_CLUSTERS", "DBD_MODIFY_USERS", "DBD_NODE_STATE", "DBD_RC",
    "DBD_REGISTER_CTLD", "DBD_REMOVE_ACCOUNTS", "DBD_REMOVE_ACCOUNT_COORDS", "DBD_REMOVE_ASSOCS",
    "DBD_REMOVE_CLUSTERS", "DBD_REMOVE_USERS", "DBD_ROLL_USAGE", "DBD_STEP_COMPLETE",
    "DBD_STEP_START", "DBD_UPDATE_SHARES_USED", "DBD_GET_JOBS_COND", "DBD_GET_TXN", "DBD_GOT_TXN",
    "DBD_ADD_QOS", "DBD_GET_QOS", "DBD_GOT_QOS", "DBD_REMOVE_QOS", "DBD_MODIFY_QOS",
    "DBD_ADD_WCKEYS", "DBD_GET_WCKEYS", "DBD_GOT_WCKEYS", "DBD_REMOVE_WCKEYS", "DBD_MODIFY_WCKEYS",
    "DBD_GET_WCKEY_USAGE", "DBD_GOT_WCKEY_USAGE", "DBD_ARCHIVE_DUMP", "DBD_ARCHIVE_LOAD",
    "DBD_ADD_RESV", "DBD_REMOVE_RESV", "DBD_MODIFY_RESV", "DBD_GET_RESVS", "DBD_GOT_RESVS",
    "DBD_GET_CONFIG", "DBD_GOT_CONFIG", "DBD_GET_PROBS", "DBD_GOT_PROBS", "DBD_GET_EVENTS",
    "DBD_GOT_EVENTS", "DBD_SEND_MULT_JOB_START", "DBD_GOT_MULT_JOB_START", "DBD_SEND_MULT_MSG",
    "DBD_GOT_MULT_MSG", "DBD_MODIFY_JOB", "DBD_ADD_RES", "DBD_GET_RES", "DBD_GOT_RES",
    "DBD_REMOVE_RES", "DBD_MODIFY_RES", "DBD_ADD_CLUS_RES", "DBD_REMOVE_CLUS_RES",
    "DBD_MODIFY_CLUS_RES", "DBD_ADD_TRES", "DBD_GET_TRES", "DBD_GOT_TRES", "DBD_FIX_RUNAWAY_JOB",
    "DBD_GET_STATS", "DBD_GOT_STATS", "DBD_CLEAR_STATS", "DBD_SHUTDOWN", "DBD_ADD_FEDERATIONS",
    "DBD_GET_FEDERATIONS", "DBD_GOT_FEDERATIONS", "DBD_MODIFY_FEDERATIONS",
    "DBD_REMOVE_FEDERATIONS",
    // 23.11
    "DBD_JOB_HEAVY", "DBD_GOT_JOB_ENV", "DBD_GOT_JOB_SCRIPT", "DBD_ADD_ACCOUNTS_COND",
    "DBD_ADD_USERS_COND", "DBD_GET_INSTANCES", "DBD_GOT_INSTANCES",
    // 24.11
    "DBD_GET_QOS_USAGE", "DBD_GOT_QOS_USAGE",
    // 25.05
    "DBD_GET_ASSOC_NG_USAGE",
    // 26.05 (see dbd_msg_type_name)
    "DBD_GOT_CONFIG"};

}  // namespace

std::string dbd_msg_type_name(std::uint32_t id, std::uint32_t release) {
  // The one id that changed meaning: 26.05 renamed 1467 DBD_GOT_CONFIG_KEYPAIRS and appended a
  // new DBD_GOT_CONFIG (1508). Before 26.05, 1508 is unknown (never the same name twice).
  constexpr std::uint32_t kGotConfigOld = 1467;
  constexpr std::uint32_t kGotConfigNew = 1400 + kDbdTypes.size() - 1;
  static_assert(kDbdTypes[kGotConfigOld - 1400] == "DBD_GOT_CONFIG");
  if (id == kGotConfigOld && release >= 2605) return "DBD_GOT_CONFIG_KEYPAIRS";
  if (id == kGotConfigNew && release < 2605) return std::to_string(id);
  if (id == 6500) return "SLURM_PERSIST_INIT";
  if (id == 6501) return "SLURM_PERSIST_INIT_TLS";  // 24.11
  if (id >= 1400 && id < 1400 + kDbdTypes.size()) return std::string(kDbdTypes[id - 1400]);
  return std::to_string(id);
}

}  // namespace slurm_exporter::slurm
