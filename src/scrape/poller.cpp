// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/scrape/poller.hpp"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <exception>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "slurm_exporter/collectors/exporter.hpp"
#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/metrics/exposition.hpp"

namespace slurm_exporter::scrape {
namespace {

using collectors::Collector;
using slurm::kAllLoads;
using slurm::kLoadKinds;
using slurm::LoadKind;
using Generations = std::array<std::uint64_t, kLoadKinds>;

std::size_t index(LoadKind kind) { return static_cast<std::size_t>(kind); }

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Distinct parse-error texts remembered for warn-once; past this, repeats may be logged again.
constexpr std::size_t kMaxLoggedParseErrors = 1024;

// When no controller answered and the backend says they are unreachable (connection refused,
// timeout), the other loads would wait for slurmctld too: the reason to skip them, else "".
std::string unreachable_reason(const slurm::ControllerStatus& ctl) {
  const bool any_up = std::any_of(ctl.controllers.begin(), ctl.controllers.end(),
                                  [](const slurm::Controller& c) { return c.up; });
  if (any_up || !ctl.unreachable) return {};
  std::string reason = "no SlurmctldHost answered a ping";
  if (!ctl.error.empty()) reason += " (" + ctl.error + ")";
  return reason;
}

// One poll's loads, each run at most once, when the first collector asks for it.
class PollLoads {
 public:
  struct Slot {
    bool done = false;
    slurm::Loaded loaded;
    std::string error;          // non-empty: the load failed (or was skipped)
    bool error_logged = false;  // a collector already reported this error at error level
    bool skipped = false;       // not run: slurmctld was found unreachable earlier
    double seconds = 0;         // the load's wall time
  };

  PollLoads(slurm::Backend& backend, const Clock& clock, const Generations& known)
      : backend_(backend), clock_(clock), known_(known) {}

  // The load of `kind`, run now unless done this poll.
  Slot& get(LoadKind kind) {
    Slot& slot = slots_[index(kind)];
    if (!slot.done) run(kind, slot);
    return slot;
  }
  const Slot& slot(LoadKind kind) const { return slots_[index(kind)]; }

 private:
  void run(LoadKind kind, Slot& slot) {
    slot.done = true;
    if (!unreachable_.empty()) {
      slot.error = "skipped: " + unreachable_;
      slot.skipped = true;
      return;
    }
    const auto start = clock_.steady();
    try {
      slot.loaded = backend_.load(kind, known_[index(kind)]);
      if (kind == LoadKind::ping) {
        unreachable_ = unreachable_reason(std::get<slurm::ControllerStatus>(*slot.loaded.data));
      }
    } catch (const BackendError& e) {
      if (e.unreachable()) unreachable_ = e.what();
      slot.error = e.what();
    } catch (const std::exception& e) {
      slot.error = e.what();
    } catch (...) {
      slot.error = "the backend threw a non-standard exception";
    }
    slot.seconds = seconds_between(start, clock_.steady());
  }

  slurm::Backend& backend_;
  const Clock& clock_;
  const Generations known_;
  std::array<Slot, kLoadKinds> slots_;
  std::string unreachable_;
};

// One enabled row and what it keeps between polls.
struct Row {
  const Collector* def = nullptr;
  std::unique_ptr<collectors::CollectorState> state;
  bool valid = false;  // `text` is what the loads of `generations` gave
  Generations generations{};
  std::string text;
};

// How one collector (all rows of a name) fared in this poll.
struct Outcome {
  collectors::CollectorStatus status;
  std::string error;  // the first failing row's
  bool quiet = false;
  bool reads_slurm = false;  // a row of it has loads (the process collector has none)
};

}  // namespace

void FailureLog::failed(const std::string& collector, const std::string& error, bool quiet) {
  if (quiet || std::find(failing_.begin(), failing_.end(), collector) != failing_.end()) {
    if (std::find(failing_.begin(), failing_.end(), collector) == failing_.end()) {
      failing_.push_back(collector);
    }
    log::debug("collector still failing", {{"collector", collector}, {"err", error}});
    return;
  }
  failing_.push_back(collector);
  log::error("collector failed", {{"collector", collector}, {"err", error}});
}

void FailureLog::succeeded(const std::string& collector) {
  const auto it = std::find(failing_.begin(), failing_.end(), collector);
  if (it == failing_.end()) return;
  failing_.erase(it);
  log::info("collector recovered", {{"collector", collector}});
}

struct Collection::Impl {
  Impl(const collectors::EnabledCollectors& enabled, FamilyFilter filter, const Clock& c,
       FamilyTransform t)
      : drop(std::move(filter)), transform(std::move(t)), clock(c) {
    for (const auto& def : collectors::collector_table()) {
      if (!enabled.enabled(def.name)) continue;
      Row& row = rows.emplace_back();
      row.def = &def;
      if (def.make_state) row.state = def.make_state();
    }
  }

