// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/web_config.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "slurm_exporter/errors.hpp"

namespace se = slurm_exporter;
using se::http::ClientAuth;
using se::http::parse_web_config;
using se::http::TlsVersion;

namespace {

std::string error_of(const std::string& yaml, const std::string& file = "/etc/web.yml") {
  try {
    parse_web_config(yaml, file);
  } catch (const se::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("web config: an empty file configures nothing") {
  const auto c = parse_web_config("", "/etc/web.yml");
  CHECK_FALSE(c.tls);
  CHECK(c.basic_auth_users.empty());
  CHECK(c.headers.empty());
}

TEST_CASE("web config: a full exporter-toolkit file") {
  const auto c = parse_web_config(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/ca.crt
  min_version: TLS13
  max_version: TLS13
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_AES_128_GCM_SHA256
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: $2y$10$7OatO4jWXtz0tLrpqW3tSO2rffSEhUZ9Ve2ZKtI4jLUestoQ8N0Ym
)",
                                  "/etc/exporter/web.yml");
  REQUIRE(c.tls);
  CHECK(c.tls->cert_file == "/etc/exporter/server.crt");
  CHECK(c.tls->key_file == "/abs/server.key");
  CHECK(c.tls->client_ca_file == "/etc/exporter/ca/ca.crt");
  CHECK(c.tls->client_auth == ClientAuth::kRequireAndVerifyClientCert);
  CHECK(c.tls->min_version == TlsVersion::kTls13);
  CHECK(c.tls->max_version == TlsVersion::kTls13);
  CHECK(c.tls->cipher_suites == std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256"});
  CHECK(c.tls->curve_preferences == std::vector<std::string>{"X25519", "P-256"});
  CHECK_FALSE(c.tls->prefer_server_cipher_suites);
  REQUIRE(c.headers.size() == 2);
  CHECK(c.headers[0] == std::pair<std::string, std::string>{"X-Frame-Options", "deny"});
  CHECK(c.basic_auth_users.at("alice").starts_with("$2y$10$"));
}

TEST_CASE("web config: defaults and relative paths") {
  const auto c =
      parse_web_config("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "web.yml");
  REQUIRE(c.tls);
  CHECK(c.tls->cert_file == "./a.crt");
  CHECK(c.tls->min_version == TlsVersion::kTls12);
  CHECK_FALSE(c.tls->max_version);
  CHECK(c.tls->client_auth == ClientAuth::kNoClientCert);
  CHECK(parse_web_config("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "/w.yml")
            .tls->cert_file == "/a.crt");
  // No key pair at all: plain HTTP, as exporter-toolkit does.
  CHECK_FALSE(parse_web_config("tls_server_config:\n  min_version: TLS12\n", "/w.yml").tls);
  CHECK(parse_web_config("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                         "  client_auth_type: RequireClientCert\n",
                         "/w.yml")
            .tls->client_auth == ClientAuth::kRequireAnyClientCert);
}

TEST_CASE("web config: errors name the file and line") {
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  bogus: 1\n") ==
        "/etc/web.yml:4: unknown key \"bogus\" in tls_server_config");
  CHECK(error_of("\nfoo: 1\n") == "/etc/web.yml:2: unknown key \"foo\"");
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n") ==
        "/etc/web.yml:4: unknown min_version \"TLS14\" (want TLS10, TLS11, TLS12 or TLS13)");
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [NOPE]\n") ==
        "/etc/web.yml:4: unknown cipher_suites entry \"NOPE\"");
  CHECK(
      error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n") ==
      "/etc/web.yml:4: unknown client_auth_type \"Maybe\"");
  CHECK(error_of("tls_server_config:\n  cert_file: a\n") ==
        "/etc/web.yml:2: tls_server_config: missing key_file");
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                 "  client_auth_type: RequireAndVerifyClientCert\n")
            .find("needs client_ca_file") != std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n")
            .find("client_auth_type is NoClientCert") != std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
                 "  max_version: TLS12\n")
            .find("max_version is lower") != std::string::npos);
  CHECK(error_of("basic_auth_users:\n  bob: plaintext\n") ==
        "/etc/web.yml:2: basic_auth_users: the hash of \"bob\" is not a bcrypt hash "
        "($2y$/$2b$/$2a$)");
  CHECK(error_of("basic_auth_users:\n  bob: $2y$10$short\n").find("not a bcrypt hash") !=
        std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                 "  cipher_suites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n") ==
        "/etc/web.yml:4: unknown cipher_suites entry \"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"");
  CHECK(error_of("tls_server_config:\n  client_auth_type: RequireAnyClientCert\n") ==
        "/etc/web.yml:2: tls_server_config: missing cert_file");
  CHECK(error_of("tls_server_config:\n  cert: inline\n") ==
        "/etc/web.yml:2: tls_server_config: cert is not supported by this exporter (use the "
        "*_file keys)");
  CHECK(error_of("rate_limit:\n  burst: 1\n") ==
        "/etc/web.yml:1: rate_limit is not supported by this exporter");
  CHECK(error_of("tls_server_config: [1, 2]\n").find("must be a mapping") != std::string::npos);
  CHECK(error_of("a: [\n").starts_with("/etc/web.yml:"));
  CHECK(error_of("a: [\n").find("invalid YAML") != std::string::npos);
}

TEST_CASE("web config: only exporter-toolkit's security headers can be set") {
  for (const char* reserved : {"Authorization", "Content-Length", "Content-Type", "Date",
                               "WWW-Authenticate", "Set-Cookie"}) {
    CHECK(error_of(std::string("http_server_config:\n  headers:\n    ") + reserved + ": x\n") ==
          std::string("/etc/web.yml:3: HTTP header \"") + reserved + "\" can not be configured");
  }
  CHECK(error_of("http_server_config:\n  headers:\n    X-Frame-Options: allow\n") ==
        "/etc/web.yml:3: invalid value \"allow\" for header X-Frame-Options");
  CHECK(error_of("http_server_config:\n  http3: true\n") ==
        "/etc/web.yml:2: unknown key \"http3\" in http_server_config");
}

TEST_CASE("web config: load_web_config reports an unreadable file") {
  CHECK_THROWS_WITH(se::http::load_web_config("/nonexistent/web.yml"),
                    "cannot read web config file /nonexistent/web.yml: No such file or directory");
}

TEST_CASE("web config: the Step CA example the package ships parses") {
  const std::string path =
      std::string(SE_TEST_DATA_DIR) + "/../deb/examples/web-config-step-ca.yml";
  const auto c = se::http::load_web_config(path);
  REQUIRE(c.tls);
  CHECK(c.tls->cert_file == "/etc/prometheus-slurm-exporter/tls/slurm-exporter.crt");
  CHECK(c.tls->key_file == "/etc/prometheus-slurm-exporter/tls/slurm-exporter.key");
  CHECK(c.tls->min_version == se::http::TlsVersion::kTls12);
  CHECK(c.basic_auth_users.empty());
}
