// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/basic_auth.hpp"

#include <catch2/catch.hpp>
#include <string>

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