  // The loads whose converted data must outlive a poll: those of collectors that read them at
  // every poll (a stateless one that uses "now") or that read several loads (one may change
  // while another does not).
  bool kept(LoadKind kind) const {
    return std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
      const bool several = std::count_if(kAllLoads.begin(), kAllLoads.end(),
                                         [&](LoadKind k) { return r.def->loads.has(k); }) > 1;
      return r.def->loads.has(kind) && ((r.def->collect && r.def->uses_now) || several);
    });
  }

  // Per load, the generation every row that reads it already holds (0: some row needs data).
  Generations known() const {
    Generations out{};
    for (LoadKind kind : kAllLoads) {
      std::uint64_t common = 0;
      bool first = true, usable = true;
      for (const Row& r : rows) {
        if (!r.def->loads.has(kind)) continue;
        const std::uint64_t g = r.valid ? r.generations[index(kind)] : 0;
        usable = usable && g != 0 && (first || g == common);
        common = g;
        first = false;
      }
      out[index(kind)] = usable ? common : 0;
    }
    return out;
  }

  PollResult poll(slurm::Backend& backend);
  bool run_loads(Row& row, PollLoads& loads, collectors::Inputs& in, bool& changed,
                 Outcome& outcome);
  void count_parse_errors(std::string_view name, PollLoads& loads, LoadKind kind);
  bool collect(Row& row, const collectors::Inputs& in, bool changed, Outcome& outcome);
  void run_row(Row& row, PollLoads& loads, Outcome& outcome, std::string& text);
  Outcome& outcome_of(std::vector<Outcome>& outcomes, std::string_view name);
  std::string render(std::vector<metrics::Family> families) const;

  std::vector<Row> rows;
  FamilyFilter drop;
  FamilyTransform transform;
  const Clock& clock;
  FailureLog failures;
  // Per collector, the parse errors counted so far and the load generations they came from.
  std::vector<std::pair<std::string_view, Generations>> counted;
  std::vector<std::pair<std::string_view, std::uint64_t>> parse_error_totals;
  std::set<std::string> logged_parse_errors;
  Generations last_generation{};  // of the previous poll, for PollResult::reloaded
  bool poll_failing = false;      // the previous poll threw (logged once per streak)
  // Per load kind: failed loads since start, and whether any poll has asked for it.
  std::array<std::uint64_t, kLoadKinds> load_failures{};
  std::array<bool, kLoadKinds> load_read{};
};

std::string Collection::Impl::render(std::vector<metrics::Family> families) const {
  if (drop) std::erase_if(families, [&](const metrics::Family& f) { return drop(f.name); });
  if (transform) transform(families);
  std::string text;
  metrics::write_text(families, text);
  return text;
}

Outcome& Collection::Impl::outcome_of(std::vector<Outcome>& outcomes, std::string_view name) {
  for (auto& o : outcomes) {
    if (o.status.name == name) return o;
  }
  outcomes.push_back({{std::string(name), true, 0.0}, {}, false});
  return outcomes.back();
}

