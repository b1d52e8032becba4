// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace slurm_exporter::http {

/// The listen address could not be parsed, resolved or bound.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A listen address split into host and port.
struct HostPort {
  std::string host;  ///< without brackets; empty = all interfaces
  std::uint16_t port = 0;
};

/// Go's net.SplitHostPort plus a numeric port check: ":9092", "127.0.0.1:9092", "[::1]:9092",
/// "localhost:0". Pure; throws ListenError ("invalid listen address \"…\": <why>").
HostPort split_host_port(std::string_view address);

}  // namespace slurm_exporter::http
