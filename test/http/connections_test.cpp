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
  FakeWaiting(std::string name, detail::WaitingList& list, std::vector<std::string>& evicted,
              bool proven = false, detail::ClientKey client = {})
      : name_(std::move(name)),
        list_(list),
        evicted_(evicted),
        slot_(list.add(this, client, proven)) {}
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
  const detail::ClientCounts none;  // every client counts the same: the oldest goes first
  std::vector<std::string> evicted;
  CHECK_FALSE(list.evict_from_busiest(none));
  FakeWaiting a("a", list, evicted);
  FakeWaiting b("b", list, evicted);
  FakeWaiting c("c", list, evicted);
  b.leave();  // b got a request: no longer waiting
  CHECK(list.evict_from_busiest(none));
  CHECK(list.evict_from_busiest(none));
  CHECK_FALSE(list.evict_from_busiest(none));
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

TEST_CASE("WaitingList evicts connections never authenticated before a scraper's idle one",
          "[connections]") {
  detail::WaitingList list;
  const detail::ClientCounts none;
  std::vector<std::string> evicted;
  FakeWaiting scraper("scraper", list, evicted, /*proven=*/true);  // waited longest
  FakeWaiting flood1("flood1", list, evicted);
  FakeWaiting flood2("flood2", list, evicted);
  CHECK(list.evict_from_busiest(none));
  CHECK(list.evict_from_busiest(none));
  CHECK(evicted == std::vector<std::string>{"flood1", "flood2"});
  // Only when no unproven connection waits is the proven one closed.
  CHECK(list.evict_from_busiest(none));
  CHECK(evicted.back() == "scraper");
  CHECK_FALSE(list.evict_from_busiest(none));
}

TEST_CASE("WaitingList evicts within one client only when asked to", "[connections]") {
  const auto a = detail::client_key(boost::asio::ip::make_address("192.0.2.1"));
  const auto b = detail::client_key(boost::asio::ip::make_address("192.0.2.2"));
  detail::WaitingList list;
  std::vector<std::string> evicted;
  FakeWaiting b_old("b-old", list, evicted, false, b);
  FakeWaiting a_proven("a-proven", list, evicted, true, a);
  FakeWaiting a_new("a-new", list, evicted, false, a);
  CHECK(list.evict_oldest_of(a));
  CHECK(list.evict_oldest_of(a));
  CHECK_FALSE(list.evict_oldest_of(a));
  CHECK(evicted == std::vector<std::string>{"a-new", "a-proven"});
  CHECK(list.size() == 1);
}

TEST_CASE("client_key: IPv4 by address, IPv6 by /64, IPv4-mapped as IPv4", "[connections]") {
  using boost::asio::ip::make_address;
  const auto key = [](const char* a) { return detail::client_key(make_address(a)); };
  CHECK(key("192.0.2.1") == key("::ffff:192.0.2.1"));
  CHECK(key("192.0.2.1") != key("192.0.2.2"));
  CHECK(key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  CHECK(key("2001:db8:1:2::1") != key("2001:db8:1:3::1"));
  CHECK(key("::") != key("0.0.0.0"));
  CHECK(key("::1") != key("0.0.0.1"));
}

TEST_CASE("ClientCounts counts per client and forgets a client at zero", "[connections]") {
  const auto a = detail::client_key(boost::asio::ip::make_address("192.0.2.1"));
  detail::ClientCounts counts;
  counts.add(a);
  counts.add(a);
  CHECK(counts.count(a) == 2);
  counts.remove(a);
  counts.remove(a);
  counts.remove(a);  // more removes than adds never wrap around
  CHECK(counts.count(a) == 0);
}

TEST_CASE("WaitingList evicts from the client holding the most connections", "[connections]") {
  const auto light = detail::client_key(boost::asio::ip::make_address("192.0.2.1"));
  const auto heavy = detail::client_key(boost::asio::ip::make_address("192.0.2.2"));
  detail::ClientCounts counts;
  detail::WaitingList list;
  std::vector<std::string> evicted;
  FakeWaiting scraper_new("light", list, evicted, false, light);  // waited longest
  counts.add(light);
  FakeWaiting h1("heavy1", list, evicted, false, heavy);
  FakeWaiting h2("heavy2", list, evicted, false, heavy);
  counts.add(heavy);
  counts.add(heavy);
  CHECK(list.evict_from_busiest(counts));
  CHECK(evicted == std::vector<std::string>{"heavy1"});
}