// Counts the parse errors of a load generation the collector has not counted yet, and logs
// each distinct text once.
void Collection::Impl::count_parse_errors(std::string_view name, PollLoads& loads, LoadKind kind) {
  const slurm::Loaded& loaded = loads.get(kind).loaded;
  auto seen =
      std::find_if(counted.begin(), counted.end(), [&](auto& c) { return c.first == name; });
  if (seen == counted.end()) seen = counted.insert(counted.end(), {name, Generations{}});
  std::uint64_t& generation = seen->second[index(kind)];
  if (generation == loaded.generation || !loaded.data) return;
  generation = loaded.generation;
  const auto errors = slurm::parse_errors(*loaded.data);
  auto total = std::find_if(parse_error_totals.begin(), parse_error_totals.end(),
                            [&](auto& t) { return t.first == name; });
  total->second += errors.size();
  for (const auto& text : errors) {
    if (logged_parse_errors.size() >= kMaxLoggedParseErrors) logged_parse_errors.clear();
    if (!logged_parse_errors.insert(text).second) continue;
    log::warn("Slurm data left out: cannot parse it",
              {{"collector", std::string(name)},
               {"load", std::string(slurm::load_name(kind))},
               {"err", text}});
  }
}

// Runs the row's loads (memoised) into `in`; false with the outcome set when one failed.
bool Collection::Impl::run_loads(Row& row, PollLoads& loads, collectors::Inputs& in, bool& changed,
                                 Outcome& outcome) {
  for (LoadKind kind : kAllLoads) {
    if (!row.def->loads.has(kind)) continue;
    PollLoads::Slot& slot = loads.get(kind);
    if (!slot.error.empty()) {
      if (outcome.error.empty()) {
        outcome.error = slot.error;
        // One error line per failed load, not one per collector.
        outcome.quiet = slot.error_logged || slot.skipped;
      }
      slot.error_logged = true;
      return false;
    }
    changed = changed || slot.loaded.generation != row.generations[index(kind)];
    in.set(kind, slot.loaded.data.get());
  }
  return true;
}

// The row's families: collected (or its state updated) when its loads changed, else its
// previous text; rendered at every poll when it uses "now". False when it failed.
bool Collection::Impl::collect(Row& row, const collectors::Inputs& in, bool changed,
                               Outcome& outcome) {
  const Collector& def = *row.def;
  if (!changed && !def.uses_now) return true;  // row.text stays
  const std::int64_t now = clock.unix_seconds();
  collectors::Collected out;
  if (def.collect) {
    out = def.collect(in, now);
  } else {
    if (changed) row.state->update(in, now);
    out.families = row.state->collect(now);
  }
  row.text = render(std::move(out.families));
  if (out.failure.empty()) return true;
  if (outcome.error.empty()) {
    outcome.error = out.failure;
    outcome.quiet = out.failure_secondary && rows.size() > 1;
  }
  outcome.status.success = false;
  return false;
}

void Collection::Impl::run_row(Row& row, PollLoads& loads, Outcome& outcome, std::string& text) {
  // A load an earlier row ran costs nothing here: a row's duration is the loads it triggered
  // plus its own work.
  const auto start = clock.steady();
  collectors::Inputs in;
  bool changed = !row.valid;
  if (!run_loads(row, loads, in, changed, outcome)) {
    row.valid = false;
    outcome.status.success = false;
  } else {
    try {
      for (LoadKind kind : kAllLoads) {
        if (row.def->loads.has(kind)) count_parse_errors(row.def->name, loads, kind);
      }
      row.valid = collect(row, in, changed, outcome);
      for (LoadKind kind : kAllLoads) {
        if (!row.def->loads.has(kind)) continue;
        row.generations[index(kind)] = loads.slot(kind).loaded.generation;
      }
      text.append(row.text);
    } catch (const std::exception& e) {
      row.valid = false;
      outcome.status.success = false;
      if (outcome.error.empty()) outcome.error = e.what();
    } catch (...) {
      row.valid = false;
      outcome.status.success = false;
      if (outcome.error.empty()) outcome.error = "a non-standard exception";
    }
  }
  outcome.status.duration_seconds += seconds_between(start, clock.steady());
}

