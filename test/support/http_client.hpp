// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

// A blocking POSIX HTTP/1.1 client for tests: it keeps them free of Asio, so they check the
// server from outside.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test_support {

using namespace std::chrono_literals;

/// One parsed response.
struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return "<absent>";
  }
};

/// One TCP connection to 127.0.0.1:port, from the loopback address `from` (127.0.0.1 unless
/// given: another 127.x.y.z is another client for the server's per-client limits).
class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::seconds receive_timeout = 5s,
                  std::uint32_t from = INADDR_LOOPBACK)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    if (from != INADDR_LOOPBACK) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_addr.s_addr = htonl(from);
      if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd_);
        throw std::runtime_error("bind() failed");
      }
    }
    // No test may hang on a broken server: every blocking read gives up after 5 s by default.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(receive_timeout.count());
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends everything; false when the server has gone away.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response (no body after HEAD); nullopt when the connection ends first.
  std::optional<Reply> read_response(bool head = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Reply reply;
    const std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, pos);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    reply.status = std::stoi(status_line.substr(9, 3));
    while (pos != std::string::npos) {
      const std::size_t start = pos + 2;
      pos = head_text.find("\r\n", start);
      const std::string line =
          head_text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers.emplace_back(line.substr(0, colon), value);
    }
    if (head) return reply;
    const std::string length = reply.header("Content-Length");
    if (length == "<absent>") return std::nullopt;  // the server always sets it
    const auto size = static_cast<std::size_t>(std::stoul(length));
    while (buf_.size() < size) {
      if (!fill()) return std::nullopt;
    }
    reply.body = buf_.substr(0, size);
    buf_.erase(0, size);
    return reply;
  }

  /// Everything up to EOF (or a reset, or the 5 s receive timeout).
  std::string read_to_eof() {
    while (fill()) {
    }
    return std::exchange(buf_, {});
  }

  /// True when the server closes the connection within `limit` (data before that is dropped).
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return true;  // EOF or reset
    }
  }

 private:
  bool fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string buf_;
};

/// A GET request with Host and `extra_headers` (each ending in CRLF).
inline std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

}  // namespace test_support
