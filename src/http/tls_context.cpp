// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/tls_context.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::http::detail {
namespace {

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void tls_error(std::string_view what) {
  throw ConfigError(std::string(what) + ": " + openssl_errors());
}

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ':';
    out += item;
  }
  return out;
}

// Go's RequestClientCert and RequireAnyClientCert take any certificate, verified or not.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

// OpenSSL's own message for a missing file is a chain of three "system lib" errors.
void require_readable(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ConfigError("cannot read " + std::string(what) + " " + path + ": " +
                      std::strerror(errno));
  }
  ::close(fd);
}

void set_protocols(SSL_CTX* native, const TlsServerConfig& c) {
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (c.prefer_server_cipher_suites) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, openssl_version(c.min_version)) != 1) {
    tls_error("tls_server_config: min_version");
  }
  if (c.max_version &&
      SSL_CTX_set_max_proto_version(native, openssl_version(*c.max_version)) != 1) {
    tls_error("tls_server_config: max_version");
  }
  if (!c.cipher_suites.empty() &&
      SSL_CTX_set_cipher_list(native, join(c.cipher_suites).c_str()) != 1) {
    tls_error("tls_server_config: cipher_suites");
  }
  if (!c.curve_preferences.empty() &&
      SSL_CTX_set1_groups_list(native, join(c.curve_preferences).c_str()) != 1) {
    tls_error("tls_server_config: curve_preferences");
  }
}

void load_files(SSL_CTX* native, const TlsServerConfig& c) {
  if (SSL_CTX_use_certificate_chain_file(native, c.cert_file.c_str()) != 1) {
    tls_error("cannot load cert_file " + c.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(native, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    tls_error("cannot load key_file " + c.key_file);
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    tls_error("key_file " + c.key_file + " does not match cert_file " + c.cert_file);
  }
  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, c.client_ca_file.c_str(), nullptr) != 1) {
      tls_error("cannot load client_ca_file " + c.client_ca_file);
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (names == nullptr) tls_error("cannot load client_ca_file " + c.client_ca_file);
    SSL_CTX_set_client_CA_list(native, names);
  }
}

void set_client_auth(SSL_CTX* native, ClientAuth mode) {
  switch (mode) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, accept_any_certificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         accept_any_certificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
}

std::int64_t nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

SslContext build_ssl_context(const TlsServerConfig& c) {
  require_readable(c.cert_file, "cert_file");
  require_readable(c.key_file, "key_file");
  if (!c.client_ca_file.empty()) require_readable(c.client_ca_file, "client_ca_file");
  ERR_clear_error();
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use |
                   net::ssl::context::no_compression);
  set_protocols(native, c);
  load_files(native, c);
  set_client_auth(native, c.client_auth);
  // Without a session id context OpenSSL fails resumed handshakes once client certificates
  // are requested.
  static constexpr std::string_view kSessionContext = "prometheus-slurm-exporter";
  SSL_CTX_set_session_id_context(native,
                                 reinterpret_cast<const unsigned char*>(kSessionContext.data()),
                                 static_cast<unsigned>(kSessionContext.size()));
  return ctx;
}

FileStamp stamp_of(const std::string& path) {
  FileStamp s;
  if (path.empty()) return s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = nanoseconds(st.st_mtim);
  s.size = static_cast<std::int64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.ctime_ns = nanoseconds(st.st_ctim);
  return s;
}

TlsContextStore::TlsContextStore(TlsServerConfig config)
    : config_(std::move(config)),
      stamps_(stamps()),
      previous_(stamps_),
      current_(build_ssl_context(config_)),
      last_check_(std::chrono::steady_clock::now()) {}

SslContext TlsContextStore::get() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < kCheckInterval) return current_;
  last_check_ = now;
  const auto seen = stamps();
  const bool settled = seen == previous_;
  previous_ = seen;
  if (seen == stamps_ || (failed_ && seen == *failed_)) return current_;
  // A renewal renames the certificate and the key one after the other: wait until the files
  // look the same on two checks, so a half-renewed pair is not tried (and logged as broken).
  if (!settled) return current_;
  try {
    current_ = build_ssl_context(config_);
    stamps_ = seen;
    failed_.reset();
    log::info("reloaded TLS certificate", {{"cert_file", config_.cert_file}});
  } catch (const std::exception& e) {
    // Logged once per broken state of the files; a later change is tried again.
    failed_ = seen;
    log::error("cannot reload TLS certificate, keeping the previous one", {{"err", e.what()}});
  }
  return current_;
}

void TlsContextStore::skip_files_like(const TlsServerConfig& other) {
  if (other.cert_file != config_.cert_file || other.key_file != config_.key_file ||
      other.client_ca_file != config_.client_ca_file) {
    return;
  }
  const auto seen = stamps();
  if (seen != stamps_) failed_ = seen;
}

std::array<FileStamp, 3> TlsContextStore::stamps() const {
  return {stamp_of(config_.cert_file), stamp_of(config_.key_file),
          stamp_of(config_.client_ca_file)};
}

}  // namespace slurm_exporter::http::detail