PollResult Collection::Impl::poll(slurm::Backend& backend) {
  for (LoadKind kind : kAllLoads) backend.keep(kind, kept(kind));
  backend.begin_poll();
  PollLoads loads(backend, clock, known());
  std::string text;
  std::vector<Outcome> outcomes;
  for (Row& row : rows) {
    if (std::none_of(parse_error_totals.begin(), parse_error_totals.end(),
                     [&](auto& t) { return t.first == row.def->name; })) {
      parse_error_totals.emplace_back(row.def->name, 0);
    }
    Outcome& outcome = outcome_of(outcomes, row.def->name);
    outcome.reads_slurm = outcome.reads_slurm || !row.def->loads.empty();
    run_row(row, loads, outcome, text);
  }
  collectors::ExporterStatus status;
  status.backend = std::string(backend.name());
  status.slurm_version = backend.slurm_version();
  for (Outcome& o : outcomes) {
    if (o.status.success) {
      failures.succeeded(o.status.name);
    } else {
      failures.failed(o.status.name, o.error, o.quiet);
    }
    for (const auto& [name, total] : parse_error_totals) {
      if (name == o.status.name) o.status.parse_errors = total;
    }
    // A collector that reads no Slurm data (process) says nothing about slurmctld.
    status.slurm_up = status.slurm_up || (o.reads_slurm && o.status.success);
    status.collectors.push_back(std::move(o.status));
  }
  status.node_load_ms = loads.slot(LoadKind::nodes).seconds * 1000.0;
  status.job_load_ms = loads.slot(LoadKind::jobs).seconds * 1000.0;
  for (LoadKind kind : kAllLoads) {
    const auto& slot = loads.slot(kind);
    if (!slot.done) continue;
    load_read[index(kind)] = true;
    if (!slot.error.empty()) ++load_failures[index(kind)];
  }
  const auto failures_of = [&](LoadKind kind) -> std::optional<std::uint64_t> {
    if (!load_read[index(kind)]) return std::nullopt;
    return load_failures[index(kind)];
  };
  status.node_load_failures = failures_of(LoadKind::nodes);
  status.job_load_failures = failures_of(LoadKind::jobs);
  status.sdiag_load_failures = failures_of(LoadKind::sdiag);
  status.license_load_failures = failures_of(LoadKind::licenses);
  if (loads.slot(LoadKind::sdiag).done) {
    status.sdiag_load_ms = loads.slot(LoadKind::sdiag).seconds * 1000.0;
  }
  PollResult result;
  result.slurm_up = status.slurm_up;
  for (LoadKind kind : {LoadKind::nodes, LoadKind::jobs}) {
    const auto& slot = loads.slot(kind);
    if (!slot.done || !slot.error.empty()) continue;
    result.reloaded = result.reloaded || slot.loaded.generation != last_generation[index(kind)];
    last_generation[index(kind)] = slot.loaded.generation;
  }
  result.text = std::move(text);
  result.text.append(render(collectors::collect_exporter(status)));
  return result;
}

Collection::Collection(const collectors::EnabledCollectors& enabled, FamilyFilter drop,
                       const Clock& clock, FamilyTransform transform)
    : impl_(std::make_unique<Impl>(enabled, std::move(drop), clock, std::move(transform))) {}

Collection::~Collection() = default;

PollResult Collection::poll(slurm::Backend& backend) {
  try {
    PollResult result = impl_->poll(backend);
    if (impl_->poll_failing) log::info("polls work again");
    impl_->poll_failing = false;
    return result;
  } catch (...) {
    const std::string error = current_exception_text();
    if (!impl_->poll_failing) {
      log::error("poll failed: serving slurm_up 0", {{"err", error}});
    } else {
      log::debug("poll still failing", {{"err", error}});
    }
    impl_->poll_failing = true;
    return failed_poll(backend, impl_->drop);
  }
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

PollResult failed_poll(const slurm::Backend& backend, const FamilyFilter& drop) {
  collectors::ExporterStatus status;
  try {
    status.backend = std::string(backend.name());
    status.slurm_version = backend.slurm_version();
  } catch (...) {
    status.backend = "unknown";
  }
  auto families = collectors::collect_exporter(status);
  try {
    if (drop) std::erase_if(families, [&](const metrics::Family& f) { return drop(f.name); });
  } catch (...) {
    // The filter itself threw: serve the exporter's families unfiltered rather than nothing.
    families = collectors::collect_exporter(status);
  }
  PollResult result;
  metrics::write_text(families, result.text);
  return result;
}

void configure_malloc_for_polls() { mallopt(M_TRIM_THRESHOLD, 1024 * 1024); }

Poller::Poller(BackendFactory factory, std::chrono::milliseconds poll_limit,
               collectors::EnabledCollectors enabled, FamilyFilter drop, const Clock& clock,
               FamilyTransform transform)
    : poll_limit_(poll_limit),
      clock_(clock),
      collection_(enabled, std::move(drop), clock, std::move(transform)) {
  std::exception_ptr init_error;
  bool init_done = false;
  thread_ = std::thread([this, f = std::move(factory), &init_error, &init_done]() mutable {
    run(std::move(f), init_error, init_done);
  });
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return init_done; });
  if (init_error) {
    lock.unlock();
    thread_.join();
    std::rethrow_exception(init_error);
  }
}

