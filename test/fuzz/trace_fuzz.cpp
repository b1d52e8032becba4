// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the /trace intake (parse a POST body, store it, render the page). Any input
// is either a sample or a one-line reason; an exception or a crash is a bug, and the store never
// holds more than its bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "slurm_exporter/trace/store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace trace = slurm_exporter::trace;
  static trace::Store store(10, 8);
  static std::int64_t now = 1'000'000;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto s = trace::parse_sample(in, error);
  if (s.has_value() == !error.empty() || error.find('\n') != std::string::npos) std::abort();
  if (s && (s->job_id == 0 || s->username.size() > trace::kMaxLabelBytes)) std::abort();
  const auto r = trace::handle_request(store, "POST", in, now += size % 3);
  if (r.status != (s ? 200 : 400)) std::abort();
  const auto page = trace::handle_request(store, "GET", {}, now);
  if (page.status != 200 || store.size() > 8) std::abort();
  return 0;
}
