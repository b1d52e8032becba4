// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/controller_parse.hpp"

#include <charconv>
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

// Calls f(line, line_number) for every non-blank line ("\r\n" tolerated).
template <typename F>
void for_each_line(std::string_view text, F f) {
  std::size_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    f(line, n);
  }
}

// The value of KEY= in a `scontrol -o` line: up to the next space. Keys match only at the start
// of the line or after a space, so "Name=" doesn't match inside "LicenseName=". nullopt-like
// empty view plus `found` when absent.
bool value_of(std::string_view line, std::string_view key, std::string_view& out) {
  std::size_t from = 0;
  while (true) {
    const auto at = line.find(key, from);
    if (at == std::string_view::npos) return false;
    if (at == 0 || line[at - 1] == ' ') {
      std::string_view v = line.substr(at + key.size());
      out = v.substr(0, v.find(' '));
      return true;
    }
    from = at + 1;
  }
}

std::string_view required(std::string_view line, std::size_t n, std::string_view key) {
  std::string_view v;
  if (!value_of(line, key, v)) {
    throw ParseError(fmt::format("no {} in {}", key, quote(line)), n);
  }
  return v;
}

std::uint64_t number(std::string_view line, std::size_t n, std::string_view key) {
  const std::string_view v = required(line, n, key);
  std::uint64_t out = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || r.ec != std::errc{} || r.ptr != v.data() + v.size()) {
    throw ParseError(fmt::format("{}{} is not a number in {}", key, quote(v), quote(line)), n);
  }
  return out;
}

// "YYYY-MM-DDTHH:MM:SS" in local time (SLURM_TIME_FORMAT=standard) → unix seconds.
std::int64_t local_time(std::string_view line, std::size_t n, std::string_view key) {
  const std::string_view t = required(line, n, key);
  if (auto epoch = parse_local_time(t)) return *epoch;
  throw ParseError(fmt::format("{}{} is not YYYY-MM-DDTHH:MM:SS", key, quote(t)), n);
}

}  // namespace

std::vector<License> parse_scontrol_licenses(std::string_view text) {
  std::vector<License> out;
  for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (line.starts_with("No licenses")) return;
    License l;
    l.name = std::string(required(line, n, "LicenseName="));
    if (l.name.empty()) throw ParseError(fmt::format("empty LicenseName in {}", quote(line)), n);
    l.total = number(line, n, "Total=");
    l.used = number(line, n, "Used=");
    l.free = number(line, n, "Free=");
    l.reserved = number(line, n, "Reserved=");
    const std::string_view remote = required(line, n, "Remote=");
    if (remote != "yes" && remote != "no") {
      throw ParseError(fmt::format("Remote={} is not yes or no", quote(remote)), n);
    }
    l.remote = remote == "yes";
    out.push_back(std::move(l));
  });
  return out;
}

std::vector<Reservation> parse_scontrol_reservations(std::string_view text) {
  std::vector<Reservation> out;
  for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (line.starts_with("No reservations")) return;
    Reservation r;
    r.name = std::string(required(line, n, "ReservationName="));
    if (r.name.empty())
      throw ParseError(fmt::format("empty ReservationName in {}", quote(line)), n);
    r.start_time = local_time(line, n, "StartTime=");
    r.end_time = local_time(line, n, "EndTime=");
    r.node_count = number(line, n, "NodeCnt=");
    r.core_count = number(line, n, "CoreCnt=");
    const std::string_view partition = required(line, n, "PartitionName=");
    if (partition != "(null)") r.partition = std::string(partition);
    const std::string_view flags = required(line, n, "Flags=");
    if (flags != "(null)") r.flags = std::string(flags);
    try {
      r.nodes = expand_host_list(required(line, n, "Nodes="));
    } catch (const ParseError& e) {
      throw ParseError(e.what(), n);
    }
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<Controller> parse_scontrol_ping(std::string_view text) {
  std::vector<Controller> out;
  for_each_line(text, [&](std::string_view line, std::size_t n) {
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

}  // namespace slurm_exporter::slurm::cli
