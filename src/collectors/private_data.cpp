// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/private_data.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "slurm_exporter/log.hpp"

namespace slurm_exporter::collectors {
namespace {

// Slurm's PrivateData names (slurm.conf(5)).
constexpr std::array<std::string_view, 9> kKinds{
    "accounts", "cloud", "events", "jobs", "nodes", "partitions", "reservations", "usage", "users"};
// The ones that hide data the exporter reads.
constexpr std::array<std::string_view, 4> kReadByExporter{"jobs", "nodes", "partitions",
                                                          "reservations"};

std::atomic<bool> g_auth{false};

bool has(const slurm::SlurmConfig& c, std::string_view kind) {
  return std::find(c.private_data.begin(), c.private_data.end(), kind) != c.private_data.end();
}

}  // namespace

std::string private_data_warning(const slurm::SlurmConfig& config, std::uint32_t uid) {
  std::vector<std::string_view> hidden;
  for (const auto k : kReadByExporter) {
    if (has(config, k)) hidden.push_back(k);
  }
  if (hidden.empty() || uid == 0 || uid == config.slurm_user_id) return {};
  return fmt::format(
      "PrivateData={} hides other users' {} from this exporter's user (uid {}): unless it is a "
      "Slurm operator or administrator, those families count only its own; make it one "
      "(sacctmgr modify user <name> set adminlevel=operator) or run the exporter as SlurmUser "
      "({})",
      fmt::join(config.private_data, ","), fmt::join(hidden, ", "), uid,
      config.slurm_user.empty() ? "see slurm.conf" : config.slurm_user);
}

std::string private_data_exposure_warning(const slurm::SlurmConfig& config, bool auth) {
  if (auth || !(has(config, "jobs") || has(config, "usage"))) return {};
  return fmt::format(
      "PrivateData={} keeps users from seeing each other's jobs, but these metrics carry "
      "per-user and per-account series and need no password: anyone who reaches the port "
      "sees them; add basic auth (--web.config.file) or restrict the port",
      fmt::join(config.private_data, ","));
}

metrics::Family private_data_family(const slurm::SlurmConfig& config) {
  metrics::Family f;
  f.name = "slurm_exporter_private_data";
  f.help =
      "Whether slurmctld's PrivateData covers this kind (1) or not (0) "
      "(slurm_load_ctl_conf; scontrol show config)";
  f.type = metrics::Type::kGauge;
  f.label_names = {"kind"};
  for (const auto k : kKinds) {
    f.samples.emplace_back(std::vector<std::string>{std::string(k)}, has(config, k) ? 1.0 : 0.0);
  }
  return f;
}

void PrivateDataState::set_auth(bool auth) { g_auth = auth; }

void PrivateDataState::update(const Inputs& in, std::int64_t /*now*/) {
  const slurm::SlurmConfig& c = in.config();
  const bool changed = !seen_ || c.private_data != config_.private_data;
  config_ = c;
  seen_ = true;
  if (!changed) return;
  // Once at start and once per change (scontrol reconfigure), not per poll.
  if (auto w = private_data_warning(c, static_cast<std::uint32_t>(::geteuid())); !w.empty()) {
    log::warn(w);
  }
  if (auto w = private_data_exposure_warning(c, g_auth); !w.empty()) log::warn(w);
}

std::vector<metrics::Family> PrivateDataState::collect(std::int64_t /*now*/) const {
  return {private_data_family(config_)};
}

}  // namespace slurm_exporter::collectors
