// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace slurm_exporter::http {
namespace {

// windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
// Level 6 (zlib's default): the body is compressed once per snapshot, so the ratio matters
// more than the speed.
constexpr int kLevel = 6;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The q-value of one list element's parameters ("q=0.5"); 1 without one, 0 when malformed
// (an element we cannot read is not an acceptance).
double q_value(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "q")) continue;
    const std::string value(trim(param.substr(eq + 1)));
    if (value.empty()) return 0.0;
    char* end = nullptr;
    const double q = std::strtod(value.c_str(), &end);
    if (end != value.c_str() + value.size() || !(q >= 0.0) || q > 1.0) return 0.0;
    return q;
  }
  return 1.0;
}

[[noreturn]] void zlib_error(const char* what, int rc, const z_stream& zs) {
  throw std::runtime_error(std::string(what) + ": " +
                           (zs.msg ? zs.msg : "zlib error " + std::to_string(rc)));
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  double gzip_q = -1.0;  // not named
  double star_q = -1.0;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view element = trim(accept_encoding.substr(0, comma));
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const double q =
        q_value(semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      star_q = std::max(star_q, q);
    }
  }
  if (gzip_q >= 0.0) return gzip_q > 0.0;
  return star_q > 0.0;
}

std::string gzip_compress(std::string_view text) {
  z_stream zs{};
  int rc = deflateInit2(&zs, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) zlib_error("deflateInit2", rc, zs);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(text.size())));
  // zlib's API is not const-correct; deflate() only reads next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&zs, Z_FINISH);
  if (rc != Z_STREAM_END) {
    deflateEnd(&zs);
    zlib_error("deflate", rc, zs);
  }
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string gzip_decompress(std::string_view gz) {
  z_stream zs{};
  int rc = inflateInit2(&zs, kGzipWindowBits);
  if (rc != Z_OK) zlib_error("inflateInit2", rc, zs);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char chunk[16384];
  do {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      if (rc == Z_BUF_ERROR) throw std::runtime_error("gzip stream is truncated");
      zlib_error("inflate", rc, zs);
    }
    out.append(chunk, sizeof chunk - zs.avail_out);
  } while (rc != Z_STREAM_END);
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) throw std::runtime_error("bytes after the end of the gzip stream");
  return out;
}

GzipCache::Body GzipCache::get(const Body& body) {
  if (compressed_ && !source_.expired() && source_.lock() == body) return compressed_;
  compressed_ = std::make_shared<const std::string>(gzip_compress(*body));
  source_ = body;
  ++compressions_;
  return compressed_;
}

}  // namespace slurm_exporter::http
