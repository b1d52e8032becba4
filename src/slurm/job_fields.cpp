// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/job_fields.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm {
namespace js = job_state;

std::string job_state_name(std::uint32_t s) {
  // Flag precedence of Slurm 22.05's job_state_string().
  if (s & js::kCompleting) return "COMPLETING";
  if (s & js::kStageOut) return "STAGE_OUT";
  if (s & js::kConfiguring) return "CONFIGURING";
  if (s & js::kResizing) return "RESIZING";
  if (s & js::kRequeue) return "REQUEUED";
  if (s & js::kRequeueFed) return "REQUEUE_FED";
  if (s & js::kRequeueHold) return "REQUEUE_HOLD";
  if (s & js::kSpecialExit) return "SPECIAL_EXIT";
  if (s & js::kStopped) return "STOPPED";
  if (s & js::kRevoked) return "REVOKED";
  if (s & js::kResvDelHold) return "RESV_DEL_HOLD";
  if (s & js::kSignaling) return "SIGNALING";
  switch (s & js::kBaseMask) {
    case js::kPending:
      return "PENDING";
    case js::kRunning:
      return "RUNNING";
    case js::kSuspended:
      return "SUSPENDED";
    case js::kComplete:
      return "COMPLETED";
    case js::kCancelled:
      return "CANCELLED";
    case js::kFailed:
      return "FAILED";
    case js::kTimeout:
      return "TIMEOUT";
    case js::kNodeFail:
      return "NODE_FAIL";
    case js::kPreempted:
      return "PREEMPTED";
    case js::kBootFail:
      return "BOOT_FAIL";
    case js::kDeadline:
      return "DEADLINE";
    case js::kOom:
      return "OUT_OF_MEMORY";
    default:
      return "?";
  }
}

bool is_final_job_state(std::string_view state) {
  for (const char* s : kFinalJobStates) {
    if (state == s) return true;
  }
  return false;
}

namespace {

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  return text::parse_u64(text, what);
}

}  // namespace

bool is_job_reason_name(std::string_view name) {
  static constexpr std::string_view kNames[] = {
#include "job_reasons.inc"
  };
  return std::binary_search(std::begin(kNames), std::end(kNames), name);
}

std::optional<std::string_view> reason_code(std::string_view squeue_reason) {
  if (is_job_reason_name(squeue_reason)) return squeue_reason;
  const auto comma = squeue_reason.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const std::string_view head = text::trim(squeue_reason.substr(0, comma));
  if (is_job_reason_name(head)) return head;
  return std::nullopt;
}

std::optional<std::uint64_t> tres_memory_bytes(std::string_view tres) {
  while (!tres.empty()) {
    const auto comma = tres.find(',');
    const std::string_view item = tres.substr(0, comma);
    tres = comma == std::string_view::npos ? std::string_view{} : tres.substr(comma + 1);
    if (item.substr(0, 4) != "mem=") continue;
    std::string_view value = item.substr(4);
    std::uint64_t scale = text::kMiB;  // Slurm's default memory unit is MiB
    if (!value.empty() && (value.back() < '0' || value.back() > '9')) {
      scale = text::binary_unit(value.back(), "TRES memory");
      value.remove_suffix(1);
    }
    const auto dot = value.find('.');
    if (dot == std::string_view::npos) {
      return text::checked_mul(parse_u64(value, "TRES memory"), scale,
                               fmt::format("TRES memory \"{}\"", item));
    }
    // "1.50G": whole and fractional digits, both required.
    const std::string_view whole = value.substr(0, dot), frac = value.substr(dot + 1);
    parse_u64(whole, "TRES memory");
    parse_u64(frac, "TRES memory");
    double number = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), number);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
      throw ParseError(fmt::format("invalid TRES memory \"{}\"", value));
    }
    const double bytes = std::round(number * static_cast<double>(scale));
    // 2^64 as a double: anything at or above it does not fit.
    if (!(bytes < 18446744073709551616.0)) {
      throw ParseError(fmt::format("TRES memory \"{}\" is out of range", item));
    }
    return static_cast<std::uint64_t>(bytes);
  }
  return std::nullopt;
}

std::uint64_t count_array_tasks(std::string_view expr) {
  if (const auto pct = expr.find('%'); pct != std::string_view::npos) expr = expr.substr(0, pct);
  if (expr.empty()) throw ParseError("empty job array expression");
  std::uint64_t total = 0;
  while (!expr.empty()) {
    const auto comma = expr.find(',');
    std::string_view item = expr.substr(0, comma);
    expr = comma == std::string_view::npos ? std::string_view{} : expr.substr(comma + 1);
    std::uint64_t step = 1;
    if (const auto colon = item.find(':'); colon != std::string_view::npos) {
      step = parse_u64(item.substr(colon + 1), "job array step");
      if (step == 0) throw ParseError(fmt::format("job array step 0 in \"{}\"", item));
      item = item.substr(0, colon);
    }
    const auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      parse_u64(item, "job array task id");
      total = text::checked_add(total, 1, "job array task count");
      continue;
    }
    const auto first = parse_u64(item.substr(0, dash), "job array task id");
    const auto last = parse_u64(item.substr(dash + 1), "job array task id");
    if (last < first) throw ParseError(fmt::format("job array range \"{}\" runs backwards", item));
    total = text::checked_add(total, (last - first) / step + 1, "job array task count");
  }
  return total;
}

}  // namespace slurm_exporter::slurm
