// SPDX-License-Identifier: GPL-2.0-or-later
// The only file that includes <slurm/slurm.h>.
#include "slurm_exporter/slurm/libslurm_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <slurm/slurm_version.h>
#include <slurm/slurmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/text.hpp"
#include "slurm_exporter/slurm/user_names.hpp"

// ---------------------------------------------------------------------------------------------
// Slurm release differences, 22.05 … 26.05: the only place that tests SLURM_VERSION_NUMBER.
// Each libslurm API that changed between releases gets one adapter in `compat`; the conversion
// code below calls the adapter and never tests the version itself. Every hand-declared libslurm
// internal is checked against each release's src/common headers (README "Slurm releases"); a
// release outside the checked range fails here at compile time instead of linking an unchecked
// signature.
static_assert(SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(22, 5, 0) &&
                  SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(26, 12, 0),
              "libslurm_backend.cpp is checked against Slurm 22.05 to 26.05 only: check the "
              "declarations in its compat section against this release's sources first");

// libslurm exports these (strong_alias in src/common; sinfo, squeue, sdiag and scontrol use them)
// but no release's public headers declare them. Same signature 22.05 … 26.05 unless noted.
extern "C" {
void slurm_free_job_info_members(job_info_t* job);                   // slurm_protocol_defs.h
void slurm_free_stats_response_msg(stats_info_response_msg_t* msg);  // slurm_protocol_defs.h
char* slurm_reservation_flags_string(reserve_info_t* resv_ptr);      // slurm_protocol_defs.h
void slurm_xfree_ptr(void* ptr);                                     // xmalloc.h
slurm_conf_t* slurm_conf_lock(void);                                 // read_config.h
void slurm_conf_unlock(void);                                        // read_config.h
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
int32_t slurm_bit_set_count(bitstr_t* b);  // bitstring.h: int32_t since the 23.02 rewrite
#else
bitoff_t slurm_bit_set_count(bitstr_t* b);                 // 22.05: bitoff_t (int64_t)
#endif
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 5, 0)
const char* slurm_job_state_reason_string(enum job_state_reason inx);  // job_state_reason.h
#else
char* slurm_job_reason_string(enum job_state_reason inx);  // slurm_protocol_defs.h, until 23.11
#endif
}

namespace slurm_exporter::slurm::compat {

// The release built against, major * 100 + minor (2605): what slurmdbd's message type ids mean
// (dbd_msg_type_name; the slurmdbd it talks to is this release or newer).
inline constexpr std::uint32_t kRelease =
    SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER) * 100 + SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER);

// The errno of the last failed libslurm call. slurm_get_errno() (only ever `return errno`) is
// gone from 24.05's slurm_errno.h; errno works on every release.
inline int last_errno() { return errno; }

// squeue's reason text for a job_state_reason code.
inline const char* job_reason(std::uint32_t reason) {
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 5, 0)
  return slurm_job_state_reason_string(static_cast<job_state_reason>(reason));
#else
  return slurm_job_reason_string(static_cast<job_state_reason>(reason));
#endif
}

// Set bits of a bitmap (a pending array's task ids).
inline std::uint64_t bit_count(bitstr_t* bitmap) {
  const auto n = slurm_bit_set_count(bitmap);
  return n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

// hostlist_t was `struct hostlist *` until 23.02 and is `struct hostlist` since 23.11 (the API
// takes hostlist_t * there): the handle type is whatever slurm_hostlist_create returns.
using HostlistHandle = decltype(slurm_hostlist_create(nullptr));
struct HostlistFree {
  void operator()(HostlistHandle h) const { slurm_hostlist_destroy(h); }
};
using Hostlist = std::unique_ptr<std::remove_pointer_t<HostlistHandle>, HostlistFree>;

// A node's allocated CPUs and memory (MiB). Until 24.11 they are in the select plugin's opaque
// select_nodeinfo; 25.05 removed slurm_get_select_nodeinfo and puts them in node_info_t.
struct NodeAlloc {
  std::uint16_t cpus = 0;
  std::uint64_t memory_mib = 0;
};
inline NodeAlloc node_alloc(const node_info_t& n) {
  NodeAlloc a;
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 5, 0)
  a.cpus = n.alloc_cpus;
  a.memory_mib = n.alloc_memory;
#else
  slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_SUBCNT, NODE_STATE_ALLOCATED,
                            &a.cpus);
  slurm_get_select_nodeinfo(n.select_nodeinfo, SELECT_NODEDATA_MEM_ALLOC, NODE_STATE_ALLOCATED,
                            &a.memory_mib);
#endif
  return a;
}

// Frees what slurm_load_ctl_conf returned: slurm_free_ctl_conf until 25.11, slurm_free_conf
// since 26.05.
inline void free_ctl_conf(slurm_conf_t* conf) {
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(26, 5, 0)
  slurm_free_conf(conf);
#else
  slurm_free_ctl_conf(conf);
#endif
}

// Slurm's list handle: `List` / `ListIterator` until 23.02, `list_t *` / `list_itr_t *` since
// 23.11 (the old names are gone): whatever slurm_list_create / slurm_list_iterator_create return.
using ListHandle = decltype(slurm_list_create(nullptr));
using ListIter = decltype(slurm_list_iterator_create(ListHandle{}));

// PrivateData=cloud (PRIVATE_CLOUD_NODES, bit 7) is gone from 23.11 on: 0 never matches there.
#ifdef PRIVATE_CLOUD_NODES
inline constexpr std::uint16_t kPrivateCloudNodes = PRIVATE_CLOUD_NODES;
#else
inline constexpr std::uint16_t kPrivateCloudNodes = 0;
#endif

// NODE_STATE_NET (bit 4, "PERFCTRS") is gone from 24.05 on; 25.05 reuses the bit as
// NODE_STATE_EXTERNAL.
#ifdef NODE_STATE_NET
static_assert(node_state::kNet == NODE_STATE_NET);
#endif

}  // namespace slurm_exporter::slurm::compat

