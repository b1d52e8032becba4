// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/listen_address.hpp"

#include <string>
#include <string_view>

namespace slurm_exporter::http {
namespace {

[[noreturn]] void invalid_address(std::string_view address, std::string_view why) {
  throw ListenError("invalid listen address \"" + std::string(address) + "\": " + std::string(why));
}

}  // namespace

HostPort split_host_port(std::string_view address) {
  HostPort out;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos) invalid_address(address, "missing ']'");
    if (close + 1 == address.size()) invalid_address(address, "missing port");
    if (address[close + 1] != ':') invalid_address(address, "unexpected characters after ']'");
    out.host = std::string(address.substr(1, close - 1));
    if (out.host.empty()) invalid_address(address, "empty IPv6 address");
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) invalid_address(address, "missing port");
    out.host = std::string(address.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      invalid_address(address, "too many colons (write IPv6 addresses as [addr]:port)");
    }
    if (out.host.find_first_of("[]") != std::string::npos) {
      invalid_address(address, "unexpected '[' or ']'");
    }
    port = address.substr(colon + 1);
  }
  if (port.empty()) invalid_address(address, "missing port");
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') invalid_address(address, "invalid port \"" + std::string(port) + "\"");
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) invalid_address(address, "port out of range \"" + std::string(port) + "\"");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace slurm_exporter::http
