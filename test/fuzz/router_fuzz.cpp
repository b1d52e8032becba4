// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the request router. Input: method, '\n', target; route() must never throw
// (but bad_alloc) and must answer a status it documents.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "slurm_exporter/http/router.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view method = nl == std::string_view::npos ? in : in.substr(0, nl);
  const std::string_view target = nl == std::string_view::npos ? "/" : in.substr(nl + 1);
  const auto r = slurm_exporter::http::route(method, target, "/metrics");
  if (r.route == slurm_exporter::http::Route::kStatic && r.status != 200 && r.status != 400 &&
      r.status != 404 && r.status != 405) {
    std::abort();
  }
  return 0;
}