namespace slurm_exporter::slurm {

// Our pure decoding uses its own copies of Slurm's encodings; prove they match this header.
static_assert(node_state::kBaseMask == NODE_STATE_BASE);
static_assert(node_state::kIdle == NODE_STATE_IDLE && node_state::kMixed == NODE_STATE_MIXED &&
              node_state::kFuture == NODE_STATE_FUTURE && node_state::kDown == NODE_STATE_DOWN);
static_assert(node_state::kDrain == NODE_STATE_DRAIN &&
              node_state::kCompleting == NODE_STATE_COMPLETING &&
              node_state::kNoRespond == NODE_STATE_NO_RESPOND &&
              node_state::kPoweredDown == NODE_STATE_POWERED_DOWN &&
              node_state::kFail == NODE_STATE_FAIL && node_state::kMaint == NODE_STATE_MAINT &&
              node_state::kRes == NODE_STATE_RES && node_state::kPlanned == NODE_STATE_PLANNED &&
              node_state::kInvalidReg == NODE_STATE_INVALID_REG &&
              node_state::kRebootIssued == NODE_STATE_REBOOT_ISSUED &&
              node_state::kRebootRequested == NODE_STATE_REBOOT_REQUESTED &&
              node_state::kPowerDown == NODE_STATE_POWER_DOWN &&
              node_state::kPoweringDown == NODE_STATE_POWERING_DOWN &&
              node_state::kPoweringUp == NODE_STATE_POWERING_UP &&
              node_state::kPowerUp == NODE_STATE_POWER_UP &&
              node_state::kCloud == NODE_STATE_CLOUD && node_state::kResume == NODE_RESUME &&
              node_state::kRebootCancel == NODE_STATE_REBOOT_CANCEL &&
              node_state::kDynamicFuture == NODE_STATE_DYNAMIC_FUTURE &&
              node_state::kDynamicNorm == NODE_STATE_DYNAMIC_NORM);
static_assert(job_state::kBaseMask == JOB_STATE_BASE && job_state::kOom == JOB_OOM &&
              job_state::kCompleting == JOB_COMPLETING &&
              job_state::kConfiguring == JOB_CONFIGURING && job_state::kStageOut == JOB_STAGE_OUT &&
              job_state::kResizing == JOB_RESIZING && job_state::kRequeue == JOB_REQUEUE &&
              job_state::kRequeueFed == JOB_REQUEUE_FED &&
              job_state::kRequeueHold == JOB_REQUEUE_HOLD &&
              job_state::kSpecialExit == JOB_SPECIAL_EXIT && job_state::kStopped == JOB_STOPPED &&
              job_state::kRevoked == JOB_REVOKED && job_state::kResvDelHold == JOB_RESV_DEL_HOLD &&
              job_state::kSignaling == JOB_SIGNALING);

namespace {

struct NodeMsgFree {
  void operator()(node_info_msg_t* m) const { slurm_free_node_info_msg(m); }
};
struct PartMsgFree {
  void operator()(partition_info_msg_t* m) const { slurm_free_partition_info_msg(m); }
};
struct JobMsgFree {
  void operator()(job_info_msg_t* m) const { slurm_free_job_info_msg(m); }
};

using NodeMsg = std::unique_ptr<node_info_msg_t, NodeMsgFree>;
using PartMsg = std::unique_ptr<partition_info_msg_t, PartMsgFree>;
using JobMsg = std::unique_ptr<job_info_msg_t, JobMsgFree>;
using compat::Hostlist;

// The libslurm release this exporter was built against, e.g. "26.05.3".
std::string built_version() {
  return fmt::format("{}.{:02}.{}", SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
                     SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER),
                     SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
}

// How a slurmctld of an incompatible release answers: an older one rejects this newer protocol
// (SLURM_PROTOCOL_VERSION_ERROR); a 26.05 one (seen live) takes a protocol older than its window
// for HTTP and answers an HTTP error, whose first bytes an older libslurm reads as a message length
// (SLURM_PROTOCOL_INSANE_MSG_LENGTH; slurmctld logs "Invalid HTTP method"). Seen live, the
// commonest case is neither: a 24.11 or 25.05 slurmctld answers a 22.05 client (and a 22.05
// slurmctld a 25.05 client) in its own protocol, the client's unpack fails ("Invalid Protocol
// Version … Incompatible versions of client and server code" on libslurm's stderr) and the call
// returns with errno SLURM_ERROR ("Unspecified error"). An RPC that fails with that bare code
// is, in practice, this (a dead or unreachable controller has codes of its own), so it counts as
// a mismatch too, worded as the probable cause.
bool version_mismatch(int err) {
  return err == SLURM_PROTOCOL_VERSION_ERROR || err == SLURM_PROTOCOL_INSANE_MSG_LENGTH ||
         err == SLURM_ERROR;
}

std::string version_mismatch_text(const char* call, int err) {
  const char* what = err == SLURM_ERROR
                         ? "slurmctld's answer is unreadable to the libslurm {} this exporter was "
                           "built against, most likely another protocol version (libslurm's "
                           "stderr says \"Incompatible versions of client and server code\" if "
                           "so)"
                         : "slurmctld does not speak the protocol of the libslurm {} this exporter "
                           "was built against";
  return fmt::format(
      "version mismatch: {} ({}: {}); build the exporter against the controller's Slurm release, "
      "or run --backend=cli with that release's commands (--slurm.bin-dir)",
      fmt::format(fmt::runtime(what), built_version()), call, slurm_strerror(err));
}

// Logs the mismatch once per process (every call fails the same way until the exporter is
// rebuilt or slurmctld changes).
void log_version_mismatch(const std::string& text) {
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) log::error("version mismatch", {{"err", text}});
}

[[noreturn]] void throw_slurm_error(const char* call) {
  const int err = compat::last_errno();
  if (version_mismatch(err)) {
    const std::string text = version_mismatch_text(call, err);
    log_version_mismatch(text);
    throw BackendError(text);
  }
  const bool unreachable =
      err == SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR ||
      err == SLURM_COMMUNICATIONS_CONNECTION_ERROR || err == SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT ||
      err == SLURMCTLD_COMMUNICATIONS_SEND_ERROR || err == SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR ||
      err == SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR;
  throw BackendError(fmt::format("{}: {} (errno {})", call, slurm_strerror(err), err), unreachable);
}

// Runs a slurm_load_* call with `since` (0: everything) into `out`; false on
// SLURM_NO_CHANGE_IN_DATA (only possible with since != 0), `last_update` set on success.
template <typename Msg, typename Load>
bool fetch_since(const char* call, time_t since, Msg& out, time_t& last_update, Load load) {
  typename Msg::pointer fresh = nullptr;
  if (load(since, &fresh) != SLURM_SUCCESS) {
    if (since != 0 && compat::last_errno() == SLURM_NO_CHANGE_IN_DATA) return false;
    throw_slurm_error(call);
  }
  out.reset(fresh);
  last_update = fresh->last_update;
  return true;
}

// What scontrol show partition prints as State=, in lower case.
std::string partition_state_name(std::uint16_t state_up) {
  switch (state_up) {
    case PARTITION_UP:
      return "up";
    case PARTITION_DOWN:
      return "down";
    case PARTITION_DRAIN:
      return "drain";
    case PARTITION_INACTIVE:
      return "inactive";
    default:
      return "unknown";
  }
}

std::vector<std::string> expand_hostlist(const char* expr) {
  std::vector<std::string> out;
  if (!expr || !*expr) return out;
  Hostlist hl(slurm_hostlist_create(expr));
  if (!hl) throw BackendError(fmt::format("cannot expand node list \"{}\"", expr));
  while (char* host = slurm_hostlist_shift(hl.get())) {
    out.emplace_back(host);
    std::free(host);
  }
  return out;
}

// How long the child that parses slurm.conf may take (a configless or DNS lookup can block).
constexpr int kConfCheckTimeoutMs = 15000;

// The first line of libslurm's complaint (its "error:"/"fatal:" lines), for the message.
std::string first_complaint(const std::string& err) {
  std::string_view rest = err, fallback;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (line.find("error") != std::string_view::npos ||
        line.find("fatal") != std::string_view::npos) {
      return std::string(line.substr(0, 300));
    }
    if (fallback.empty() && !line.empty() && !line.starts_with("==")) fallback = line;
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return std::string(fallback.substr(0, 300));
}

// slurm_init() calls exit() when slurm.conf does not parse (fatal()), so it is tried first in
// a child process: the child parses the file and reports by its exit status; libslurm's
// stderr is captured for the message. Only then does this process call slurm_init().
void check_conf_in_child(const std::string& conf) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw BackendError(fmt::format("cannot check {}: pipe: {}", conf, std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw BackendError(fmt::format("cannot check {}: fork: {}", conf, std::strerror(err)));
  }
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    slurm_init(conf.c_str());
    ::_exit(0);  // parsed: no exit handlers (they belong to the parent)
  }
  ::close(fds[1]);
  std::string err;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kConfCheckTimeoutMs);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (err.size() < 65536) err.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    throw ConfigError(
        fmt::format("Slurm configuration {}: libslurm did not finish reading it "
                    "within {} s",
                    conf, kConfCheckTimeoutMs / 1000));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  const std::string why = first_complaint(err);
  throw ConfigError(fmt::format("Slurm configuration {} is not valid: libslurm cannot parse it{}{}",
                                conf, why.empty() ? "" : ": ", why));
}

}  // namespace