Poller::~Poller() { stop(); }

bool Poller::stop(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  // A poll stuck in a hung Slurm command ends now instead of at its timeout. backend_ was set
  // before init_done (under this mutex) and is reset only after the thread sees stopping_.
  if (backend_) backend_->cancel();
  cv_.notify_all();
  const auto done = [&] { return stopped_; };
  if (deadline == std::chrono::milliseconds::max()) {
    cv_.wait(lock, done);
  } else if (!cv_.wait_for(lock, deadline, done)) {
    return false;
  }
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  return true;
}

void Poller::get(std::function<void(Text)> done) {
  std::unique_lock lock(mutex_);
  const bool fresh = cached_ && clock_.steady() - cached_at_ < poll_limit_;
  if (fresh || (cached_ && !cached_up_)) {
    Text text = cached_;
    const bool start_refresh = !fresh && !refresh_requested_;
    if (start_refresh) refresh_requested_ = true;
    lock.unlock();
    if (start_refresh) cv_.notify_all();
    deliver(done, std::move(text));
    return;
  }
  waiters_.push_back(std::move(done));
  if (!refresh_requested_) {
    refresh_requested_ = true;
    lock.unlock();
    cv_.notify_all();
  }
}

void Poller::deliver(const std::function<void(Text)>& done, Text text) {
  try {
    done(std::move(text));
  } catch (...) {
    // A waiter's failure is its own: it must not end the poller thread (std::terminate) nor
    // keep the other waiters from their answer. Logged once, then at debug.
    const std::string error = current_exception_text();
    if (!callback_failed_.exchange(true)) {
      log::error("a scrape's callback threw; its request is dropped", {{"err", error}});
    } else {
      log::debug("a scrape's callback threw", {{"err", error}});
    }
  }
}

std::size_t Poller::polls() const {
  std::lock_guard lock(mutex_);
  return polls_;
}

void Poller::run(BackendFactory factory, std::exception_ptr& init_error, bool& init_done) {
  try {
    backend_ = factory();
  } catch (...) {
    std::lock_guard lock(mutex_);
    init_error = std::current_exception();
    init_done = true;
    stopped_ = true;
    cv_.notify_all();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    init_done = true;
  }
  cv_.notify_all();

  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || refresh_requested_; });
      if (stopping_) break;
    }
    const auto started = clock_.steady();
    // Collection::poll turns every exception into a failed poll (slurm_up 0).
    PollResult result = collection_.poll(*backend_);
    // A big answer (50,000 jobs: ~100 MB of libslurm message and conversion) leaves freed
    // heap behind; give it back to the system instead of keeping the peak as RSS.
    if (result.reloaded) malloc_trim(0);
    auto text = std::make_shared<const std::string>(std::move(result.text));
    std::vector<std::function<void(Text)>> waiters;
    {
      std::lock_guard lock(mutex_);
      cached_ = text;
      cached_up_ = result.slurm_up;
      // The data is as old as the start of the poll that fetched it.
      cached_at_ = started;
      ++polls_;
      refresh_requested_ = false;
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) deliver(w, text);
  }
  backend_.reset();
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace slurm_exporter::scrape
