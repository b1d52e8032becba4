// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/cli_backend.hpp"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <semaphore>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/controller_parse.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/sdiag_parse.hpp"
#include "slurm_exporter/slurm/subprocess.hpp"

namespace slurm_exporter::slurm {
namespace {

// What sinfo/squeue print (after "slurm_load_node: " etc.) when slurmctld doesn't answer.
constexpr std::string_view kUnreachable = "Unable to contact slurm controller";
// Runs each task in a thread of its own, at most kMaxParallelCommands at once (across the
// backend: `slots` is its one semaphore); returns their results in order. Every task has
// finished when this returns; the first failure (in task order) is rethrown.
template <typename T>
std::vector<T> run_side_by_side(CommandSlots& slots, std::vector<std::function<T()>> tasks) {
  std::vector<std::future<T>> running;
  running.reserve(tasks.size());
  for (auto& task : tasks) {
    running.push_back(std::async(std::launch::async, [&slots, &task] {
      const SlotGuard slot(slots);
      return task();
    }));
  }
  for (auto& f : running) f.wait();
  std::vector<T> out;
  out.reserve(running.size());
  for (auto& f : running) out.push_back(f.get());
  return out;
}

// Distinct stderr texts remembered for warn-once; past this, repeats may be logged again.
constexpr std::size_t kMaxWarned = 256;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string resolve(const std::string& command, const std::string& bin_dir) {
  if (command.empty()) throw BackendError("empty Slurm command name");
  if (command.find('/') != std::string::npos) return command;
  // A colon-separated list, like PATH, except that an empty entry is skipped (PATH would read
  // it as the current directory: not where a daemon should find the commands it runs).
  const std::string_view dirs = bin_dir.empty() ? std::string_view(kCliSearchPath) : bin_dir;
  std::string_view rest = dirs;
  while (true) {
    const auto colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    if (!dir.empty()) {
      std::string candidate = fmt::format("{}/{}", dir, command);
      if (is_executable_file(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  throw BackendError(fmt::format("cannot find {} in {}", command, dirs));
}

std::vector<std::string> command_env(const std::string& slurm_conf) {
  std::vector<std::string> env{"LC_ALL=C", "SLURM_TIME_FORMAT=standard",
                               fmt::format("PATH={}", kCliSearchPath)};
  // Slurm's commands find their configuration through SLURM_CONF (else the compiled-in path or
  // a configless lookup). HOME is kept for site wrappers installed as sinfo/squeue that read
  // files under it; everything else (SQUEUE_FORMAT, SINFO_SORT, SLURM_CLUSTERS…) would change
  // what the commands print.
  if (!slurm_conf.empty()) {
    env.push_back("SLURM_CONF=" + slurm_conf);
  } else if (const char* conf = std::getenv("SLURM_CONF"); conf && *conf) {
    env.push_back(fmt::format("SLURM_CONF={}", conf));
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    env.push_back(fmt::format("HOME={}", home));
  }
  // The commands print local times and the parsers read them back with mktime in the
  // exporter's own zone: both must be the same zone. Without TZ both use /etc/localtime.
  if (const char* tz = std::getenv("TZ"); tz && *tz) env.push_back(fmt::format("TZ={}", tz));
  // Sites with AuthType=auth/jwt give the commands their token this way.
  if (const char* jwt = std::getenv("SLURM_JWT"); jwt && *jwt) {
    env.push_back(fmt::format("SLURM_JWT={}", jwt));
  }
  return env;
}

// The first stderr line saying slurmctld can't be contacted (at most 200 bytes, control
// characters as spaces, like describe()), empty when there is none.
std::string unreachable_line(std::string_view err) {
  const auto at = err.find(kUnreachable);
  if (at == std::string_view::npos) return {};
  const auto begin = err.rfind('\n', at);
  const auto start = begin == std::string_view::npos ? 0 : begin + 1;
  const auto end = err.find('\n', at);
  std::string_view line = err.substr(start, end == std::string_view::npos ? end : end - start);
  std::size_t keep = std::min<std::size_t>(line.size(), 200);
  while (keep < line.size() && keep > 0 &&
         (static_cast<unsigned char>(line[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string out(line.substr(0, keep));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// scontrol from the directory sinfo is in, empty when there is none there: the node load reads
// `scontrol show node` (sinfo -N is slow on big clusters, lists no node in no partition and
// 22.05's has no Arch field); only without a scontrol does it fall back to sinfo -N.
std::string scontrol_next_to(const std::string& sinfo_path) {
  const auto slash = sinfo_path.rfind('/');
  if (slash == std::string::npos) return {};
  std::string candidate = sinfo_path.substr(0, slash + 1) + "scontrol";
  return is_executable_file(candidate) ? candidate : std::string{};
}

}  // namespace

CliBackend::CliBackend(CliOptions options)
    : options_(std::move(options)),
      sinfo_path_(resolve(options_.sinfo, options_.bin_dir)),
      squeue_path_(resolve(options_.squeue, options_.bin_dir)),
      scontrol_path_(scontrol_next_to(sinfo_path_)),
      env_(command_env(options_.slurm_conf)),
      cancel_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (cancel_fd_ < 0) {
    throw BackendError(fmt::format("cannot create an eventfd: {}", std::strerror(errno)));
  }
  // An explicit path is not searched, but a missing one should still stop the start.
  if (!options_.sdiag.empty()) sdiag_path_ = resolve(options_.sdiag, options_.bin_dir);
  if (!options_.sacctmgr.empty()) sacctmgr_path_ = resolve(options_.sacctmgr, options_.bin_dir);
  if (!options_.lic_scontrol.empty()) lic_path_ = resolve(options_.lic_scontrol, options_.bin_dir);
  for (const std::string* path : {&sinfo_path_, &squeue_path_}) {
    if (!is_executable_file(*path)) {
      throw BackendError(fmt::format("cannot run {}: not an executable file", *path));
    }
  }
  const std::string args[] = {"--version"};
  const std::string out = run(sinfo_path_, args, " --version");
  try {
    version_ = cli::parse_version(out);
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{}: {}", sinfo_path_, e.what()));
  }
}

CliBackend::~CliBackend() {
  cancel();
  drop_prefetch();
  if (cancel_fd_ >= 0) ::close(cancel_fd_);
}

void CliBackend::cancel() noexcept {
  const std::uint64_t one = 1;
  // Only EAGAIN (the counter is full, already cancelled) can fail here; nothing to do then.
  [[maybe_unused]] const auto n = ::write(cancel_fd_, &one, sizeof one);
}

std::string CliBackend::run(const std::string& command, std::span<const std::string> args,
                            std::string_view label) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(command);
  argv.insert(argv.end(), args.begin(), args.end());

  CommandOptions opts;
  opts.timeout = options_.timeout;
  opts.env = env_;
  opts.cancel_fd = cancel_fd_;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = run_command(argv, opts);
  const auto took = std::chrono::steady_clock::now() - start;

  const std::string unreachable = unreachable_line(r.err);
  if (r.exit_code != 0 || r.term_signal != 0) {
    std::string msg = fmt::format("{}{} failed: {}", command, label, describe(r));
    // describe() shows only stderr's first line; the controller error must not get lost.
    if (!unreachable.empty() && msg.find(kUnreachable) == std::string::npos) {
      msg += fmt::format(" ({})", unreachable);
    }
    throw BackendError(msg, !unreachable.empty());
  }
  if (r.err.find_first_not_of(" \t\r\n") != std::string::npos) {
    // describe() of a successful run is "exited with status 0: <first stderr line>", bounded.
    std::string text = describe(r);
    const std::lock_guard lock(warn_mutex_);
    if (warned_.size() >= kMaxWarned) warned_.clear();
    if (warned_.insert(text).second) {
      log::warn("Slurm command wrote to stderr",
                {{"command", fmt::format("{}{}", command, label)}, {"stderr", text}});
    }
  }
  if (took * 2 > options_.timeout) {
    // A big cluster outgrows the default timeout slowly (sinfo -N of 10,000 nodes takes
    // seconds); say so before polls start failing.
    const std::string what = fmt::format("{}{}", command, label);
    const std::lock_guard lock(warn_mutex_);
    if (slow_warned_.insert(what).second) {
      log::warn(
          "Slurm command took more than half of --slurm.cli-timeout; raise it before "
          "polls fail",
          {{"command", what},
           {"seconds", fmt::format("{:.1f}", std::chrono::duration<double>(took).count())},
           {"timeout_seconds",
            fmt::format("{:g}", std::chrono::duration<double>(options_.timeout).count())}});
    }
  }
  return std::move(r.out);
}

NodeData CliBackend::load_nodes() {
  // A job list prefetched for a poll that never asked for it (it stopped early) is stale once
  // a new poll begins (ping, else nodes, come first).
  drop_prefetch();
  // The job list runs beside the node commands when the last poll loaded it (fetch(jobs)
  // takes it).
  if (jobs_wanted_) {
    jobs_wanted_ = false;
    squeue_prefetch_ = std::async(std::launch::async, [this] {
      const SlotGuard slot(slots_);
      return run_squeue();
    });
  }
  NodeData data = scontrol_path_.empty() ? load_sinfo_nodes() : load_scontrol_nodes();
  // The parser leaves the reason's uid as a number; name it as the libslurm backend does.
  for (Node& n : data.nodes) {
    if (n.reason_user.empty()) continue;
    std::uint32_t uid = 0;
    const char* end = n.reason_user.data() + n.reason_user.size();
    if (std::from_chars(n.reason_user.data(), end, uid).ptr == end) {
      n.reason_user = user_names_.name(uid);
    }
  }
  return data;
}

NodeData CliBackend::load_scontrol_nodes() {
  // Every datum of the node load is in these two (-a: hidden partitions and their nodes too,
  // as libslurm's SHOW_ALL; -d: GresUsed, as SHOW_DETAIL). They cost a few ms where sinfo -N
  // takes 0.5 s at 2,000 nodes and 13-24 s at 10,000 (it builds and sorts a record per node
  // and partition).
  const std::string node_args[] = {"-a", "-d", "-o", "show", "node"};
  const std::string part_args[] = {"-a", "-o", "show", "partition"};
  std::vector<std::function<std::string()>> tasks{
      [&] { return run(scontrol_path_, node_args, " -a -d -o show node"); },
      [&] { return run(scontrol_path_, part_args, " -a -o show partition"); }};
  const std::vector<std::string> out = run_side_by_side(slots_, std::move(tasks));
  try {
    return cli::parse_scontrol_nodes(out[0], out[1]);
  } catch (const ParseError& e) {
    // The message names the command ("scontrol -a -d -o show node: …") and the line.
    throw BackendError(fmt::format("{}: {}", scontrol_path_, e.what()));
  }
}

NodeData CliBackend::load_sinfo_nodes() {
  // No scontrol next to sinfo: sinfo alone, which lists no node in no partition, no Arch and
  // no partition settings.
  const std::string node_args[] = {"-N", "-h", "-a", "-O", std::string(cli::kSinfoNodeFields)};
  const std::string part_args[] = {"-h", "-a", "-o", std::string(cli::kSinfoPartitionFormat)};
  std::vector<std::function<std::string()>> tasks{
      [&] { return run(sinfo_path_, node_args, " -N"); },
      [&] { return run(sinfo_path_, part_args, " -o %R"); }};
  const std::vector<std::string> out = run_side_by_side(slots_, std::move(tasks));
  return cli::parse_sinfo_nodes(out[0], out[1]);
}

std::string CliBackend::run_squeue() {
  // -t all: the finished jobs slurmctld still lists (MinJobAge) too, as slurm_load_jobs
  // returns them; the finished-jobs counter needs them, the queue families skip them.
  const std::string args[] = {"-h", "-r", "-a", "-t", "all", "-O", std::string(cli::kSqueueFields)};
  return run(squeue_path_, args, "");
}

void CliBackend::drop_prefetch() noexcept {
  if (!squeue_prefetch_.valid()) return;
  try {
    squeue_prefetch_.get();  // waits; its result or failure belongs to a poll that is over
  } catch (...) {
  }
}

void CliBackend::resolve_reasons(std::vector<Job>& jobs) {
  const auto unresolved = [](const Job& j) { return j.reason.empty() && j.state == "PENDING"; };
  std::set<std::uint32_t> ids;
  for (const Job& j : jobs) {
    if (unresolved(j)) ids.insert(j.job_id);
  }
  if (ids.empty()) return;
  // squeue's text has only the description there; --json has the code beside it. Slurm 22.05
  // lists every job whatever -j says; later releases only these (a long list: the pending ones).
  std::vector<std::string> args{"--json"};
  if (ids.size() <= 1000) {
    args.insert(args.end(), {"-j", fmt::format("{}", fmt::join(ids, ","))});
  } else {
    args.insert(args.end(), {"-t", "pending"});
  }
  std::map<std::uint32_t, std::string> codes;
  try {
    codes = cli::parse_squeue_json_reasons(run(squeue_path_, args, " --json"));
    json_warned_ = false;
  } catch (const std::exception& e) {
    if (!json_warned_) {
      log::warn(
          "squeue --json failed: pending jobs whose reason squeue shows as a description "
          "are counted under reason=\"other\"",
          {{"error", e.what()}});
      json_warned_ = true;
    }
  }
  for (Job& j : jobs) {
    if (!unresolved(j)) continue;
    const auto it = codes.find(j.job_id);
    j.reason = it != codes.end() ? it->second : std::string(kOtherReason);
  }
}

JobData CliBackend::load_jobs() {
  jobs_wanted_ = true;
  // Started by this poll's load_nodes, side by side with the node commands; else run now.
  JobData data =
      cli::parse_squeue(squeue_prefetch_.valid() ? squeue_prefetch_.get() : run_squeue());
  std::vector<Job>& jobs = data.jobs;
  resolve_reasons(jobs);
  // Which GPUs (of which type) a running job holds is only in scontrol -d's JOB_GRES: asked
  // for only when some started job wants GPUs, as that prints every job in full.
  // Finished jobs hold nothing.
  const auto started = [](const Job& j) {
    return j.state != "PENDING" && !is_final_job_state(j.state);
  };
  const bool gpus_in_use = std::any_of(
      jobs.begin(), jobs.end(), [&](const Job& j) { return j.gpus_requested > 0 && started(j); });
  if (gpus_in_use && !scontrol_path_.empty()) {
    const std::string show_args[] = {"-d", "-o", "show", "job"};
    std::map<std::uint32_t, std::vector<GresCount>> gres;
    try {
      gres = cli::parse_scontrol_job_gres(run(scontrol_path_, show_args, " -d -o show job"),
                                          &data.parse_errors);
    } catch (const ParseError& e) {
      throw BackendError(fmt::format("{} -d -o show job: {}", scontrol_path_, e.what()));
    }
    for (Job& j : jobs) {
      if (!started(j)) continue;
      if (auto it = gres.find(j.job_id); it != gres.end()) j.gres_alloc = std::move(it->second);
    }
  }
  return data;
}

}  // namespace slurm_exporter::slurm

// ---------------------------------------------------------------------------------------------
// Controller-side collectors: sdiag and scontrol, from sinfo's directory.

namespace slurm_exporter::slurm {

std::optional<LoadData> CliBackend::fetch(LoadKind kind, bool /*full*/) {
  switch (kind) {
    case LoadKind::nodes:
      return LoadData(load_nodes());
    case LoadKind::jobs:
      return LoadData(load_jobs());
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

const std::string& CliBackend::controller_command(std::string_view name) {
  if (name == "scontrol") {
    if (scontrol_path_.empty()) {
      throw BackendError(fmt::format("no executable scontrol next to {}", sinfo_path_));
    }
    return scontrol_path_;
  }
  // -slurm.diag-cli / -slurm.sacctmgr-cli (options.sdiag / .sacctmgr) name the program itself.
  std::string& path = name == "sdiag"      ? sdiag_path_
                      : name == "sacctmgr" ? sacctmgr_path_
                                           : next_to_sinfo_[std::string(name)];
  if (path.empty()) {
    const auto slash = sinfo_path_.rfind('/');
    std::string candidate =
        (slash == std::string::npos ? std::string{} : sinfo_path_.substr(0, slash + 1)) +
        std::string(name);
    if (slash != std::string::npos && is_executable_file(candidate)) path = candidate;
  }
  if (path.empty()) {
    throw BackendError(fmt::format("no executable {} next to {}", name, sinfo_path_));
  }
  return path;
}

SchedulerStats CliBackend::load_scheduler_stats() {
  const std::string& sdiag = controller_command("sdiag");
  const std::vector<std::string> none;
  SchedulerStats stats;
  try {
    stats = cli::parse_sdiag(run(sdiag, none, ""));
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{}: {}", sdiag, e.what()));
  }
  // sdiag prints "name (uid)"; name the uid as the libslurm backend does.
  for (RpcStat& u : stats.rpc_users) {
    std::uint32_t uid = 0;
    const char* end = u.name.data() + u.name.size();
    if (std::from_chars(u.name.data(), end, uid).ptr == end) u.name = user_names_.name(uid);
  }
  return stats;
}

std::vector<License> CliBackend::load_licenses() {
  const std::string& scontrol = lic_path_.empty() ? controller_command("scontrol") : lic_path_;
  const std::string args[] = {"show", "licenses", "-o"};
  try {
    return cli::parse_scontrol_licenses(run(scontrol, args, " show licenses -o"));
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{} show licenses -o: {}", scontrol, e.what()));
  }
}

std::vector<Reservation> CliBackend::load_reservations() {
  const std::string& scontrol = controller_command("scontrol");
  const std::string args[] = {"show", "reservation", "-o"};
  try {
    return cli::parse_scontrol_reservations(run(scontrol, args, " show reservation -o"));
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{} show reservation -o: {}", scontrol, e.what()));
  }
}

SlurmConfig CliBackend::load_config() {
  if (poll_config_) return *poll_config_;
  const std::string& scontrol = controller_command("scontrol");
  const std::string args[] = {"show", "config"};
  try {
    return poll_config_.emplace(cli::parse_scontrol_config(run(scontrol, args, " show config")));
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{} show config: {}", scontrol, e.what()));
  }
}

std::string client_failure_cause(std::string_view err, std::string_view commands_version) {
  const auto line_of = [err](std::size_t at) {
    const auto begin = err.rfind('\n', at);
    const auto start = begin == std::string_view::npos ? 0 : begin + 1;
    const auto end = err.find('\n', at);
    std::string out(err.substr(
        start,
        std::min<std::size_t>((end == std::string_view::npos ? err.size() : end) - start, 200)));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return out;
  };
  const auto find = [err](std::initializer_list<std::string_view> needles) {
    for (std::string_view n : needles) {
      if (const auto at = err.find(n); at != std::string_view::npos) return at;
    }
    return std::string_view::npos;
  };
  if (const auto at = find({"Insane message length", "Incompatible versions",
                            "Protocol version has changed", "Unsupported RPC version"});
      at != std::string_view::npos) {
    return fmt::format(
        "version mismatch: slurmctld does not speak the protocol of the Slurm {} commands ({}); "
        "point --slurm.bin-dir at the controller's release",
        commands_version, line_of(at));
  }
  if (const auto at = find({"uthentication", "munge", "Munge", "credential"});
      at != std::string_view::npos) {
    return "authentication: " + line_of(at);
  }
  if (const auto at = find({"Unable to contact", "connect failure", "Connection refused",
                            "timed out", "Socket timed out"});
      at != std::string_view::npos) {
    return "connection: " + line_of(at);
  }
  return {};
}

ControllerStatus CliBackend::ping_controllers() {
  drop_prefetch();  // as load_nodes
  const std::string& scontrol = controller_command("scontrol");
  // Not run(): scontrol ping exits 1 when a controller is down, and that answer is the news.
  CommandOptions opts;
  opts.timeout = options_.timeout;
  opts.env = env_;
  opts.cancel_fd = cancel_fd_;
  const auto start = std::chrono::steady_clock::now();
  const std::string argv[] = {scontrol, "ping"};
  const CommandResult r = run_command(argv, opts);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.term_signal != 0 || (r.exit_code != 0 && r.exit_code != 1)) {
    throw BackendError(fmt::format("{} ping failed: {}", scontrol, describe(r)));
  }
  ControllerStatus status;
  try {
    status.controllers = cli::parse_scontrol_ping(r.out);
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{} ping: {} ({})", scontrol, e.what(), describe(r)));
  }
  for (Controller& c : status.controllers) c.ping_seconds = seconds;
  // scontrol ping prints only UP/DOWN on stdout; why (e.g. munge) goes to stderr.
  const auto first = r.err.find_first_not_of(" \t\r\n");
  if (first != std::string::npos) {
    const auto end = r.err.find('\n', first);
    status.error = r.err.substr(
        first,
        std::min<std::size_t>(end == std::string::npos ? r.err.size() - first : end - first, 200));
  }
  // Every controller down and nothing on stderr (scontrol names munge/authentication errors
  // there): connection failures or timeouts, which the other commands would wait for too.
  status.unreachable = first == std::string::npos &&
                       std::none_of(status.controllers.begin(), status.controllers.end(),
                                    [](const Controller& c) { return c.up; });
  // scontrol ping says only DOWN when slurmctld answers in a protocol these commands don't speak
  // (a release outside their window). A 24.11 or 25.05 slurmctld answers in its own protocol and
  // scontrol's stderr says so ("Incompatible versions", after an auth_g_unpack complaint); a
  // 26.05 one answers HTTP and stderr is empty: a quick DOWN (a stopped slurmctld costs seconds
  // of retries) then gets one cheap RPC whose stderr names the cause.
  std::string cause;
  if (first != std::string::npos) {
    cause = client_failure_cause(r.err, version_);
    if (!cause.starts_with("version mismatch")) cause.clear();  // the stderr line says enough
  } else if (status.unreachable && seconds < 1.0) {
    CommandOptions probe = opts;
    probe.timeout = std::min(opts.timeout, std::chrono::milliseconds(5000));
    const std::string probe_argv[] = {sinfo_path_, "-h", "-o", "%R"};
    const CommandResult pr = run_command(probe_argv, probe);
    cause = client_failure_cause(pr.err, version_);
  }
  if (!cause.empty()) {
    if (cause.starts_with("version mismatch") && warned_.insert(cause).second) {
      log::error("version mismatch", {{"err", cause}});
    }
    status.error = std::move(cause);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) status.local_host = host;
  return status;
}

ShareData CliBackend::load_shares() {
  const std::string& sshare = controller_command("sshare");
  const std::string args[] = {"-a", "-n", "-P", "-o", std::string(cli::kSshareFields)};
  const auto start = std::chrono::steady_clock::now();
  try {
    ShareData data = cli::parse_sshare(run(sshare, args, " -a -n -P"));
    data.load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    data.failed_loads = shares_failures_;
    return data;
  } catch (const ParseError& e) {
    ++shares_failures_;
    throw BackendError(fmt::format("{} -a -n -P: {}", sshare, e.what()));
  } catch (...) {
    ++shares_failures_;
    throw;
  }
}

AccountingState CliBackend::load_assoc_mgr() {
  const std::string& scontrol = controller_command("scontrol");
  const std::string args[] = {"show", "assoc_mgr", "flags=assoc,qos"};
  const auto start = std::chrono::steady_clock::now();
  try {
    // Without accounting the association manager is empty, and Slurm 23.11's slurmctld dies on
    // `scontrol show assoc_mgr flags=assoc` (SIGSEGV on a NULL association list, seen live on
    // 23.11.10): ask the controller's AccountingStorageType first (one `scontrol show config`,
    // which also fails the load while slurmctld cannot be reached).
    if (!has_accounting(load_config().accounting_storage_type)) {
      AccountingState empty;
      empty.failed_loads = assoc_mgr_failures_;
      return empty;
    }
    AccountingState state = cli::parse_assoc_mgr(run(scontrol, args, " show assoc_mgr"));
    state.load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.failed_loads = assoc_mgr_failures_;
    return state;
  } catch (const ParseError& e) {
    ++assoc_mgr_failures_;
    throw BackendError(fmt::format("{} show assoc_mgr: {}", scontrol, e.what()));
  } catch (...) {
    ++assoc_mgr_failures_;
    throw;
  }
}

DbdStats CliBackend::load_dbd_stats() {
  const std::string& sacctmgr = controller_command("sacctmgr");
  const std::string args[] = {"show", "stats"};
  std::string text;
  try {
    text = run(sacctmgr, args, " show stats");
  } catch (const BackendError& e) {
    // slurmdbd down is what this load reports (slurm_slurmdbd_up 0), not a failed load.
    DbdStats down;
    down.error = e.what();
    return down;
  }
  try {
    return cli::parse_sacctmgr_stats(text);
  } catch (const ParseError& e) {
    throw BackendError(fmt::format("{} show stats: {}", sacctmgr, e.what()));
  }
}

}  // namespace slurm_exporter::slurm
