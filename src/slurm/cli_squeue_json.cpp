// SPDX-License-Identifier: GPL-2.0-or-later
// squeue --json: the reason code of jobs whose squeue text shows a free-text description.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

// A reason code as job_reason_string() makes them: a name, or the enum's number for a value
// that release does not name. Anything else (a description) is not a code.
bool code_shaped(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::map<std::uint32_t, std::string> parse_squeue_json_reasons(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw ParseError("squeue --json: not a JSON document");
  const auto jobs = doc.find("jobs");
  if (!doc.is_object() || jobs == doc.end() || !jobs->is_array()) {
    throw ParseError("squeue --json: no \"jobs\" array");
  }
  std::map<std::uint32_t, std::string> out;
  for (const nlohmann::json& job : *jobs) {
    if (!job.is_object()) continue;
    const auto id = job.find("job_id");
    const auto reason = job.find("state_reason");
    if (id == job.end() || reason == job.end() || !id->is_number_unsigned() ||
        !reason->is_string()) {
      continue;
    }
    const std::uint64_t value = id->get<std::uint64_t>();
    const auto& code = reason->get_ref<const std::string&>();
    if (value == 0 || value > UINT32_MAX || !code_shaped(code)) continue;
    out[static_cast<std::uint32_t>(value)] = code;
  }
  return out;
}

}  // namespace slurm_exporter::slurm::cli
