// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>

#include "slurm_exporter/http/detail/asio.hpp"

namespace slurm_exporter::http::detail {

/// "host:port", IPv6 as "[addr]:port" (the form the listening log line and peers use).
std::string endpoint_string(const tcp::endpoint& ep);

/// Sets FD_CLOEXEC: Asio creates sockets without it, and a Slurm CLI child must not inherit them.
void set_cloexec(int fd);

/// Opens, binds and listens `acceptor` on a Go-style listen address (see split_host_port):
/// an empty host listens on all interfaces (dual-stack IPv6 when the host has it, else IPv4), a
/// literal address as is, a name on its resolved addresses with IPv4 first (like Go). Throws
/// ListenError naming the address and the system's reason.
void bind_acceptor(tcp::acceptor& acceptor, net::io_context& ioc, std::string_view address);

}  // namespace slurm_exporter::http::detail
