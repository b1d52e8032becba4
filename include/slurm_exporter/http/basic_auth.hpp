// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace slurm_exporter::http {

/// user name → bcrypt hash, as in WebConfig::basic_auth_users.
using BasicAuthUsers = std::map<std::string, std::string, std::less<>>;

/// The realm sent in `WWW-Authenticate: Basic realm="…"` with every 401.
inline constexpr std::string_view kBasicAuthRealm = "prometheus-slurm-exporter";

/// Whether an `Authorization` header value ("Basic base64(user:password)") names a user of
/// `users` with the right password. Checks the password with libcrypt's bcrypt (crypt_r) and
/// compares the result in constant time; unknown users cost one bcrypt run too, at the cost of
/// the configured hashes (dummy_hash()), so timing does not reveal which users exist. An empty
/// or malformed value is false. Thread-safe; takes one bcrypt run (about 2 ms at cost 5, what
/// `htpasswd -B` makes, 60 ms at cost 10). Never logs.
bool check_basic_auth(std::string_view authorization, const BasicAuthUsers& users);

/// The hash unknown users are checked against: a bcrypt hash of a password nobody knows, with
/// the highest cost among the bcrypt hashes of `users` (10 when there is none).
std::string dummy_hash(const BasicAuthUsers& users);

/// check_basic_auth with a short-lived cache of successful checks (keyed by a SHA-256 digest of
/// user, password and hash, never the password itself), so that a scraper sending the same
/// credentials pays for bcrypt once; an entry lives `cache_ttl` after its last use. Thread-safe.
class BasicAuthenticator {
 public:
  explicit BasicAuthenticator(BasicAuthUsers users,
                              std::chrono::seconds cache_ttl = std::chrono::seconds(60));
  ~BasicAuthenticator();
  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;

  /// False when no users are configured (every request is allowed).
  bool enabled() const { return !users_.empty(); }

  /// True when authentication is disabled or `authorization` is valid. May run bcrypt.
  bool allowed(std::string_view authorization);

  /// The answer of allowed() when it needs no bcrypt run (disabled, malformed header, cached
  /// success), else nullopt. Cheap; lets the caller run the slow path on another thread.
  std::optional<bool> decided_without_bcrypt(std::string_view authorization);

 private:
  struct Cache;
  BasicAuthUsers users_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace slurm_exporter::http
