// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "slurm_exporter/http/basic_auth.hpp"
#include "slurm_exporter/http/detail/tls_context.hpp"
#include "slurm_exporter/http/web_config.hpp"

namespace slurm_exporter::http::detail {

/// Everything a session takes from the web config, built completely before it is used: a reload
/// swaps the whole of it or nothing. A session takes the TLS context when it is accepted and the
/// rest (users, headers) at the start of each request.
struct WebState {
  std::unique_ptr<TlsContextStore> tls;                      ///< null: plain HTTP
  std::shared_ptr<BasicAuthenticator> auth;                  ///< null: no basic auth
  std::vector<std::pair<std::string, std::string>> headers;  ///< added to every response
  std::size_t users = 0;                                     ///< for the reload log line
};

/// Builds the state of `config`: loads the certificate, key and CA files (throws ConfigError
/// like build_ssl_context), sets up the authenticator. Does not read the config file.
std::shared_ptr<WebState> make_web_state(const WebConfig& config);

}  // namespace slurm_exporter::http::detail
