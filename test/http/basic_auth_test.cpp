// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/basic_auth.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace se = slurm_exporter;
using se::http::check_basic_auth;

namespace {

// htpasswd -nbB -C 4 alice 's3cret:with colon' and a $2b$ hash of "pw" for bob.
const se::http::BasicAuthUsers kUsers{
    {"alice", "$2y$04$1ysJlFJWakae/NmpLmsVjeuycoMrrTJDxTzjMB72O4vqM7v7p.MUy"},
    {"bob", "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"},
};

}  // namespace

TEST_CASE("basic auth: right password of a known user") {
  // "bob:pw"
  CHECK(check_basic_auth("Basic Ym9iOnB3", kUsers));
  CHECK(check_basic_auth("basic Ym9iOnB3", kUsers));
}

TEST_CASE("basic auth: wrong, missing or malformed credentials") {
  CHECK_FALSE(check_basic_auth("", kUsers));
  CHECK_FALSE(check_basic_auth("Basic Ym9iOnB4", kUsers));        // bob:px
  CHECK_FALSE(check_basic_auth("Basic Ym9iOg==", kUsers));        // bob: (empty password)
  CHECK_FALSE(check_basic_auth("Basic Ym9i", kUsers));            // bob (no colon)
  CHECK_FALSE(check_basic_auth("Basic ZXZlOnB3", kUsers));        // eve:pw (unknown user)
  CHECK_FALSE(check_basic_auth("Bearer Ym9iOnB3", kUsers));       // another scheme
  CHECK_FALSE(check_basic_auth("Basic Ym9iOnB3!", kUsers));       // not base64
  CHECK_FALSE(check_basic_auth("Basic Ym9iOnB3==Ym9i", kUsers));  // data after padding
  CHECK_FALSE(check_basic_auth("Basic Ym9iOnB3", {}));
  CHECK_FALSE(check_basic_auth("Basic Ym9iOnB3", {{"bob", "$2b$04$short"}}));
}

TEST_CASE("basic auth: the password may contain colons") {
  // "alice:s3cret:with colon"
  CHECK(check_basic_auth("Basic YWxpY2U6czNjcmV0OndpdGggY29sb24=", kUsers));
}

TEST_CASE("basic auth: the authenticator caches successes, never failures") {
  se::http::BasicAuthenticator auth(kUsers);
  CHECK(auth.enabled());
  CHECK(auth.decided_without_bcrypt("Basic Ym9iOnB3") == std::nullopt);
  CHECK(auth.decided_without_bcrypt("Basic Ym9i") == false);
  CHECK(auth.decided_without_bcrypt("") == false);
  CHECK(auth.allowed("Basic Ym9iOnB3"));
  CHECK(auth.decided_without_bcrypt("Basic Ym9iOnB3") == true);
  CHECK(auth.decided_without_bcrypt("Basic Ym9iOnB4") == std::nullopt);
  CHECK(auth.allowed("Basic Ym9iOnB3"));  // from the cache
  CHECK_FALSE(auth.allowed("Basic Ym9iOnB4"));
  CHECK_FALSE(auth.allowed(""));
  se::http::BasicAuthenticator open({});
  CHECK_FALSE(open.enabled());
  CHECK(open.allowed(""));
  CHECK(open.decided_without_bcrypt("") == true);
}

TEST_CASE("basic auth: unknown users are checked at the cost of the configured hashes") {
  CHECK(se::http::dummy_hash(kUsers).starts_with("$2y$04$"));
  CHECK(se::http::dummy_hash({{"a", "$2y$04$x"}, {"b", "$2b$12$y"}}).starts_with("$2y$12$"));
  CHECK(se::http::dummy_hash({}).starts_with("$2y$10$"));
  CHECK(se::http::dummy_hash({{"a", "not bcrypt"}}).starts_with("$2y$10$"));
  CHECK(se::http::dummy_hash(kUsers).size() == 60);  // a whole bcrypt hash, as crypt_r needs
}

TEST_CASE("basic auth: an unknown user takes as long as a known user's wrong password") {
  // What `htpasswd -B` makes by default: cost 5 (python3 crypt.mksalt(METHOD_BLOWFISH, rounds=32)).
  const se::http::BasicAuthUsers users{
      {"carol", "$2b$05$BVb8HazbQoY1eEfhiSSQXezBnfeidkOAyInKIo0TZ0mJxzS16SISu"}};
  REQUIRE(check_basic_auth("Basic Y2Fyb2w6cHc=", users));  // carol:pw
  using Clock = std::chrono::steady_clock;
  const auto timed = [&](const char* header) {
    const auto start = Clock::now();
    CHECK_FALSE(check_basic_auth(header, users));
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  std::vector<double> known;
  std::vector<double> unknown;
  for (int i = 0; i < 21; ++i) {  // interleaved, so that load on the machine hits both alike
    known.push_back(timed("Basic Y2Fyb2w6cHg="));  // carol:px
    unknown.push_back(timed("Basic ZXZlOnB3"));    // eve:pw
  }
  std::sort(known.begin(), known.end());
  std::sort(unknown.begin(), unknown.end());
  const double ratio = unknown[10] / known[10];  // medians
  INFO("median unknown " << unknown[10] << " s, known " << known[10] << " s");
  // A cost-10 dummy against cost-5 hashes is 32 times the work; the same cost is 1.
  CHECK(ratio > 0.5);
  CHECK(ratio < 2.0);
}

TEST_CASE("basic auth: a cached success lives on while it is used") {
  se::http::BasicAuthenticator auth(kUsers, std::chrono::seconds(2));
  REQUIRE(auth.allowed("Basic Ym9iOnB3"));
  // Used every 200 ms for 3 s, past the 2 s TTL: still cached.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < end) {
    REQUIRE(auth.decided_without_bcrypt("Basic Ym9iOnB3") == true);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Unused for longer than the TTL: gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(auth.decided_without_bcrypt("Basic Ym9iOnB3") == std::nullopt);
}
