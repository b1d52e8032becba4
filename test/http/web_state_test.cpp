// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/web_state.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "slurm_exporter/errors.hpp"

namespace detail = slurm_exporter::http::detail;
using slurm_exporter::http::WebConfig;

TEST_CASE("make_web_state carries users and headers; no TLS without tls_server_config",
          "[web_state]") {
  WebConfig c;
  c.basic_auth_users = {{"bob", "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"}};
  c.headers = {{"X-Frame-Options", "deny"}};
  const auto state = detail::make_web_state(c);
  CHECK(state->tls == nullptr);
  REQUIRE(state->auth != nullptr);
  CHECK(state->auth->allowed("Basic Ym9iOnB3"));  // bob:pw
  CHECK_FALSE(state->auth->allowed("Basic Ym9iOnB4"));
  CHECK(state->users == 1);
  CHECK(state->headers ==
        std::vector<std::pair<std::string, std::string>>{{"X-Frame-Options", "deny"}});

  const auto open = detail::make_web_state(WebConfig{});
  CHECK(open->auth == nullptr);
  CHECK(open->users == 0);
}

TEST_CASE("make_web_state throws ConfigError when a certificate does not load", "[web_state]") {
  WebConfig c;
  c.tls.emplace();
  c.tls->cert_file = "/nonexistent/server.crt";
  c.tls->key_file = "/nonexistent/server.key";
  CHECK_THROWS_MATCHES(detail::make_web_state(c), slurm_exporter::ConfigError,
                       Catch::Message("cannot read cert_file /nonexistent/server.crt: No such "
                                      "file or directory"));
}
