// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/listen_address.hpp"

#include <catch2/catch.hpp>
#include <string>

using slurm_exporter::http::ListenError;
using slurm_exporter::http::split_host_port;

TEST_CASE("split_host_port takes Go's address forms", "[listen_address]") {
  CHECK(split_host_port(":9092").host.empty());
  CHECK(split_host_port(":9092").port == 9092);
  CHECK(split_host_port("127.0.0.1:0").host == "127.0.0.1");
  CHECK(split_host_port("127.0.0.1:0").port == 0);
  CHECK(split_host_port("[::1]:65535").host == "::1");
  CHECK(split_host_port("[::1]:65535").port == 65535);
  CHECK(split_host_port("localhost:9092").host == "localhost");
  CHECK(split_host_port("[fe80::1%eth0]:80").host == "fe80::1%eth0");
}

TEST_CASE("split_host_port names the address and the reason", "[listen_address]") {
  CHECK_THROWS_MATCHES(split_host_port("host:99999"), ListenError,
                       Catch::Message("invalid listen address \"host:99999\": port out of range "
                                      "\"99999\""));
  CHECK_THROWS_MATCHES(
      split_host_port("a:b:1"), ListenError,
      Catch::Message("invalid listen address \"a:b:1\": too many colons (write IPv6 addresses "
                     "as [addr]:port)"));
  CHECK_THROWS_MATCHES(split_host_port("h]:1"), ListenError,
                       Catch::Message("invalid listen address \"h]:1\": unexpected '[' or ']'"));
  CHECK_THROWS_AS(split_host_port("[::1]:"), ListenError);
}
