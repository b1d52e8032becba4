// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what the server does with a request before it reaches the provider. The first
// byte picks the path:
//   0: route(method, target): input "method\ntarget"; it must answer a status it documents.
//   1: a raw HTTP request through Beast's parser (the session's limits), then, as the session
//      does, route(), accepts_gzip(Accept-Encoding) and the basic-auth header check.
//   2: the Authorization path with well-formed base64 of arbitrary bytes: "user:password" of a
//      known user must parse (no answer without bcrypt), a value without ':' must be refused.
// Nothing may throw (but bad_alloc) or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "slurm_exporter/http/basic_auth.hpp"
#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/http/detail/asio.hpp"
#include "slurm_exporter/http/router.hpp"

namespace {

namespace http = slurm_exporter::http;
namespace bhttp = http::detail::bhttp;

// bcrypt cost 4 ("pw"): the fuzzer never runs it, decided_without_bcrypt() stops before.
http::BasicAuthenticator& authenticator() {
  static http::BasicAuthenticator auth(http::BasicAuthUsers{
      {"bob", "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"}});
  return auth;
}

void check_route(std::string_view method, std::string_view target) {
  const auto r = http::route(method, target, "/metrics");
  if (r.route == http::Route::kStatic && r.status != 200 && r.status != 400 && r.status != 404 &&
      r.status != 405) {
    std::abort();
  }
}

void route_only(std::string_view in) {
  const auto nl = in.find('\n');
  const std::string_view method = nl == std::string_view::npos ? in : in.substr(0, nl);
  const std::string_view target = nl == std::string_view::npos ? "/" : in.substr(nl + 1);
  check_route(method, target);
}

void whole_request(std::string_view in) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(8 * 1024);  // ServerOptions' defaults
  parser.body_limit(4 * 1024);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < in.size() && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(in.data() + used, in.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return;
  const auto& req = parser.get();
  check_route(req.method_string(), req.target());
  (void)http::accepts_gzip(req[bhttp::field::accept_encoding]);
  const auto decided = authenticator().decided_without_bcrypt(req[bhttp::field::authorization]);
  (void)decided;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = in.size() - i < 3 ? in.size() - i : 3;
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (n > 1) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (n > 2) v |= static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[v & 63] : '=');
  }
  return out;
}

void authorization(std::string_view in) {
  auto& auth = authenticator();
  // A known user with any password: decoded and looked up, never decided without bcrypt.
  if (auth.decided_without_bcrypt("Basic " + base64("bob:" + std::string(in))) != std::nullopt) {
    std::abort();
  }
  // No ':' after decoding: malformed, refused at once.
  if (in.find(':') == std::string_view::npos &&
      auth.decided_without_bcrypt("Basic " + base64(in)) != false) {
    std::abort();
  }
  (void)auth.decided_without_bcrypt(in);  // the raw bytes as a header value
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      route_only(in);
      break;
    case 1:
      whole_request(in);
      break;
    default:
      authorization(in);
      break;
  }
  return 0;
}
