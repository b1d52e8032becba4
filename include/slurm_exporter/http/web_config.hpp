// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter::http {

/// exporter-toolkit's `client_auth_type`: whether and how a client certificate is checked.
enum class ClientAuth {
  kNoClientCert,                ///< no certificate requested (default)
  kRequestClientCert,           ///< requested, neither required nor verified
  kRequireAnyClientCert,        ///< required, not verified
  kVerifyClientCertIfGiven,     ///< verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  ///< required and verified against client_ca_file
};

/// A TLS protocol version (exporter-toolkit's TLS10 … TLS13).
enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

/// `tls_server_config`. Paths are already resolved against the config file's directory.
struct TlsServerConfig {
  std::string cert_file;       ///< PEM certificate chain, server certificate first
  std::string key_file;        ///< PEM private key
  std::string client_ca_file;  ///< PEM CA bundle for client certificates; empty = none
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  std::optional<TlsVersion> max_version;  ///< empty = the newest OpenSSL supports
  /// TLS 1.2 suites as OpenSSL names (mapped from Go's names); empty = OpenSSL's defaults.
  /// TLS 1.3 suites are not configurable (as in Go) and are accepted and ignored.
  std::vector<std::string> cipher_suites;
  /// Key-exchange groups as OpenSSL names (from Go's CurveP256 …); empty = defaults.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
};

/// The whole `--web.config.file` (Prometheus exporter-toolkit schema).
struct WebConfig {
  std::optional<TlsServerConfig> tls;  ///< set when the listener serves TLS only
  /// user name → bcrypt hash; empty = no authentication.
  std::map<std::string, std::string, std::less<>> basic_auth_users;
  /// `http_server_config.headers`: added to every response.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Parses the YAML text of a web config; `file_path` names it in errors and its directory
/// anchors relative paths. Strict like exporter-toolkit: unknown keys, bad enum values,
/// unknown cipher suites, headers outside the toolkit's allowed set and half a key pair are
/// errors. Does not read the certificate files. Throws ConfigError
/// ("<file>:<line>: <reason>").
WebConfig parse_web_config(std::string_view yaml_text, std::string_view file_path);

/// Reads `path` and parses it with parse_web_config. Throws ConfigError when it cannot be read.
WebConfig load_web_config(const std::string& path);

}  // namespace slurm_exporter::http
