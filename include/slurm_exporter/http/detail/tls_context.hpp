// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "slurm_exporter/http/detail/asio.hpp"
#include "slurm_exporter/http/web_config.hpp"

namespace slurm_exporter::http::detail {

/// An OpenSSL server context; a TLS session holds the one it was accepted with.
using SslContext = std::shared_ptr<net::ssl::context>;

/// A fresh server context from the files of `config` (certificate chain, key, client CA),
/// with its protocol versions, suites, groups and client-certificate mode. Throws ConfigError
/// naming the file and OpenSSL's reason ("cannot read cert_file …: No such file or directory",
/// "key_file … does not match cert_file …").
SslContext build_ssl_context(const TlsServerConfig& config);

/// What the on-change check compares of a file: a renewal that renames a new file over the
/// old one changes the inode; chmod/chown afterwards change ctime.
struct FileStamp {
  bool exists = false;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

/// The stamp of `path` now; a missing (or empty) path gives {exists = false}.
FileStamp stamp_of(const std::string& path);

/// The current SSL context, rebuilt when the certificate, key or CA files change on disk
/// (short-lived certificates renewed by a timer). Sessions hold a shared_ptr to the context
/// they started with, so in-flight connections keep theirs. Not thread-safe: the server's
/// I/O thread only.
class TlsContextStore {
 public:
  /// How often get() looks at the files at most.
  static constexpr std::chrono::seconds kCheckInterval{1};

  /// Builds the first context; throws ConfigError like build_ssl_context.
  explicit TlsContextStore(TlsServerConfig config);

  /// The context for a new connection. At most once per kCheckInterval it stats the files;
  /// when they changed and look the same as on the previous check (a renewal renames the
  /// certificate and the key one after the other) it builds a new context. A new context that
  /// fails keeps the old one and logs one `level=error` line per broken state of the files.
  SslContext get();

  /// After a reload found `other`'s files broken: when they are this store's files too, get()
  /// does not try them (nor log them) again until they change once more.
  void skip_files_like(const TlsServerConfig& other);

 private:
  std::array<FileStamp, 3> stamps() const;

  TlsServerConfig config_;
  std::array<FileStamp, 3> stamps_;    // of the files current_ was built from
  std::array<FileStamp, 3> previous_;  // as seen by the last check
  SslContext current_;
  std::optional<std::array<FileStamp, 3>> failed_;
  std::chrono::steady_clock::time_point last_check_;
};

}  // namespace slurm_exporter::http::detail