std::string effective_slurm_conf(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("SLURM_CONF"); env && *env) return env;
  return "/etc/slurm/slurm.conf";
}

struct LibslurmBackend::Impl {
  // The node and job messages are not kept between polls (10,000 nodes are ~10 MB of
  // node_info_t, 50,000 jobs ~100 MB): only each one's last_update (0: load everything next
  // time); Backend keeps the converted data when asked to. The partition message is kept (a few KB:
  // node lists are ranges), so that a node change, which every slurmd ping can bring, costs one RPC
  // and not two.
  bool controller_version_logged = false;  // once a controller answered a ping
  time_t nodes_last_update = 0;
  time_t parts_last_update = 0;  // of `partitions`
  PartMsg partitions;
  time_t jobs_last_update = 0;
  UserNames user_names;

  const std::string& user_name(uid_t uid) { return user_names.name(uid); }

  bool fetch_nodes(time_t since, NodeMsg& out) {
    // SHOW_DETAIL: without it slurmctld leaves gres_used out (sinfo GresUsed asks for it too).
    return fetch_since("slurm_load_node", since, out, nodes_last_update,
                       [](time_t t, node_info_msg_t** m) {
                         return slurm_load_node(t, m, SHOW_ALL | SHOW_DETAIL);
                       });
  }
  bool fetch_partitions(time_t since, PartMsg& out) {
    return fetch_since(
        "slurm_load_partitions", since, out, parts_last_update,
        [](time_t t, partition_info_msg_t** m) { return slurm_load_partitions(t, m, SHOW_ALL); });
  }

  // Nodes and partitions converted, or nullopt when slurmctld reports both unchanged since the
  // previous call (never with `full`). When only the partitions changed, the nodes are loaded
  // in full again: a node's partitions need both messages.
  std::optional<NodeData> fetch_node_data(bool full) {
    if (nodes_last_update == 0 || !partitions) full = true;
    try {
      PartMsg fresh;
      const bool parts_changed = fetch_partitions(full ? 0 : parts_last_update, fresh);
      if (parts_changed) partitions = std::move(fresh);
      NodeMsg nodes;
      const bool nodes_changed = fetch_nodes(full ? 0 : nodes_last_update, nodes);
      if (!parts_changed && !nodes_changed) return std::nullopt;
      if (!nodes) fetch_nodes(0, nodes);
      return convert_nodes(*nodes, *partitions);
    } catch (...) {
      // A failed load or conversion must never leave the timestamps of data nobody converted:
      // the next call would find it "unchanged" and the previous poll's nodes would be served.
      nodes_last_update = parts_last_update = 0;
      partitions.reset();
      throw;
    }
  }

  // What sinfo's Gres and GresUsed print. GRES that does not parse costs the node its GRES
  // only, as in the CLI backend.
  static void convert_node_gres(const node_info_t& n, Node& node,
                                std::vector<std::string>& errors) {
    const std::string_view gres = n.gres ? n.gres : "", used = n.gres_used ? n.gres_used : "";
    try {
      node.gres = parse_gres_list(gres);
      node.gres_used = parse_gres_list(used);
    } catch (const ParseError& e) {
      const bool in_gres = node.gres.empty() && !gres.empty();
      errors.push_back(fmt::format("node {} {}: {}: {}", node.name, in_gres ? "Gres" : "GresUsed",
                                   text::quote(in_gres ? gres : used), e.what()));
      node.gres.clear();
      node.gres_used.clear();
    }
  }

