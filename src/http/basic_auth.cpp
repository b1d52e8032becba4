// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace slurm_exporter::http {
namespace {

// The salt and hash part of a bcrypt hash of a password nobody knows: unknown users are checked
// against "$2y$<cost>" + this, with the cost of the configured hashes (dummy_hash()), so that
// they take as long as known ones.
constexpr std::string_view kDummySaltAndHash =
    "$7OatO4jWXtz0tLrpqW3tSO2rffSEhUZ9Ve2ZKtI4jLUestoQ8N0Ym";
constexpr int kDefaultCost = 10;  // bcrypt's usual default, when no hash says otherwise
constexpr std::size_t kCacheMaxEntries = 256;

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding, as Go's base64.StdEncoding (which net/http uses).
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::array<int, 4> v{};
    std::size_t pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = base64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const auto n = static_cast<unsigned>((v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

struct Credentials {
  std::string user;
  std::string password;
};

std::optional<Credentials> parse_header(std::string_view value) {
  constexpr std::string_view kScheme = "basic ";
  if (value.size() < kScheme.size()) return std::nullopt;
  // The scheme is case-insensitive (RFC 9110).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) return std::nullopt;
  }
  auto decoded = base64_decode(value.substr(kScheme.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  // crypt_data is tens of kilobytes: keep it off the stack.
  auto data = std::make_unique<crypt_data>();
  const char* computed = crypt_r(password.c_str(), hash.c_str(), data.get());
  // libxcrypt returns a "*…" failure token (or null) for an unsupported or malformed hash.
  if (computed == nullptr || computed[0] == '*') return false;
  const std::size_t len = std::strlen(computed);
  if (len != hash.size()) return false;
  return CRYPTO_memcmp(computed, hash.data(), len) == 0;
}

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest cache_key(const Credentials& c, const std::string& hash) {
  std::string material;
  material.reserve(c.user.size() + c.password.size() + hash.size() + 2);
  material.append(c.user).push_back('\0');
  material.append(c.password).push_back('\0');
  material.append(hash);
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), d.data());
  OPENSSL_cleanse(material.data(), material.size());
  return d;
}

// The cost of a bcrypt hash ("$2b$05$…" is 5), or -1 when it is not one.
int bcrypt_cost(std::string_view hash) {
  if (hash.size() < 7 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') {
    return -1;
  }
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return -1;
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

}  // namespace

std::string dummy_hash(const BasicAuthUsers& users) {
  int cost = -1;
  for (const auto& [user, hash] : users) cost = std::max(cost, bcrypt_cost(hash));
  if (cost < 4 || cost > 31) cost = kDefaultCost;  // bcrypt's range
  std::string out = "$2y$";
  out.push_back(static_cast<char>('0' + cost / 10));
  out.push_back(static_cast<char>('0' + cost % 10));
  out.append(kDummySaltAndHash);
  return out;
}

bool check_basic_auth(std::string_view authorization, const BasicAuthUsers& users) {
  auto creds = parse_header(authorization);
  if (!creds) return false;
  const auto it = users.find(creds->user);
  const bool known = it != users.end();
  const bool ok = bcrypt_matches(creds->password, known ? it->second : dummy_hash(users));
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  return known && ok;
}

struct BasicAuthenticator::Cache {
  std::mutex mutex;
  std::chrono::seconds ttl;
  std::map<Digest, std::chrono::steady_clock::time_point> until;
};

BasicAuthenticator::BasicAuthenticator(BasicAuthUsers users, std::chrono::seconds cache_ttl)
    : users_(std::move(users)), cache_(std::make_unique<Cache>()) {
  cache_->ttl = cache_ttl;
}

BasicAuthenticator::~BasicAuthenticator() = default;

std::optional<bool> BasicAuthenticator::decided_without_bcrypt(std::string_view authorization) {
  if (users_.empty()) return true;
  auto creds = parse_header(authorization);
  if (!creds) return false;
  std::optional<bool> out;
  const auto it = users_.find(creds->user);
  if (it != users_.end()) {
    const Digest key = cache_key(*creds, it->second);
    const std::lock_guard lock(cache_->mutex);
    const auto hit = cache_->until.find(key);
    const auto now = std::chrono::steady_clock::now();
    if (hit != cache_->until.end() && hit->second > now) {
      // In use: it stays cached, so a scraper is not sent back to the bcrypt queue (which wrong
      // passwords may keep full) every TTL.
      hit->second = now + cache_->ttl;
      out = true;
    }
  }
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  return out;
}

bool BasicAuthenticator::allowed(std::string_view authorization) {
  if (users_.empty()) return true;
  auto creds = parse_header(authorization);
  if (!creds) return false;
  const auto it = users_.find(creds->user);
  if (it == users_.end()) {
    OPENSSL_cleanse(creds->password.data(), creds->password.size());
    return check_basic_auth(authorization, users_);  // false, after the same bcrypt cost
  }
  const Digest key = cache_key(*creds, it->second);
  const auto now = std::chrono::steady_clock::now();
  {
    const std::lock_guard lock(cache_->mutex);
    const auto hit = cache_->until.find(key);
    if (hit != cache_->until.end()) {
      if (hit->second > now) {
        hit->second = now + cache_->ttl;
        OPENSSL_cleanse(creds->password.data(), creds->password.size());
        return true;
      }
      cache_->until.erase(hit);
    }
  }
  const bool ok = bcrypt_matches(creds->password, it->second);
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  if (ok) {
    const std::lock_guard lock(cache_->mutex);
    if (cache_->until.size() >= kCacheMaxEntries) {
      std::erase_if(cache_->until, [now](const auto& e) { return e.second <= now; });
      if (cache_->until.size() >= kCacheMaxEntries) cache_->until.clear();
    }
    cache_->until[key] = now + cache_->ttl;
  }
  return ok;
}

}  // namespace slurm_exporter::http
