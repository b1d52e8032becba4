// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <utility>

#include "slurm_exporter/http/detail/asio.hpp"

namespace slurm_exporter::http::detail {

/// Lets provider callbacks, which may run on any thread at any time, post to the io_context
/// only while it exists. Thread-safe.
class Gate {
 public:
  explicit Gate(net::io_context& ioc) : ioc_(&ioc) {}

  /// Posts `handler` to the io_context, or drops it once close() was called.
  template <class Handler>
  void post(Handler&& handler) {
    const std::lock_guard lock(mutex_);
    if (ioc_ != nullptr) net::post(*ioc_, std::forward<Handler>(handler));
  }

  /// From now on post() drops its handler; called before the io_context goes.
  void close() {
    const std::lock_guard lock(mutex_);
    ioc_ = nullptr;
  }

 private:
  std::mutex mutex_;
  net::io_context* ioc_;
};

/// Who a connection comes from, for the per-client limits: an IPv4 address (also when it arrives
/// IPv4-mapped on a dual-stack socket) or the /64 prefix of an IPv6 address, since one IPv6 host
/// usually holds a whole /64 and could otherwise take a new address per connection.
using ClientKey = std::array<unsigned char, 16>;

/// The ClientKey of a peer address.
ClientKey client_key(const net::ip::address& address);

/// Connections per client, for the per-client cap. The I/O thread only.
class ClientCounts {
 public:
  void add(const ClientKey& key) { ++counts_[key]; }
  void remove(const ClientKey& key) noexcept {
    const auto it = counts_.find(key);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  std::size_t count(const ClientKey& key) const {
    const auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<ClientKey, std::size_t> counts_;
};

/// A connection waiting for a request (TLS handshake, first byte, headers, idle between
/// keep-alive requests) or for the bcrypt check of its credentials: it can be closed to make
/// room for a new connection.
class Waiting {
 public:
  /// Closes the connection; it must leave the WaitingList itself.
  virtual void evict() noexcept = 0;

 protected:
  ~Waiting() = default;
};

/// The waiting connections in two queues, oldest first: connections that have never had a
/// request pass authentication (with auth off: never sent a whole request) and those that have
/// (a scraper's keep-alive connection between scrapes). Eviction takes from the first queue,
/// and from the second only when the first is empty, so that a flood of idle, silent,
/// slowloris or wrong-password connections is closed before the scraper's idle connection is.
/// The I/O thread only.
class WaitingList {
 public:
  struct Entry {
    Waiting* connection;
    ClientKey client;
  };
  /// Where an entry is; keep it to remove the entry.
  struct Slot {
    bool proven;
    std::list<Entry>::iterator it;
  };

  /// Adds `w` as the newest waiting connection of its queue: `proven` when it has had a request
  /// pass authentication.
  Slot add(Waiting* w, const ClientKey& client, bool proven) {
    auto& q = proven ? proven_ : unproven_;
    return Slot{proven, q.insert(q.end(), Entry{w, client})};
  }
  /// Removes the entry of add().
  void remove(Slot slot) noexcept { (slot.proven ? proven_ : unproven_).erase(slot.it); }

  /// Evicts, among the unproven waiting connections (else the proven ones), the oldest one of
  /// the client that holds the most connections (`connections`), so that one client's flood
  /// costs that client its connections, not a client with one or two; false when none waits.
  bool evict_from_busiest(const ClientCounts& connections) noexcept {
    for (auto* q : {&unproven_, &proven_}) {
      const Entry* pick = nullptr;
      std::size_t most = 0;
      for (const Entry& e : *q) {  // oldest first: a tie keeps the older one
        const std::size_t n = connections.count(e.client);
        if (pick == nullptr || n > most) {
          pick = &e;
          most = n;
        }
      }
      if (pick != nullptr) {
        pick->connection->evict();
        return true;
      }
    }
    return false;
  }

  /// The same among the connections of `client` only.
  bool evict_oldest_of(const ClientKey& client) noexcept {
    for (auto* q : {&unproven_, &proven_}) {
      for (const Entry& e : *q) {
        if (e.client == client) {
          e.connection->evict();
          return true;
        }
      }
    }
    return false;
  }

  std::size_t size() const noexcept { return unproven_.size() + proven_.size(); }

 private:
  std::list<Entry> unproven_;
  std::list<Entry> proven_;
};

}  // namespace slurm_exporter::http::detail