  NodeData convert_nodes(const node_info_msg_t& nodes_msg, const partition_info_msg_t& parts_msg) {
    const node_info_msg_t* nodes = &nodes_msg;
    const partition_info_msg_t* parts = &parts_msg;
    NodeData data;
    std::unordered_map<std::string, std::size_t> index;
    data.nodes.reserve(nodes->record_count);
    for (std::uint32_t i = 0; i < nodes->record_count; ++i) {
      node_info_t& n = nodes->node_array[i];
      if (!n.name) continue;  // blank slot (e.g. an unused dynamic node)
      Node node;
      node.name = n.name;
      node.state = n.node_state;
      node.cpus = n.cpus;
      const compat::NodeAlloc alloc = compat::node_alloc(n);
      const std::uint16_t alloc_cpus = alloc.cpus;
      const std::uint64_t alloc_mem = alloc.memory_mib;
      node.alloc_cpus = alloc_cpus;
      node.idle_cpus = sinfo_idle_cpus(n.node_state, alloc_cpus, n.cpus);
      node.state_name = sinfo_state_name(n.node_state, alloc_cpus, n.cpus);
      // cpu_load is load average x 100; NO_VAL when the node never reported.
      node.cpu_load = n.cpu_load == NO_VAL ? 0.0 : n.cpu_load / 100.0;
      node.real_memory_bytes = n.real_memory * text::kMiB;
      node.alloc_memory_bytes = alloc_mem * text::kMiB;
      node.free_memory_bytes = n.free_mem == NO_VAL64 ? 0 : n.free_mem * text::kMiB;
      node.weight = n.weight;
      // What sinfo's Reason, TimeStamp, UserLong, Features and Arch print, with sinfo's
      // placeholders for unset values ("none", "Unknown", "(null)") as empty / 0.
      if (n.reason && *n.reason) {
        node.reason = n.reason;
        node.reason_time = static_cast<std::int64_t>(n.reason_time);
        if (n.reason_uid != NO_VAL) node.reason_user = user_name(n.reason_uid);
      }
      node.features = n.features ? n.features : "";
      if (node.features == "(null)") node.features.clear();
      node.arch = n.arch ? n.arch : "";
      convert_node_gres(n, node, data.parse_errors);
      index.emplace(node.name, data.nodes.size());
      data.nodes.push_back(std::move(node));
    }
    data.partitions.reserve(parts->record_count);
    for (std::uint32_t i = 0; i < parts->record_count; ++i) {
      const partition_info_t& p = parts->partition_array[i];
      if (!p.name) continue;
      Partition part;
      part.name = p.name;
      part.nodes = expand_hostlist(p.nodes);
      part.state = partition_state_name(p.state_up);
      part.total_nodes = p.total_nodes;
      part.total_cpus = p.total_cpus;
      // scontrol prints INFINITE as UNLIMITED; NO_VAL (never set) the same way.
      if (p.max_time != INFINITE && p.max_time != NO_VAL) {
        part.max_time_seconds = std::uint64_t{p.max_time} * 60;
      }
      for (const auto& host : part.nodes) {
        if (auto it = index.find(host); it != index.end()) {
          data.nodes[it->second].partitions.push_back(part.name);
        }
      }
      data.partitions.push_back(std::move(part));
    }
    return data;
  }

  // Loads jobs with `since` (0: everything); false on SLURM_NO_CHANGE_IN_DATA.
  bool fetch_jobs(time_t since, JobMsg& out) {
    return fetch_since(
        "slurm_load_jobs", since, out, jobs_last_update,
        [](time_t t, job_info_msg_t** m) { return slurm_load_jobs(t, m, SHOW_ALL); });
  }

  // Jobs converted, or nullopt when slurmctld reports them unchanged since the previous call
  // (never with `full`). The message is freed once converted; only its last_update is kept.
  std::optional<JobData> fetch_job_data(bool full) {
    JobMsg msg;
    if (!fetch_jobs(full ? 0 : jobs_last_update, msg)) return std::nullopt;
    try {
      return convert_job_data(*msg);
    } catch (...) {
      jobs_last_update = 0;  // as for nodes: the next call loads and converts afresh
      throw;
    }
  }

  // Frees each record's members (strings, bitmaps) once converted and zeroes the record, so
  // slurm_free_job_info_msg later frees nothing twice: the conversion reuses the message's
  // memory instead of adding to it, and a big poll's peak is the message alone.
  JobData convert_job_data(job_info_msg_t& msg) {
    struct ReleaseRecord {
      slurm_job_info_t& record;
      ~ReleaseRecord() {
        slurm_free_job_info_members(&record);
        std::memset(&record, 0, sizeof record);
      }
    };
    JobData out;
    out.features_known = true;
    out.jobs.reserve(msg.record_count);
    for (std::uint32_t i = 0; i < msg.record_count; ++i) {
      const slurm_job_info_t& j = msg.job_array[i];
      const ReleaseRecord release{msg.job_array[i]};
      try {
        Job job = convert_job(j, out.parse_errors);
        if (job.task_count != 0) out.jobs.push_back(std::move(job));
      } catch (const ParseError& e) {
        // One job's malformed field costs that job, not the job collectors.
        out.parse_errors.push_back(fmt::format("job {}: {}", j.job_id, e.what()));
      }
    }
    return out;
  }

  // One job as squeue prints it. Its GRES fields, where they do not parse, cost only its GPU
  // values (recorded in `errors`); another malformed field throws ParseError.
  Job convert_job(const slurm_job_info_t& j, std::vector<std::string>& errors) {
    Job job;
    job.job_id = j.job_id;
    job.user = user_name(j.user_id);
    job.account = j.account ? j.account : "(null)";
    job.partition = j.partition ? j.partition : "";
    job.state = job_state_name(j.job_state);
    // The reason code, never the free-text state description squeue %r may print instead:
    // the label stays within Slurm's enum job_state_reason.
    job.reason = compat::job_reason(j.state_reason);
    job.cpus = j.num_cpus;
    job.features = j.features ? j.features : "";
    job.submit_time = static_cast<std::int64_t>(j.submit_time);
    const bool pending = (j.job_state & JOB_STATE_BASE) == JOB_PENDING;
    job.eligible_time = static_cast<std::int64_t>(j.eligible_time);
    job.start_time = static_cast<std::int64_t>(j.start_time);
    const auto str = [](const char* s) { return std::string_view(s ? s : ""); };
    try {
      // scontrol -d's JOB_GRES: filled for started jobs without SHOW_DETAIL. Finished jobs
      // (listed for MinJobAge, as squeue -t all lists them) hold none.
      if (!pending && !is_final_job_state(job.state)) {
        job.gres_alloc = parse_gres_list(str(j.gres_total));
      }
    } catch (const ParseError& e) {
      errors.push_back(fmt::format("job {} JOB_GRES: {}: {}", j.job_id,
                                   text::quote(str(j.gres_total)), e.what()));
    }
    try {
      // squeue's NumNodes/NumTasks: requested minimum while pending, allocated once started.
      job.gpus_requested = requested_gpus(
          str(j.tres_per_job), str(j.tres_per_node), str(j.tres_per_socket), str(j.tres_per_task),
          j.num_nodes, j.num_tasks == NO_VAL || j.num_tasks == 0 ? 1 : j.num_tasks);
    } catch (const ParseError& e) {
      errors.push_back(fmt::format(
          "job {} tres-per-*: {}: {}", j.job_id,
          text::quote(fmt::format("{}|{}|{}|{}", str(j.tres_per_job), str(j.tres_per_node),
                                  str(j.tres_per_socket), str(j.tres_per_task))),
          e.what()));
    }
    const char* tres = pending ? j.tres_req_str : j.tres_alloc_str;
    if (!tres) tres = j.tres_req_str;
    // The TRES string squeue's tres-alloc prints; no mem= (memory not tracked) means 0.
    job.memory_bytes = tres ? tres_memory_bytes(tres).value_or(0) : 0;
    // A pending array not yet split into tasks is one record; squeue -r lists each task.
    if (j.array_bitmap && j.array_task_id == NO_VAL) {
      job.task_count = static_cast<std::uint32_t>(compat::bit_count(j.array_bitmap));
    } else if (j.array_task_str && j.array_task_id == NO_VAL) {
      job.task_count = static_cast<std::uint32_t>(count_array_tasks(j.array_task_str));
    }
    return job;
  }
};

