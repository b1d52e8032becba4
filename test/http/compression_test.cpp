// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/compression.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

namespace {

using slurm_exporter::http::accepts_gzip;
using slurm_exporter::http::gzip_compress;
using slurm_exporter::http::gzip_decompress;
using slurm_exporter::http::GzipCache;

std::string sample_text(std::size_t lines) {
  std::string text = "# HELP slurm_node_cpus CPUs\n# TYPE slurm_node_cpus gauge\n";
  for (std::size_t i = 0; i < lines; ++i) {
    text +=
        "slurm_node_cpus{node=\"node" + std::to_string(i) + "\"} " + std::to_string(i % 97) + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("accepts_gzip reads Accept-Encoding as RFC 9110 says", "[compression]") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("GZIP"));
  CHECK(accepts_gzip("x-gzip"));
  CHECK(accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
  CHECK(accepts_gzip(" br ,  gzip ; q=0.3"));
  CHECK(accepts_gzip("*"));
  CHECK(accepts_gzip("identity;q=0.5, *;q=0.1"));

  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("deflate, br"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(accepts_gzip("*;q=0"));
  // An explicit refusal of gzip wins over the wildcard.
  CHECK_FALSE(accepts_gzip("gzip;q=0, *"));
  // Malformed q-values are not acceptances.
  CHECK_FALSE(accepts_gzip("gzip;q=abc"));
  CHECK_FALSE(accepts_gzip("gzip;q=2"));
  CHECK_FALSE(accepts_gzip("gzip;q="));
  // Not a substring match.
  CHECK_FALSE(accepts_gzip("gzipx"));
  CHECK_FALSE(accepts_gzip("notgzip"));
}

TEST_CASE("gzip_compress round-trips through gzip_decompress", "[compression]") {
  for (const std::size_t lines : {0u, 1u, 50'000u}) {
    const std::string text = sample_text(lines);
    const std::string gz = gzip_compress(text);
    REQUIRE(gz.size() >= 18);  // header + trailer
    // The gzip magic number and deflate method (RFC 1952).
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK(gz[2] == 8);
    CHECK(gzip_decompress(gz) == text);
    if (lines > 1000) CHECK(gz.size() * 5 < text.size());
  }
}

TEST_CASE("gzip_decompress refuses what is not one whole gzip stream", "[compression]") {
  const std::string gz = gzip_compress(sample_text(100));
  CHECK_THROWS_AS(gzip_decompress("plain text"), std::runtime_error);
  CHECK_THROWS_AS(gzip_decompress(gz.substr(0, gz.size() / 2)), std::runtime_error);
  CHECK_THROWS_AS(gzip_decompress(gz + "x"), std::runtime_error);
}

TEST_CASE("GzipCache compresses once per body and again for a new body", "[compression]") {
  GzipCache cache;
  auto first = std::make_shared<const std::string>(sample_text(10));
  const auto a = cache.get(first);
  const auto b = cache.get(first);
  CHECK(cache.compressions() == 1);
  CHECK(a == b);  // the same compressed object, not a new compression
  CHECK(gzip_decompress(*a) == *first);

  // A new snapshot, even with equal text, is a new body.
  auto second = std::make_shared<const std::string>(sample_text(20));
  const auto c = cache.get(second);
  CHECK(cache.compressions() == 2);
  CHECK(gzip_decompress(*c) == *second);
  CHECK(cache.get(second) == c);
  CHECK(cache.compressions() == 2);

  // Back to the first body: compressed again, and the result is the first text.
  CHECK(gzip_decompress(*cache.get(first)) == *first);
  CHECK(cache.compressions() == 3);
}

TEST_CASE("GzipCache does not keep the body alive", "[compression]") {
  GzipCache cache;
  auto body = std::make_shared<const std::string>(sample_text(5));
  std::weak_ptr<const std::string> watch = body;
  const auto gz = cache.get(body);
  body.reset();
  CHECK(watch.expired());
  // A later body, possibly at the same address, is compressed afresh.
  auto next = std::make_shared<const std::string>(sample_text(6));
  CHECK(gzip_decompress(*cache.get(next)) == *next);
  CHECK(cache.compressions() == 2);
}
