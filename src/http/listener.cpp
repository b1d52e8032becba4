// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/listener.hpp"

#include <fcntl.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/http/listen_address.hpp"

namespace slurm_exporter::http::detail {
namespace {

// Opens, configures, binds and listens; on failure the acceptor is left closed.
beast::error_code try_listen(tcp::acceptor& acceptor, const tcp::endpoint& ep) {
  beast::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec && ep.address().is_v6() && ep.address().is_unspecified()) {
    // Go listens dual-stack on "[::]:port" and ":port"; some kernels refuse, which is fine.
    beast::error_code ignored;
    acceptor.set_option(net::ip::v6_only(false), ignored);
  }
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
  } else {
    set_cloexec(acceptor.native_handle());
  }
  return ec;
}

[[noreturn]] void cannot_listen(std::string_view address, const beast::error_code& ec) {
  throw ListenError("cannot listen on " + std::string(address) + ": " + ec.message());
}

}  // namespace

std::string endpoint_string(const tcp::endpoint& ep) {
  const std::string host = ep.address().to_string();
  const std::string port = std::to_string(ep.port());
  if (ep.address().is_v6()) return "[" + host + "]:" + port;
  return host + ":" + port;
}

void set_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

void bind_acceptor(tcp::acceptor& acceptor, net::io_context& ioc, std::string_view address) {
  const HostPort hp = split_host_port(address);
  if (hp.host.empty()) {
    // All interfaces: dual-stack IPv6 if the host has IPv6, else IPv4 only.
    const beast::error_code ec6 = try_listen(acceptor, {net::ip::address_v6::any(), hp.port});
    if (!ec6) return;
    if (ec6 == net::error::address_in_use || ec6 == net::error::access_denied) {
      cannot_listen(address, ec6);
    }
    const beast::error_code ec4 = try_listen(acceptor, {net::ip::address_v4::any(), hp.port});
    if (ec4) cannot_listen(address, ec4);
    return;
  }
  beast::error_code ec;
  const net::ip::address literal = net::ip::make_address(hp.host, ec);
  if (!ec) {
    ec = try_listen(acceptor, {literal, hp.port});
    if (ec) cannot_listen(address, ec);
    return;
  }
  tcp::resolver resolver(ioc);
  const auto results =
      resolver.resolve(hp.host, std::to_string(hp.port), tcp::resolver::numeric_service, ec);
  if (ec) cannot_listen(address, ec);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  // Like Go, prefer IPv4 when a name has both ("localhost" → 127.0.0.1).
  std::stable_partition(endpoints.begin(), endpoints.end(),
                        [](const tcp::endpoint& ep) { return ep.address().is_v4(); });
  if (endpoints.empty()) cannot_listen(address, net::error::host_not_found);
  for (const auto& ep : endpoints) {
    ec = try_listen(acceptor, ep);
    if (!ec) return;
  }
  cannot_listen(address, ec);
}

}  // namespace slurm_exporter::http::detail
