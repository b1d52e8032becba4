// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace slurm_exporter::http {

/// Whether a request's Accept-Encoding value allows a gzip body (RFC 9110 §12.5.3): `gzip`,
/// `x-gzip` or `*` with a q-value above 0, matched case-insensitively; an explicit `gzip;q=0`
/// refuses it even when `*` is accepted. An empty or absent header means identity only.
bool accepts_gzip(std::string_view accept_encoding);

/// `text` compressed in the gzip format (RFC 1952) with zlib. Throws std::runtime_error when
/// zlib fails (out of memory).
std::string gzip_compress(std::string_view text);

/// The text of a gzip stream (for tests and the benchmark's client). Throws std::runtime_error
/// when `gz` is not one complete gzip stream.
std::string gzip_decompress(std::string_view gz);

/// The gzip form of the latest metrics body, compressed once per body (per snapshot), not per
/// request. A new body (a different shared_ptr than the cached one) replaces the cached form;
/// the cache holds no reference to the body itself, only to its compressed form. Not
/// thread-safe: the HTTP thread owns it.
class GzipCache {
 public:
  using Body = std::shared_ptr<const std::string>;

  /// The gzip form of `body` (not null), compressing it if it is not the cached one.
  Body get(const Body& body);

  /// How many times get() had to compress (for tests).
  std::size_t compressions() const { return compressions_; }

 private:
  std::weak_ptr<const std::string> source_;
  Body compressed_;
  std::size_t compressions_ = 0;
};

}  // namespace slurm_exporter::http