LibslurmBackend::LibslurmBackend(const std::string& slurm_conf) : impl_(std::make_unique<Impl>()) {
  const std::string conf = effective_slurm_conf(slurm_conf);
  if (::access(conf.c_str(), R_OK) != 0) {
    throw BackendError(
        fmt::format("cannot read Slurm configuration {}: {}", conf, std::strerror(errno)));
  }
  check_conf_in_child(conf);
  slurm_init(conf.c_str());
}

LibslurmBackend::~LibslurmBackend() {
  impl_.reset();
  slurm_fini();
}

std::string LibslurmBackend::slurm_version() const { return built_version(); }

std::optional<LoadData> LibslurmBackend::fetch(LoadKind kind, bool full) {
  switch (kind) {
    case LoadKind::nodes:
      if (auto nodes = impl_->fetch_node_data(full)) return LoadData(std::move(*nodes));
      return std::nullopt;
    case LoadKind::jobs:
      if (auto jobs = impl_->fetch_job_data(full)) return LoadData(std::move(*jobs));
      return std::nullopt;
    case LoadKind::ping:
      return LoadData(ping_controllers());
    case LoadKind::sdiag:
      return LoadData(load_scheduler_stats());
    case LoadKind::licenses:
      return LoadData(load_licenses());
    case LoadKind::reservations:
      return LoadData(load_reservations());
    case LoadKind::shares:
      return LoadData(load_shares());
    case LoadKind::assoc_mgr:
      return LoadData(load_assoc_mgr());
    case LoadKind::dbd_stats:
      return LoadData(load_dbd_stats());
    case LoadKind::config:
      return LoadData(load_config());
  }
  unsupported(kind);
}

}  // namespace slurm_exporter::slurm

// ---------------------------------------------------------------------------------------------
// Controller-side collectors: scheduler statistics, licenses, reservations, controller pings.

namespace slurm_exporter::slurm {
namespace {

struct StatsMsgFree {
  void operator()(stats_info_response_msg_t* m) const { slurm_free_stats_response_msg(m); }
};
struct LicenseMsgFree {
  void operator()(license_info_msg_t* m) const { slurm_free_license_info_msg(m); }
};
struct ResvMsgFree {
  void operator()(reserve_info_msg_t* m) const { slurm_free_reservation_info_msg(m); }
};
struct XFree {
  void operator()(char* p) const { slurm_xfree_ptr(p); }
};

// sum / count as sdiag prints it (integer division), 0 before the first cycle.
std::uint64_t mean(std::uint64_t sum, std::uint64_t count) { return count ? sum / count : 0; }

}  // namespace

SchedulerStats LibslurmBackend::load_scheduler_stats() {
  stats_info_request_msg_t req{};
  req.command_id = STAT_COMMAND_GET;  // never STAT_COMMAND_RESET
  stats_info_response_msg_t* raw = nullptr;
  if (slurm_get_statistics(&raw, &req) != SLURM_SUCCESS) throw_slurm_error("slurm_get_statistics");
  const std::unique_ptr<stats_info_response_msg_t, StatsMsgFree> msg(raw);
  SchedulerStats s;
  s.req_time = static_cast<std::int64_t>(msg->req_time);
  s.req_time_start = static_cast<std::int64_t>(msg->req_time_start);
  s.server_thread_count = msg->server_thread_count;
  s.agent_queue_size = msg->agent_queue_size;
  s.agent_count = msg->agent_count;
  s.agent_thread_count = msg->agent_thread_count;
  s.dbd_agent_queue_size = msg->dbd_agent_queue_size;
  s.jobs_submitted = msg->jobs_submitted;
  s.jobs_started = msg->jobs_started;
  s.jobs_completed = msg->jobs_completed;
  s.jobs_canceled = msg->jobs_canceled;
  s.jobs_failed = msg->jobs_failed;
  s.schedule_cycle_last_us = msg->schedule_cycle_last;
  s.schedule_cycle_max_us = msg->schedule_cycle_max;
  s.schedule_cycle_counter = msg->schedule_cycle_counter;
  s.schedule_cycle_mean_us = mean(msg->schedule_cycle_sum, msg->schedule_cycle_counter);
  s.schedule_cycle_mean_depth = mean(msg->schedule_cycle_depth, msg->schedule_cycle_counter);
  s.schedule_queue_len = msg->schedule_queue_len;
  s.bf_active = msg->bf_active != 0;
  s.bf_backfilled_jobs = msg->bf_backfilled_jobs;
  s.bf_last_backfilled_jobs = msg->bf_last_backfilled_jobs;
  s.bf_backfilled_het_jobs = msg->bf_backfilled_het_jobs;
  s.bf_cycle_counter = msg->bf_cycle_counter;
  s.bf_cycle_sum_us = msg->bf_cycle_sum;
  s.bf_when_last_cycle = static_cast<std::int64_t>(msg->bf_when_last_cycle);
  s.bf_cycle_last_us = msg->bf_cycle_last;
  s.bf_cycle_max_us = msg->bf_cycle_max;
  s.bf_cycle_mean_us = mean(msg->bf_cycle_sum, msg->bf_cycle_counter);
  s.bf_last_depth = msg->bf_last_depth;
  s.bf_last_depth_try = msg->bf_last_depth_try;
  s.bf_depth_mean = mean(msg->bf_depth_sum, msg->bf_cycle_counter);
  s.bf_queue_len = msg->bf_queue_len;
  s.bf_table_size = msg->bf_table_size;
  s.rpc_types.reserve(msg->rpc_type_size);
  for (std::uint32_t i = 0; i < msg->rpc_type_size; ++i) {
    s.rpc_types.push_back(
        {rpc_type_name(msg->rpc_type_id[i]), msg->rpc_type_cnt[i], msg->rpc_type_time[i]});
  }
  s.rpc_users.reserve(msg->rpc_user_size);
  for (std::uint32_t i = 0; i < msg->rpc_user_size; ++i) {
    s.rpc_users.push_back(
        {impl_->user_name(msg->rpc_user_id[i]), msg->rpc_user_cnt[i], msg->rpc_user_time[i]});
  }
  return s;
}

Licenses LibslurmBackend::load_licenses() {
  license_info_msg_t* raw = nullptr;
  if (slurm_load_licenses(0, &raw, SHOW_ALL) != SLURM_SUCCESS) {
    throw_slurm_error("slurm_load_licenses");
  }
  const std::unique_ptr<license_info_msg_t, LicenseMsgFree> msg(raw);
  std::vector<License> out;
  out.reserve(msg->num_lic);
  for (std::uint32_t i = 0; i < msg->num_lic; ++i) {
    const slurm_license_info_t& l = msg->lic_array[i];
    if (!l.name) continue;
    License lic{l.name, l.total, l.in_use, l.available, l.reserved, l.remote != 0, {}, {}};
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0)
    // The license server's figures exist for remote licenses only (scontrol prints them so).
    if (lic.remote) {
      lic.last_consumed = l.last_consumed;
      lic.last_deficit = l.last_deficit;
    }
#endif
    out.push_back(std::move(lic));
  }
  return out;
}

