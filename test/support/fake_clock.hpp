// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "slurm_exporter/scrape/clock.hpp"

namespace test_support {

/// A clock the test moves: both clocks advance together, and only when advance() is called.
class FakeClock final : public slurm_exporter::scrape::Clock {
 public:
  explicit FakeClock(std::int64_t unix_seconds = 1'700'000'000) : unix_(unix_seconds) {}
  std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(steady_ms_));
  }
  std::int64_t unix_seconds() const override {
    return unix_ + (steady_ms_ - kSteadyStartMs) / 1000;
  }
  void advance(std::chrono::milliseconds d) { steady_ms_ += d.count(); }

 private:
  static constexpr std::int64_t kSteadyStartMs = 1'000'000;
  std::int64_t unix_;
  std::atomic<std::int64_t> steady_ms_{kSteadyStartMs};
};

}  // namespace test_support
