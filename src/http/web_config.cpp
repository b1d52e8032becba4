// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/web_config.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"

namespace slurm_exporter::http {
namespace {

struct Named {
  std::string_view go;
  std::string_view openssl;  // empty: accepted, nothing to configure (TLS 1.3 suites)
};

// Go's crypto/tls names → OpenSSL names: what exporter-toolkit accepts (tls.CipherSuites()),
// plus the TLS_RSA AES suites older toolkit releases accepted, so existing files keep working.
// Go's insecure suites (3DES, RC4, CBC-SHA256) are unknown names here as there.
constexpr std::array<Named, 17> kCipherSuites{{
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    // TLS 1.3 suites are not configurable in Go either; accepted and ignored.
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
}};

constexpr std::array<Named, 4> kCurves{{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

// exporter-toolkit lets only these security headers be configured; empty list = any value.
struct AllowedHeader {
  std::string_view name;
  std::array<std::string_view, 2> values;
};
constexpr std::array<AllowedHeader, 5> kAllowedHeaders{{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff", ""}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

// "$2a$", "$2b$" or "$2y$", a two-digit cost 4…31, "$", then 53 characters of bcrypt's base64
// (22 of salt, 31 of hash): the check exporter-toolkit does with bcrypt.Cost at start.
bool is_bcrypt(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (const char c : h.substr(7)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view file, std::string dir) : file_(file), dir_(std::move(dir)) {}

  [[noreturn]] void fail(const YAML::Node& at, std::string_view why) const {
    const auto mark = at.Mark();
    if (mark.line >= 0) {
      throw ConfigError(fmt::format("{}:{}: {}", file_, mark.line + 1, why));
    }
    throw ConfigError(fmt::format("{}: {}", file_, why));
  }

  WebConfig parse(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      if (e.mark.line >= 0) {
        throw ConfigError(fmt::format("{}:{}: invalid YAML: {}", file_, e.mark.line + 1, e.msg));
      }
      throw ConfigError(fmt::format("{}: invalid YAML: {}", file_, e.msg));
    }
    WebConfig out;
    if (root.IsNull()) return out;  // an empty file configures nothing, as in the toolkit
    require_map(root, "the top level");
    for (const auto& kv : root) {
      const std::string key = scalar(kv.first, "key");
      if (key == "tls_server_config") {
        out.tls = tls(kv.second);
      } else if (key == "basic_auth_users") {
        users(kv.second, out);
      } else if (key == "rate_limit") {
        fail(kv.first, "rate_limit is not supported by this exporter");
      } else if (key == "http_server_config") {
        http_server(kv.second, out);
      } else {
        fail(kv.first, fmt::format("unknown key \"{}\"", key));
      }
    }
    return out;
  }

 private:
  void require_map(const YAML::Node& node, std::string_view what) const {
    if (!node.IsMap()) fail(node, fmt::format("{} must be a mapping", what));
  }

  std::string scalar(const YAML::Node& node, std::string_view what) const {
    if (node.IsNull()) return {};
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a string", what));
    return node.Scalar();
  }

  bool boolean(const YAML::Node& node, std::string_view what) const {
    const std::string v = scalar(node, what);
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
    fail(node, fmt::format("{} must be true or false, not \"{}\"", what, v));
  }

  std::string path(const YAML::Node& node, std::string_view what) const {
    std::string p = scalar(node, what);
    if (!p.empty() && p.front() != '/') p = dir_ + "/" + p;
    return p;
  }

  TlsVersion version(const YAML::Node& node, std::string_view what) const {
    const std::string v = scalar(node, what);
    if (v == "TLS10") return TlsVersion::kTls10;
    if (v == "TLS11") return TlsVersion::kTls11;
    if (v == "TLS12") return TlsVersion::kTls12;
    if (v == "TLS13") return TlsVersion::kTls13;
    fail(node, fmt::format("unknown {} \"{}\" (want TLS10, TLS11, TLS12 or TLS13)", what, v));
  }

  ClientAuth client_auth(const YAML::Node& node) const {
    const std::string v = scalar(node, "client_auth_type");
    if (v.empty() || v == "NoClientCert") return ClientAuth::kNoClientCert;
    if (v == "RequestClientCert") return ClientAuth::kRequestClientCert;
    // "RequireClientCert" is the toolkit's backwards-compatible spelling.
    if (v == "RequireAnyClientCert" || v == "RequireClientCert")
      return ClientAuth::kRequireAnyClientCert;
    if (v == "VerifyClientCertIfGiven") return ClientAuth::kVerifyClientCertIfGiven;
    if (v == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerifyClientCert;
    fail(node, fmt::format("unknown client_auth_type \"{}\"", v));
  }

  std::vector<std::string> named_list(const YAML::Node& node, std::string_view what,
                                      const auto& table) const {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
    for (const auto& item : node) {
      const std::string name = scalar(item, what);
      bool found = false;
      for (const auto& entry : table) {
        if (entry.go == name) {
          if (!entry.openssl.empty()) out.emplace_back(entry.openssl);
          found = true;
          break;
        }
      }
      if (!found) fail(item, fmt::format("unknown {} entry \"{}\"", what, name));
    }
    return out;
  }

  std::optional<TlsServerConfig> tls(const YAML::Node& node) const {
    if (node.IsNull()) return std::nullopt;
    require_map(node, "tls_server_config");
    TlsServerConfig c;
    bool auth_given = false;
    for (const auto& kv : node) {
      const std::string key = scalar(kv.first, "key");
      const YAML::Node& v = kv.second;
      if (key == "cert_file") {
        c.cert_file = path(v, key);
      } else if (key == "key_file") {
        c.key_file = path(v, key);
      } else if (key == "client_ca_file") {
        c.client_ca_file = path(v, key);
      } else if (key == "client_auth_type") {
        c.client_auth = client_auth(v);
        auth_given = !scalar(v, key).empty();
      } else if (key == "min_version") {
        c.min_version = version(v, key);
      } else if (key == "max_version") {
        c.max_version = version(v, key);
      } else if (key == "cipher_suites") {
        c.cipher_suites = named_list(v, key, kCipherSuites);
      } else if (key == "curve_preferences") {
        c.curve_preferences = named_list(v, key, kCurves);
      } else if (key == "prefer_server_cipher_suites") {
        c.prefer_server_cipher_suites = boolean(v, key);
      } else if (key == "cert" || key == "key" || key == "client_ca" ||
                 key == "client_allowed_sans") {
        fail(kv.first, fmt::format("tls_server_config: {} is not supported by this exporter{}", key,
                                   key == "client_allowed_sans" ? "" : " (use the *_file keys)"));
      } else {
        fail(kv.first, fmt::format("unknown key \"{}\" in tls_server_config", key));
      }
    }
    // As in exporter-toolkit: no key pair at all means plain HTTP; half a pair is an error.
    if (c.cert_file.empty() && c.key_file.empty() && c.client_ca_file.empty() && !auth_given) {
      return std::nullopt;
    }
    if (c.cert_file.empty()) fail(node, "tls_server_config: missing cert_file");
    if (c.key_file.empty()) fail(node, "tls_server_config: missing key_file");
    const bool verifies = c.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                          c.client_auth == ClientAuth::kRequireAndVerifyClientCert;
    if (verifies && c.client_ca_file.empty()) {
      fail(node, "tls_server_config: client_auth_type needs client_ca_file to verify against");
    }
    if (!c.client_ca_file.empty() && c.client_auth == ClientAuth::kNoClientCert) {
      fail(node, "tls_server_config: client_ca_file is set but client_auth_type is NoClientCert");
    }
    if (c.max_version && *c.max_version < c.min_version) {
      fail(node, "tls_server_config: max_version is lower than min_version");
    }
    return c;
  }

  void users(const YAML::Node& node, WebConfig& out) const {
    if (node.IsNull()) return;
    require_map(node, "basic_auth_users");
    for (const auto& kv : node) {
      const std::string user = scalar(kv.first, "user name");
      const std::string hash = scalar(kv.second, "password hash");
      if (user.empty()) fail(kv.first, "basic_auth_users: empty user name");
      if (user.find(':') != std::string::npos) {
        fail(kv.first, "basic_auth_users: a user name must not contain ':'");
      }
      if (!is_bcrypt(hash)) {
        fail(kv.second, fmt::format("basic_auth_users: the hash of \"{}\" is not a bcrypt hash "
                                    "($2y$/$2b$/$2a$)",
                                    user));
      }
      if (!out.basic_auth_users.emplace(user, hash).second) {
        fail(kv.first, fmt::format("basic_auth_users: duplicate user \"{}\"", user));
      }
    }
  }

  void http_server(const YAML::Node& node, WebConfig& out) const {
    if (node.IsNull()) return;
    require_map(node, "http_server_config");
    for (const auto& kv : node) {
      const std::string key = scalar(kv.first, "key");
      if (key == "http2") {
        boolean(kv.second, key);  // accepted for compatibility; this server speaks HTTP/1.1
      } else if (key == "headers") {
        headers(kv.second, out);
      } else {
        fail(kv.first, fmt::format("unknown key \"{}\" in http_server_config", key));
      }
    }
  }

  void headers(const YAML::Node& node, WebConfig& out) const {
    if (node.IsNull()) return;
    require_map(node, "headers");
    for (const auto& kv : node) {
      const std::string name = scalar(kv.first, "header name");
      const std::string value = scalar(kv.second, "header value");
      const AllowedHeader* allowed = nullptr;
      for (const auto& h : kAllowedHeaders) {
        if (h.name == name) allowed = &h;
      }
      if (allowed == nullptr) {
        fail(kv.first, fmt::format("HTTP header \"{}\" can not be configured", name));
      }
      if (!allowed->values[0].empty()) {
        bool ok = false;
        for (const auto v : allowed->values) ok = ok || (!v.empty() && v == value);
        if (!ok) fail(kv.second, fmt::format("invalid value \"{}\" for header {}", value, name));
      }
      for (const char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') {
          fail(kv.second, fmt::format("header {} has a control character in its value", name));
        }
      }
      out.headers.emplace_back(name, value);
    }
  }

  std::string_view file_;
  std::string dir_;
};

}  // namespace

WebConfig parse_web_config(std::string_view yaml_text, std::string_view file_path) {
  // Relative paths are relative to the config file's directory, as in exporter-toolkit;
  // for "/x.yml" the directory is "" so that "/" + name stays single-slashed.
  const auto slash = file_path.rfind('/');
  std::string dir =
      slash == std::string_view::npos ? std::string(".") : std::string(file_path.substr(0, slash));
  return Parser(file_path, std::move(dir)).parse(yaml_text);
}

WebConfig load_web_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  // errno is set by the failed open(2) underneath; name the reason (missing, permission).
  if (!in) {
    throw ConfigError(
        fmt::format("cannot read web config file {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(fmt::format("cannot read web config file {}", path));
  return parse_web_config(text.str(), path);
}

}  // namespace slurm_exporter::http
