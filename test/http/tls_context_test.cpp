// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/tls_context.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "../support/stderr_capture.hpp"
#include "../support/temp_dir.hpp"
#include "slurm_exporter/errors.hpp"

namespace detail = slurm_exporter::http::detail;
using slurm_exporter::ConfigError;
using slurm_exporter::http::TlsServerConfig;
using test_support::TempDir;

namespace {

// A self-signed certificate and its key, made by the openssl CLI (scripts/install-deps.sh).
void make_pair(const TempDir& dir, const std::string& name) {
  const std::string cmd = "cd '" + dir.str() +
                          "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                          "-nodes -days 1 -subj /CN=" +
                          name + " -keyout " + name + ".key -out " + name + ".crt 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

TlsServerConfig config_of(const TempDir& dir, const std::string& cert, const std::string& key) {
  TlsServerConfig c;
  c.cert_file = dir.file(cert);
  c.key_file = dir.file(key);
  return c;
}

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("build_ssl_context names the file that does not load", "[tls_context]") {
  TempDir dir("se_tls");
  make_pair(dir, "a");
  make_pair(dir, "b");
  CHECK(detail::build_ssl_context(config_of(dir, "a.crt", "a.key")) != nullptr);
  CHECK_THROWS_MATCHES(detail::build_ssl_context(config_of(dir, "none.crt", "a.key")), ConfigError,
                       Catch::Message("cannot read cert_file " + dir.file("none.crt") +
                                      ": No such file or "
                                      "directory"));
  write_text(dir.file("bad.key"), "-----BEGIN PRIVATE KEY-----\ngarbage\n");
  CHECK_THROWS_WITH(detail::build_ssl_context(config_of(dir, "a.crt", "bad.key")),
                    Catch::StartsWith("cannot load key_file " + dir.file("bad.key") + ": "));
  // OpenSSL 3 refuses the key of another certificate already while loading it.
  CHECK_THROWS_WITH(detail::build_ssl_context(config_of(dir, "a.crt", "b.key")),
                    Catch::StartsWith("cannot load key_file " + dir.file("b.key") + ": ") &&
                        Catch::Contains("key values mismatch"));
}

TEST_CASE("stamp_of sees a rename and a chmod", "[tls_context]") {
  TempDir dir("se_tls");
  CHECK_FALSE(detail::stamp_of(dir.file("none")).exists);
  CHECK_FALSE(detail::stamp_of("").exists);
  write_text(dir.file("f"), "one");
  const auto first = detail::stamp_of(dir.file("f"));
  CHECK(first.exists);
  CHECK(first.size == 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(::chmod(dir.file("f").c_str(), 0600) == 0);
  const auto chmodded = detail::stamp_of(dir.file("f"));
  CHECK_FALSE(chmodded == first);
  CHECK(chmodded.inode == first.inode);
  write_text(dir.file("g"), "one");
  std::filesystem::rename(dir.file("g"), dir.file("f"));
  CHECK(detail::stamp_of(dir.file("f")).inode != first.inode);
}

TEST_CASE("TlsContextStore swaps in a renewed pair once it has settled; a broken one is kept out",
          "[tls_context]") {
  TempDir dir("se_tls");
  make_pair(dir, "server");
  detail::TlsContextStore store(config_of(dir, "server.crt", "server.key"));
  const auto first = store.get();
  const auto wait = detail::TlsContextStore::kCheckInterval + std::chrono::milliseconds(100);

  make_pair(dir, "renewed");
  std::filesystem::rename(dir.file("renewed.crt"), dir.file("server.crt"));
  std::filesystem::rename(dir.file("renewed.key"), dir.file("server.key"));
  CHECK(store.get() == first);  // within the check interval
  std::this_thread::sleep_for(wait);
  CHECK(store.get() == first);  // changed, not yet seen twice the same
  std::this_thread::sleep_for(wait);
  const auto second = store.get();
  CHECK(second != first);

  write_text(dir.file("server.key"), "garbage\n");
  std::string log;
  log = test_support::capture_stderr([&] {
    std::this_thread::sleep_for(wait);
    CHECK(store.get() == second);
    std::this_thread::sleep_for(wait);
    CHECK(store.get() == second);
    std::this_thread::sleep_for(wait);
    CHECK(store.get() == second);
  });
  CHECK_THAT(log, Catch::Contains("level=error msg=\"cannot reload TLS certificate, keeping the "
                                  "previous one\""));
  CHECK(log.find("cannot reload TLS certificate") == log.rfind("cannot reload TLS certificate"));
}

TEST_CASE("TlsContextStore does not retry files a reload found broken", "[tls_context]") {
  TempDir dir("se_tls");
  make_pair(dir, "server");
  const TlsServerConfig config = config_of(dir, "server.crt", "server.key");
  detail::TlsContextStore store(config);
  const auto first = store.get();
  const auto wait = detail::TlsContextStore::kCheckInterval + std::chrono::milliseconds(100);
  write_text(dir.file("server.key"), "garbage\n");
  TlsServerConfig elsewhere = config;
  elsewhere.key_file = dir.file("other.key");
  store.skip_files_like(elsewhere);  // other files: no effect
  store.skip_files_like(config);
  const std::string log = test_support::capture_stderr([&] {
    std::this_thread::sleep_for(wait);
    CHECK(store.get() == first);
    std::this_thread::sleep_for(wait);
    CHECK(store.get() == first);
  });
  CHECK(log.find("cannot reload TLS certificate") == std::string::npos);

  // Fixed files are picked up as usual.
  make_pair(dir, "fixed");
  std::filesystem::rename(dir.file("fixed.crt"), dir.file("server.crt"));
  std::filesystem::rename(dir.file("fixed.key"), dir.file("server.key"));
  std::this_thread::sleep_for(wait);
  store.get();
  std::this_thread::sleep_for(wait);
  CHECK(store.get() != first);
}
