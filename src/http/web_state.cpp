// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/web_state.hpp"

#include <memory>

namespace slurm_exporter::http::detail {

std::shared_ptr<WebState> make_web_state(const WebConfig& config) {
  auto state = std::make_shared<WebState>();
  if (config.tls) state->tls = std::make_unique<TlsContextStore>(*config.tls);
  if (!config.basic_auth_users.empty()) {
    state->auth = std::make_shared<BasicAuthenticator>(config.basic_auth_users);
  }
  state->headers = config.headers;
  state->users = config.basic_auth_users.size();
  return state;
}

}  // namespace slurm_exporter::http::detail
