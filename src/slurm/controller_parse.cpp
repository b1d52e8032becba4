// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/controller_parse.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
using text::quote;
namespace {

std::string_view required(const text::Fields& fields, std::string_view line, std::size_t n,
                          std::string_view key) {
  try {
    return fields.required(key);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} in {}", e.what(), quote(line)), n);
  }
}

std::uint64_t number(const text::Fields& fields, std::string_view line, std::size_t n,
                     std::string_view key) {
  const std::string_view v = required(fields, line, n, key);
  try {
    return text::parse_u64(v, key);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} in {}", e.what(), quote(line)), n);
  }
}

// "YYYY-MM-DDTHH:MM:SS" in local time (SLURM_TIME_FORMAT=standard) → unix seconds.
std::int64_t local_time(const text::Fields& fields, std::string_view line, std::size_t n,
                        std::string_view key) {
  const std::string_view t = required(fields, line, n, key);
  if (auto epoch = text::parse_local_time(t)) return *epoch;
  throw ParseError(fmt::format("{}={} is not YYYY-MM-DDTHH:MM:SS", key, quote(t)), n);
}

}  // namespace

std::vector<License> parse_scontrol_licenses(std::string_view text) {
  std::vector<License> out;
  text::for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (line.starts_with("No licenses")) return;
    const text::Fields f(line);
    License l;
    l.name = std::string(required(f, line, n, "LicenseName"));
    if (l.name.empty()) throw ParseError(fmt::format("empty LicenseName in {}", quote(line)), n);
    l.total = number(f, line, n, "Total");
    l.used = number(f, line, n, "Used");
    l.free = number(f, line, n, "Free");
    l.reserved = number(f, line, n, "Reserved");
    const std::string_view remote = required(f, line, n, "Remote");
    if (remote != "yes" && remote != "no") {
      throw ParseError(fmt::format("Remote={} is not yes or no", quote(remote)), n);
    }
    l.remote = remote == "yes";
    // Slurm 23.11+ adds these to a remote license's line.
    if (f.find("LastConsumed")) l.last_consumed = number(f, line, n, "LastConsumed");
    if (f.find("LastDeficit")) l.last_deficit = number(f, line, n, "LastDeficit");
    out.push_back(std::move(l));
  });
  return out;
}

std::vector<Reservation> parse_scontrol_reservations(std::string_view text) {
  std::vector<Reservation> out;
  text::for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (line.starts_with("No reservations")) return;
    const text::Fields f(line);
    Reservation r;
    r.name = std::string(required(f, line, n, "ReservationName"));
    if (r.name.empty())
      throw ParseError(fmt::format("empty ReservationName in {}", quote(line)), n);
    r.start_time = local_time(f, line, n, "StartTime");
    r.end_time = local_time(f, line, n, "EndTime");
    r.node_count = number(f, line, n, "NodeCnt");
    r.core_count = number(f, line, n, "CoreCnt");
    const std::string_view partition = required(f, line, n, "PartitionName");
    if (partition != "(null)") r.partition = std::string(partition);
    const std::string_view flags = required(f, line, n, "Flags");
    if (flags != "(null)") r.flags = std::string(flags);
    try {
      r.nodes = expand_host_list(required(f, line, n, "Nodes"));
    } catch (const ParseError& e) {
      throw ParseError(e.what(), n);
    }
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<Controller> parse_scontrol_ping(std::string_view text) {
  std::vector<Controller> out;
  text::for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (!line.starts_with("Slurmctld(")) return;
    const auto at = line.find(") at ");
    const auto is = line.rfind(" is ");
    if (at == std::string_view::npos || is == std::string_view::npos || is < at + 5) {
      throw ParseError(fmt::format("scontrol ping: malformed line {}", quote(line)), n);
    }
    Controller c;
    c.name = std::string(line.substr(at + 5, is - at - 5));
    const std::string_view status = line.substr(is + 4);
    if (status != "UP" && status != "DOWN") {
      throw ParseError(fmt::format("scontrol ping: status {} is not UP or DOWN", quote(status)), n);
    }
    c.up = status == "UP";
    c.index = static_cast<std::uint32_t>(out.size());
    out.push_back(std::move(c));
  });
  if (out.empty()) throw ParseError("scontrol ping: no \"Slurmctld(...) at HOST is UP|DOWN\" line");
  return out;
}

SlurmConfig parse_scontrol_config(std::string_view text) {
  SlurmConfig c;
  bool seen = false;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    if (key == "PrivateData") {
      seen = true;
      if (value == "none" || value.empty()) continue;
      for (std::size_t p = 0; p <= value.size();) {
        std::size_t comma = value.find(',', p);
        if (comma == std::string_view::npos) comma = value.size();
        if (comma > p) c.private_data.emplace_back(value.substr(p, comma - p));
        p = comma + 1;
      }
    } else if (key == "AccountingStorageType") {
      if (value != "(null)" && value != "accounting_storage/none") {
        c.accounting_storage_type = std::string(value);
      }
    } else if (key == "SlurmUser") {
      const std::size_t open = value.find('(');
      c.slurm_user = std::string(value.substr(0, open));
      if (open != std::string_view::npos) {
        const std::string_view id = value.substr(open + 1, value.find(')', open) - open - 1);
        std::uint32_t uid = 0;
        const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), uid);
        if (ec == std::errc{} && ptr == id.data() + id.size()) c.slurm_user_id = uid;
      }
    }
  }
  if (!seen) throw ParseError("scontrol show config: no PrivateData line");
  std::sort(c.private_data.begin(), c.private_data.end());
  return c;
}

}  // namespace slurm_exporter::slurm::cli
