// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <list>
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

/// A connection waiting for a request (TLS handshake, first byte, headers, or idle between
/// keep-alive requests): it can be closed to make room for a new connection.
class Waiting {
 public:
  /// Closes the connection; it must leave the WaitingList itself.
  virtual void evict() noexcept = 0;

 protected:
  ~Waiting() = default;
};

/// The waiting connections, oldest first. At max_connections a new connection closes the one
/// that has waited longest for a request, so idle, never-speaking or slowloris connections
/// cannot lock out a scraper. The I/O thread only.
class WaitingList {
 public:
  using Slot = std::list<Waiting*>::iterator;

  /// Adds `w` as the newest; keep the slot to remove it.
  Slot add(Waiting* w) { return waiting_.insert(waiting_.end(), w); }
  /// Removes the entry of add().
  void remove(Slot slot) noexcept { waiting_.erase(slot); }
  /// Evicts the oldest waiting connection; false when none waits.
  bool evict_oldest() noexcept {
    if (waiting_.empty()) return false;
    waiting_.front()->evict();  // leaves the list itself
    return true;
  }
  std::size_t size() const noexcept { return waiting_.size(); }

 private:
  std::list<Waiting*> waiting_;
};

}  // namespace slurm_exporter::http::detail
