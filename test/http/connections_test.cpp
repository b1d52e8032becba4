// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/connections.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

namespace detail = slurm_exporter::http::detail;

namespace {

class FakeWaiting final : public detail::Waiting {
 public:
  FakeWaiting(std::string name, detail::WaitingList& list, std::vector<std::string>& evicted)
      : name_(std::move(name)), list_(list), evicted_(evicted), slot_(list.add(this)) {}
  ~FakeWaiting() { leave(); }
  FakeWaiting(const FakeWaiting&) = delete;
  FakeWaiting& operator=(const FakeWaiting&) = delete;

  void leave() noexcept {
    if (slot_) list_.remove(*slot_);
    slot_.reset();
  }
  void evict() noexcept override {
    evicted_.push_back(name_);
    leave();
  }

 private:
  std::string name_;
  detail::WaitingList& list_;
  std::vector<std::string>& evicted_;
  std::optional<detail::WaitingList::Slot> slot_;
};

}  // namespace

TEST_CASE("WaitingList evicts the longest-waiting connection first", "[connections]") {
  detail::WaitingList list;
  std::vector<std::string> evicted;
  CHECK_FALSE(list.evict_oldest());
  FakeWaiting a("a", list, evicted);
  FakeWaiting b("b", list, evicted);
  FakeWaiting c("c", list, evicted);
  b.leave();  // b got a request: no longer waiting
  CHECK(list.evict_oldest());
  CHECK(list.evict_oldest());
  CHECK_FALSE(list.evict_oldest());
  CHECK(evicted == std::vector<std::string>{"a", "c"});
  CHECK(list.size() == 0);
}

TEST_CASE("Gate posts until closed, then drops", "[connections]") {
  detail::net::io_context ioc;
  detail::Gate gate(ioc);
  int ran = 0;
  gate.post([&] { ++ran; });
  gate.close();
  gate.post([&] { ran += 10; });
  ioc.run();
  CHECK(ran == 1);
}
