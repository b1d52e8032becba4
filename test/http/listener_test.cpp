// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/listener.hpp"

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <string>

#include "slurm_exporter/http/listen_address.hpp"

namespace detail = slurm_exporter::http::detail;
namespace net = detail::net;
using tcp = detail::tcp;

TEST_CASE("endpoint_string brackets IPv6 only", "[listener]") {
  CHECK(detail::endpoint_string({net::ip::make_address("127.0.0.1"), 9092}) == "127.0.0.1:9092");
  CHECK(detail::endpoint_string({net::ip::make_address("::1"), 80}) == "[::1]:80");
}

TEST_CASE("bind_acceptor listens with close-on-exec and reports a taken port", "[listener]") {
  net::io_context ioc;
  tcp::acceptor first(ioc);
  detail::bind_acceptor(first, ioc, "127.0.0.1:0");
  REQUIRE(first.is_open());
  CHECK((::fcntl(first.native_handle(), F_GETFD) & FD_CLOEXEC) != 0);
  const auto port = first.local_endpoint().port();
  CHECK(port != 0);

  tcp::acceptor second(ioc);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  CHECK_THROWS_MATCHES(detail::bind_acceptor(second, ioc, address),
                       slurm_exporter::http::ListenError,
                       Catch::Message("cannot listen on " + address + ": Address already in use"));
  CHECK_FALSE(second.is_open());
}