struct CtlConfFree {
  void operator()(slurm_conf_t* c) const { compat::free_ctl_conf(c); }
};

// slurmctld's configuration, not the local slurm.conf: a reconfiguration shows here.
SlurmConfig LibslurmBackend::load_config() {
  if (poll_config_) return *poll_config_;
  slurm_conf_t* raw = nullptr;
  if (slurm_load_ctl_conf(0, &raw) != SLURM_SUCCESS) throw_slurm_error("slurm_load_ctl_conf");
  const std::unique_ptr<slurm_conf_t, CtlConfFree> conf(raw);
  static constexpr std::pair<std::uint16_t, std::string_view> kBits[] = {
      {PRIVATE_DATA_ACCOUNTS, "accounts"},
      {compat::kPrivateCloudNodes, "cloud"},
      {PRIVATE_DATA_EVENTS, "events"},
      {PRIVATE_DATA_JOBS, "jobs"},
      {PRIVATE_DATA_NODES, "nodes"},
      {PRIVATE_DATA_PARTITIONS, "partitions"},
      {PRIVATE_DATA_RESERVATIONS, "reservations"},
      {PRIVATE_DATA_USAGE, "usage"},
      {PRIVATE_DATA_USERS, "users"}};
  SlurmConfig c;
  for (const auto& [bit, name] : kBits) {
    if (conf->private_data & bit) c.private_data.emplace_back(name);
  }
  if (conf->slurm_user_name) c.slurm_user = conf->slurm_user_name;
  c.slurm_user_id = conf->slurm_user_id;
  if (conf->accounting_storage_type &&
      std::string_view(conf->accounting_storage_type) != "accounting_storage/none") {
    c.accounting_storage_type = conf->accounting_storage_type;
  }
  return poll_config_.emplace(std::move(c));
}

Reservations LibslurmBackend::load_reservations() {
  reserve_info_msg_t* raw = nullptr;
  if (slurm_load_reservations(0, &raw) != SLURM_SUCCESS) {
    throw_slurm_error("slurm_load_reservations");
  }
  const std::unique_ptr<reserve_info_msg_t, ResvMsgFree> msg(raw);
  std::vector<Reservation> out;
  out.reserve(msg->record_count);
  for (std::uint32_t i = 0; i < msg->record_count; ++i) {
    reserve_info_t& r = msg->reservation_array[i];
    if (!r.name) continue;
    Reservation res;
    res.name = r.name;
    res.partition = r.partition ? r.partition : "";
    // The string scontrol prints as Flags=.
    const std::unique_ptr<char, XFree> flags(slurm_reservation_flags_string(&r));
    res.flags = flags ? flags.get() : "";
    res.start_time = static_cast<std::int64_t>(r.start_time);
    res.end_time = static_cast<std::int64_t>(r.end_time);
    res.node_count = r.node_cnt;
    res.core_count = r.core_cnt;
    res.nodes = expand_hostlist(r.node_list);
    out.push_back(std::move(res));
  }
  return out;
}

// Logs, once a controller answered, its release and the libslurm one; a warning when they differ
// (slurmctld serves clients up to three releases older, nothing newer).
static void log_controller_version() {
  slurm_conf_t* raw = nullptr;
  if (slurm_load_ctl_conf(0, &raw) != SLURM_SUCCESS || !raw) return;
  const std::string ctld = raw->version ? raw->version : "";
  compat::free_ctl_conf(raw);
  const std::string built = built_version();
  const bool same = ctld.size() >= 5 && ctld.compare(0, 5, built, 0, 5) == 0;
  if (same) {
    log::info("Slurm versions", {{"slurmctld", ctld}, {"libslurm", built}});
  } else {
    log::warn(
        "slurmctld runs another Slurm release than the libslurm this exporter was built "
        "against (it works while slurmctld is at most three releases newer)",
        {{"slurmctld", ctld}, {"libslurm", built}});
  }
}

ControllerStatus LibslurmBackend::ping_controllers() {
  ControllerStatus status;
  std::vector<std::string> names;
  {
    const slurm_conf_t* conf = slurm_conf_lock();
    for (std::uint32_t i = 0; conf && i < conf->control_cnt; ++i) {
      names.emplace_back(conf->control_machine[i] ? conf->control_machine[i] : "");
    }
    slurm_conf_unlock();
  }
  if (names.empty()) throw BackendError("no SlurmctldHost in the Slurm configuration");
  int primary_errno = 0;
  for (std::uint32_t i = 0; i < names.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const bool up = slurm_ping(static_cast<int>(i)) == SLURM_SUCCESS;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!up) {
      const int err = compat::last_errno();
      if (i == 0) primary_errno = err;
      // A dead controller and a broken munge look alike in the up/down answer; the log says which.
      if (!status.error.empty()) status.error += "; ";
      if (version_mismatch(err)) {
        const std::string text = version_mismatch_text("slurm_ping", err);
        log_version_mismatch(text);
        status.error += fmt::format("{}: {}", names[i], text);
      } else {
        status.error += fmt::format("{}: {}", names[i], slurm_strerror(err));
      }
    } else if (!impl_->controller_version_logged) {
      impl_->controller_version_logged = true;
      log_controller_version();
    }
    status.controllers.push_back({names[i], i, up, seconds});
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) status.local_host = host;
  // A munge failure shows up as a send error (1801), so only these count as unreachable.
  status.unreachable = std::none_of(status.controllers.begin(), status.controllers.end(),
                                    [](const Controller& c) { return c.up; }) &&
                       (primary_errno == SLURM_COMMUNICATIONS_CONNECTION_ERROR ||
                        primary_errno == SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR ||
                        primary_errno == SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT);
  return status;
}

}  // namespace slurm_exporter::slurm

