// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/user_names.hpp"

#include <catch2/catch.hpp>

using namespace slurm_exporter::slurm;
using namespace std::chrono_literals;

TEST_CASE("a failed user name lookup is the uid for a while, then looked up again") {
  std::chrono::steady_clock::time_point now{};
  bool nss_up = false;
  int lookups = 0;
  UserNames names(
      [&](std::uint32_t uid) -> std::optional<std::string> {
        ++lookups;
        if (!nss_up) return std::nullopt;
        return uid == 1000 ? std::optional<std::string>("alice") : std::nullopt;
      },
      [&] { return now; });
  CHECK(names.name(1000) == "1000");  // LDAP down at the first lookup
  nss_up = true;
  now += 1min;
  CHECK(names.name(1000) == "1000");  // not yet retried: no lookup per call
  CHECK(lookups == 1);
  now += UserNames::kRetryAfter;
  CHECK(names.name(1000) == "alice");  // retried once the retry time passed
  CHECK(lookups == 2);
  nss_up = false;
  now += 1h;
  CHECK(names.name(1000) == "alice");  // a name found stays
  CHECK(lookups == 2);
  CHECK(names.name(4242) == "4242");  // a uid without a name is its number
}

TEST_CASE("the default lookup names root") { CHECK(UserNames().name(0) == "root"); }
