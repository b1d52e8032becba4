// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slurm_exporter::trace {

/// One sample a job-side agent POSTs (rivosinc's TraceInfo JSON): the job's process tree,
/// summed. Units as rivosinc's wrapper sends them.
struct Sample {
  std::uint32_t job_id = 0;
  std::int64_t pid = 0;       ///< the wrapped command's pid
  double cpus = 0;            ///< CPU usage, percent of one CPU (200 = two CPUs busy)
  double write_bytes = 0;     ///< bytes written so far (cumulative)
  double read_bytes = 0;      ///< bytes read so far (cumulative)
  double threads = 0;         ///< threads
  double mem = 0;             ///< resident memory, bytes
  std::string username;       ///< label value, at most kMaxLabelBytes
  std::string hostname;       ///< label value, at most kMaxLabelBytes
  std::int64_t received = 0;  ///< unix seconds when stored (set by Store::add)
};

inline constexpr std::size_t kMaxLabelBytes = 256;
/// The largest body parse_sample accepts (a real sample is ~200 bytes; the HTTP side answers
/// a larger one 413 before it gets here).
inline constexpr std::size_t kMaxBodyBytes = 4096;

/// Parses one POST body. Returns the sample, or std::nullopt with `error` set to one line
/// saying why (not JSON, not an object, a missing or zero or out-of-range job_id, a field of
/// the wrong type, a negative or non-finite figure, a label too long or with a control
/// character, a body over kMaxBodyBytes). Unknown fields are ignored (rivosinc's decoder does).
std::optional<Sample> parse_sample(std::string_view body, std::string& error);

/// The latest sample per job, bounded in count and age. Thread-safe: the HTTP thread adds,
/// the poller reads.
class Store {
 public:
  /// `fresh_seconds`: how long a sample stays live (-trace.rate); `max_entries`: at most this
  /// many jobs are kept (the stalest one goes first when a new job arrives).
  explicit Store(std::int64_t fresh_seconds = 10, std::size_t max_entries = 10'000);

  /// Sets the limits (main, before serving).
  void configure(std::int64_t fresh_seconds, std::size_t max_entries);

  /// Stores `s` as the job's latest sample, received at `now` (unix seconds). Drops samples
  /// that are no longer fresh first, then, when full, the stalest entry.
  void add(Sample s, std::int64_t now);

  /// The samples fresh at `now` (received within fresh_seconds), by job id. Drops stale ones.
  std::vector<Sample> live(std::int64_t now);

  std::size_t size() const;
  std::int64_t fresh_seconds() const;

 private:
  void expire(std::int64_t now);  // mutex held

  mutable std::mutex mutex_;
  std::int64_t fresh_seconds_;
  std::size_t max_entries_;
  std::map<std::uint32_t, Sample> samples_;
};

/// The one store of the process (the /trace handler adds, the trace collector reads).
Store& process_store();

/// A response of the trace endpoint, decided without sockets.
struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
  bool allow_header = false;  ///< 405: send `Allow: GET, HEAD, POST`
};

/// The trace endpoint: POST stores a sample (200, empty body, as rivosinc answers), a bad one
/// gets 400 with the reason; GET/HEAD give the HTML table of the live samples; other methods
/// 405.
Response handle_request(Store& store, std::string_view method, std::string_view body,
                        std::int64_t now);

}  // namespace slurm_exporter::trace