// ---------------------------------------------------------------------------------------------
// Accounting: slurmctld's association manager (fairshare, limits, QOS) and slurmdbd's stats.

namespace slurm_exporter::slurm {
namespace {

struct AssocMgrMsgFree {
  void operator()(assoc_mgr_info_msg_t* m) const { slurm_free_assoc_mgr_info_msg(m); }
};
struct StatsRecFree {
  void operator()(slurmdb_stats_rec_t* s) const { slurmdb_destroy_stats_rec(s); }
};

constexpr double kMiB = 1024.0 * 1024.0;

// Calls f(item) for every element of a Slurm List (null: none).
template <typename T, typename F>
void for_each_item(compat::ListHandle list, F&& f) {
  if (!list) return;
  compat::ListIter it = slurm_list_iterator_create(list);
  while (auto* item = static_cast<T*>(slurm_list_next(it))) f(*item);
  slurm_list_iterator_destroy(it);
}

std::optional<double> limit_u32(std::uint32_t v) {
  if (v == INFINITE || v == NO_VAL) return std::nullopt;
  return static_cast<double>(v);
}

// The assoc_mgr arrays are indexed like the message's tres_names; INFINITE64 is no limit.
std::vector<TresLimit> tres_limits(const assoc_mgr_info_msg_t& msg, const std::uint64_t* limits,
                                   const std::uint64_t* used) {
  std::vector<TresLimit> out;
  if (!limits && !used) return out;
  for (std::uint32_t i = 0; i < msg.tres_cnt; ++i) {
    const std::string name = msg.tres_names[i] ? msg.tres_names[i] : "";
    const double factor = name == "mem" ? kMiB : 1.0;
    TresLimit t{name, {}};
    if (limits && limits[i] != INFINITE64 && limits[i] != NO_VAL64) {
      t.value.max = static_cast<double>(limits[i]) * factor;
    }
    if (used) t.value.used = static_cast<double>(used[i]) * factor;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TresAmount> tres_maxima(const assoc_mgr_info_msg_t& msg, const std::uint64_t* limits) {
  std::vector<TresAmount> out;
  for (auto& t : tres_limits(msg, limits, nullptr)) {
    if (t.value.max) out.push_back({std::move(t.name), *t.value.max});
  }
  return out;
}

Association association(const assoc_mgr_info_msg_t& msg, const slurmdb_assoc_rec_t& a) {
  Association out;
  out.cluster = a.cluster ? a.cluster : "";
  out.account = a.acct ? a.acct : "";
  out.user = a.user ? a.user : "";
  out.partition = a.partition ? a.partition : "";
  out.parent = a.parent_acct ? a.parent_acct : "";
  out.id = a.id;
  out.is_default = a.is_def != 0;
  const slurmdb_assoc_usage_t& u = *a.usage;
  if (a.shares_raw != SLURMDB_FS_USE_PARENT) out.shares.raw_shares = a.shares_raw;
  out.shares.norm_shares = u.shares_norm;
  out.shares.raw_usage = static_cast<double>(u.usage_raw);
  if (u.usage_norm != static_cast<long double>(NO_VAL)) {
    out.shares.norm_usage = static_cast<double>(u.usage_norm);
  }
  if (u.usage_efctv != static_cast<long double>(NO_VAL)) {
    out.shares.effective_usage = static_cast<double>(u.usage_efctv);
  }
  if (!out.user.empty()) out.shares.fairshare = u.fs_factor;
  if (u.level_fs != static_cast<long double>(NO_VAL)) {
    out.shares.level_fs = static_cast<double>(u.level_fs);
  }
  out.grp_jobs = {limit_u32(a.grp_jobs), static_cast<double>(u.used_jobs)};
  out.grp_submit_jobs = {limit_u32(a.grp_submit_jobs), static_cast<double>(u.used_submit_jobs)};
  out.max_jobs = {limit_u32(a.max_jobs), static_cast<double>(u.used_jobs)};
  out.max_submit_jobs = {limit_u32(a.max_submit_jobs), static_cast<double>(u.used_submit_jobs)};
  out.grp_wall_minutes = limit_u32(a.grp_wall);
  if (auto w = limit_u32(a.max_wall_pj)) out.max_wall_seconds = *w * 60;
  out.grp_tres = tres_limits(msg, a.grp_tres_ctld, u.grp_used_tres);
  out.max_tres_per_job = tres_maxima(msg, a.max_tres_ctld);
  out.max_tres_per_node = tres_maxima(msg, a.max_tres_pn_ctld);
  return out;
}

Qos qos(const assoc_mgr_info_msg_t& msg, const slurmdb_qos_rec_t& q) {
  Qos out;
  out.name = q.name ? q.name : "";
  out.id = q.id;
  out.priority = limit_u32(q.priority);
  const slurmdb_qos_usage_t& u = *q.usage;
  out.usage_raw = static_cast<double>(u.usage_raw);
  out.grp_jobs = {limit_u32(q.grp_jobs), static_cast<double>(u.grp_used_jobs)};
  out.grp_submit_jobs = {limit_u32(q.grp_submit_jobs), static_cast<double>(u.grp_used_submit_jobs)};
  out.grp_wall_minutes = limit_u32(q.grp_wall);
  if (auto w = limit_u32(q.max_wall_pj)) out.max_wall_seconds = *w * 60;
  out.max_jobs_per_user = limit_u32(q.max_jobs_pu);
  out.max_submit_per_user = limit_u32(q.max_submit_jobs_pu);
  out.grp_tres = tres_limits(msg, q.grp_tres_ctld, u.grp_used_tres);
  out.max_tres_per_job = tres_maxima(msg, q.max_tres_pj_ctld);
  out.max_tres_per_user = tres_maxima(msg, q.max_tres_pu_ctld);
  return out;
}

}  // namespace

AccountingState LibslurmBackend::load_assoc_mgr() {
  AccountingState state = assoc_mgr_this_poll();
  state.failed_loads = assoc_mgr_failures_;
  return state;
}

const AccountingState& LibslurmBackend::assoc_mgr_this_poll() {
  if (poll_assoc_mgr_) return *poll_assoc_mgr_;
  // Without accounting the association manager is empty, and Slurm 23.11's slurmctld dies on
  // the request for its associations (a NULL list in assoc_mgr_info_get_pack_msg: SIGSEGV,
  // seen live on 23.11.10; `scontrol show assoc_mgr flags=assoc` does the same): not asked.
  // The controller's AccountingStorageType, not the local slurm.conf's: the answer also proves
  // slurmctld answered this poll, so an unreachable or unauthenticated slurmctld fails these
  // collectors (and keeps slurm_up 0) instead of their succeeding without asking it.
  bool accounting = false;
  try {
    accounting = has_accounting(load_config().accounting_storage_type);
  } catch (...) {
    ++assoc_mgr_failures_;
    throw;
  }
  if (!accounting) return poll_assoc_mgr_.emplace();
  assoc_mgr_info_request_msg_t req{};
  req.flags = ASSOC_MGR_INFO_FLAG_ASSOC | ASSOC_MGR_INFO_FLAG_QOS;
  assoc_mgr_info_msg_t* raw = nullptr;
  const auto start = std::chrono::steady_clock::now();
  if (slurm_load_assoc_mgr_info(&req, &raw) != SLURM_SUCCESS) {
    ++assoc_mgr_failures_;
    throw_slurm_error("slurm_load_assoc_mgr_info");
  }
  const std::unique_ptr<assoc_mgr_info_msg_t, AssocMgrMsgFree> msg(raw);
  AccountingState state;
  for_each_item<slurmdb_assoc_rec_t>(msg->assoc_list, [&](const slurmdb_assoc_rec_t& a) {
    if (a.usage) state.associations.push_back(association(*msg, a));
  });
  for_each_item<slurmdb_qos_rec_t>(msg->qos_list, [&](const slurmdb_qos_rec_t& q) {
    if (q.usage) state.qos.push_back(qos(*msg, q));
  });
  state.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return poll_assoc_mgr_.emplace(std::move(state));
}

// sshare's rows from the same association manager state (what slurmctld answers sshare with:
// slurm_associations_get_shares is not exported by 22.05's libslurm). sshare prints no
// RawShares, NormUsage and LevelFS for the root account, no FairShare for accounts.
ShareData LibslurmBackend::load_shares() {
  const AccountingState* loaded = nullptr;
  try {
    loaded = &assoc_mgr_this_poll();
  } catch (...) {
    ++shares_failures_;
    throw;
  }
  const AccountingState& state = *loaded;
  ShareData out;
  out.load_seconds = state.load_seconds;
  out.failed_loads = shares_failures_;
  for (const Association& a : state.associations) {
    ShareRow r{a.account, a.user, 0, a.shares};
    if (a.user.empty() && a.parent.empty()) {
      r.shares.raw_shares.reset();
      r.shares.norm_usage.reset();
      r.shares.level_fs.reset();
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

DbdStats LibslurmBackend::load_dbd_stats() {
  DbdStats out;
  // Without slurmdbd there is nothing to ask (and slurmdb_connection_get would wait for it).
  std::string storage;
  {
    slurm_conf_t* conf = slurm_conf_lock();
    if (conf && conf->accounting_storage_type) storage = conf->accounting_storage_type;
    slurm_conf_unlock();
  }
  if (!has_accounting(storage)) {
    out.error =
        fmt::format("AccountingStorageType is \"{}\", not accounting_storage/slurmdbd", storage);
    return out;
  }
  void* db = slurmdb_connection_get(nullptr);
  if (!db) {
    const int err = compat::last_errno();
    out.error = fmt::format("slurmdb_connection_get: {} (errno {})", slurm_strerror(err), err);
    return out;
  }
  slurmdb_stats_rec_t* raw = nullptr;
  const int rc = slurmdb_get_stats(db, &raw);
  const int err = compat::last_errno();
  slurmdb_connection_close(&db);
  const std::unique_ptr<slurmdb_stats_rec_t, StatsRecFree> stats(raw);
  if (rc != SLURM_SUCCESS || !stats) {
    out.error = fmt::format("slurmdb_get_stats: {} (errno {})", slurm_strerror(err), err);
    return out;
  }
  out.since = static_cast<std::int64_t>(stats->time_start);
  // slurmdbd's own rollup counters (sacctmgr: "Internal DBD rollup", "User RPC rollup call")
  // and each cluster's hour/day/month rollups; sacctmgr skips those that never ran.
  const auto add = [&](const slurmdb_rollup_stats_t& r, int i, std::string cluster,
                       std::string interval) {
    if (r.time_total[i] == 0) return;
    out.rollups.push_back(
        {std::move(cluster), std::move(interval),
         r.timestamp[i] ? std::optional<std::int64_t>(r.timestamp[i]) : std::nullopt,
         r.time_last[i], r.time_max[i], r.time_total[i], r.count[i]});
  };
  static constexpr const char* kInternal[] = {"internal", "user_rpc", "unknown"};
  static constexpr const char* kIntervals[] = {"Hour", "Day", "Month"};
  if (stats->dbd_rollup_stats) {
    for (int i = 0; i < DBD_ROLLUP_COUNT; ++i) {
      add(*stats->dbd_rollup_stats, i, "", kInternal[i < 2 ? i : 2]);
    }
  }
  for_each_item<slurmdb_rollup_stats_t>(stats->rollup_stats, [&](const slurmdb_rollup_stats_t& r) {
    for (int i = 0; i < DBD_ROLLUP_COUNT; ++i) {
      add(r, i, r.cluster_name ? r.cluster_name : "", kIntervals[i]);
    }
  });
  for_each_item<slurmdb_rpc_obj_t>(stats->rpc_list, [&](const slurmdb_rpc_obj_t& r) {
    out.by_type.push_back({dbd_msg_type_name(r.id, compat::kRelease), r.id, r.cnt, r.time});
  });
  for_each_item<slurmdb_rpc_obj_t>(stats->user_list, [&](const slurmdb_rpc_obj_t& r) {
    out.by_user.push_back({impl_->user_name(r.id), r.id, r.cnt, r.time});
  });
  return out;
}

}  // namespace slurm_exporter::slurm
