// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/trace/store.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using slurm_exporter::trace::handle_request;
using slurm_exporter::trace::kMaxBodyBytes;
using slurm_exporter::trace::parse_sample;
using slurm_exporter::trace::Sample;
using slurm_exporter::trace::Store;

namespace {

constexpr std::string_view kRivosincSample =
    R"({"pid": 4242, "cpus": 187.5, "threads": 9, "mem": 123456789, "read_bytes": 4096,)"
    R"( "write_bytes": 8192, "job_id": 31, "username": "alice", "hostname": "cn01"})";

std::string reason(std::string_view body) {
  std::string error;
  const auto s = parse_sample(body, error);
  REQUIRE_FALSE(s);
  return error;
}

Sample sample(std::uint32_t id) {
  Sample s;
  s.job_id = id;
  return s;
}

}  // namespace

TEST_CASE("a sample as rivosinc's wrapper sends it is read field by field", "[trace]") {
  std::string error;
  const auto s = parse_sample(kRivosincSample, error);
  REQUIRE(s);
  CHECK(error.empty());
  CHECK(s->job_id == 31);
  CHECK(s->pid == 4242);
  CHECK(s->cpus == 187.5);
  CHECK(s->threads == 9);
  CHECK(s->mem == 123456789);
  CHECK(s->read_bytes == 4096);
  CHECK(s->write_bytes == 8192);
  CHECK(s->username == "alice");
  CHECK(s->hostname == "cn01");
}

TEST_CASE("unknown fields are ignored and absent figures are 0, as Go's decoder does", "[trace]") {
  std::string error;
  const auto s = parse_sample(R"({"job_id": 7, "extra": [1, 2], "mem": 5})", error);
  REQUIRE(s);
  CHECK(s->mem == 5);
  CHECK(s->cpus == 0);
  CHECK(s->username.empty());
}

TEST_CASE("a bad sample is refused with the reason", "[trace]") {
  CHECK(reason("") == "body is not valid JSON");
  CHECK(reason(R"({"job_id": 1)") == "body is not valid JSON");
  CHECK(reason("[1, 2]") == "body is not a JSON object");
  CHECK(reason(R"({"pid": 3})") == "job_id is missing");
  CHECK(reason(R"({"job_id": null})") == "job_id is missing");
  CHECK(reason(R"({"job_id": 0})") == "job_id is 0");
  CHECK(reason(R"({"job_id": "12"})") == "job_id is not an integer");
  CHECK(reason(R"({"job_id": 1.5})") == "job_id is not an integer");
  CHECK(reason(R"({"job_id": -4})") == "job_id is out of range (1..4294967295)");
  CHECK(reason(R"({"job_id": 4294967296})") == "job_id is out of range (1..4294967295)");
  CHECK(reason(R"({"job_id": 18446744073709551615})") == "job_id is out of range (1..4294967295)");
  CHECK(reason(R"({"job_id": 1, "mem": "lots"})") == "mem is not a number");
  CHECK(reason(R"({"job_id": 1, "cpus": -1})") == "cpus must be a finite number >= 0");
  CHECK(reason(R"({"job_id": 1, "read_bytes": 1e999})") == "body is not valid JSON");
  CHECK(reason(R"({"job_id": 1, "pid": 1.5})") == "pid is not a process id");
  CHECK(reason(R"({"job_id": 1, "username": 5})") == "username is not a string");
  CHECK(reason(R"({"job_id": 1, "hostname": "a\nb"})") == "hostname holds a control character");
  CHECK(reason(R"({"job_id": 1, "username": ")" + std::string(300, 'u') + "\"}") ==
        "username is longer than 256 bytes");
  CHECK(reason(std::string(kMaxBodyBytes + 1, ' ')) == "body larger than 4096 bytes");
}

TEST_CASE("the store keeps the latest sample per job", "[trace]") {
  Store store(10, 100);
  Sample a = sample(5);
  a.mem = 1;
  store.add(a, 1000);
  a.mem = 2;
  store.add(a, 1003);
  const auto live = store.live(1003);
  REQUIRE(live.size() == 1);
  CHECK(live[0].mem == 2);
  CHECK(live[0].received == 1003);
}

TEST_CASE("a sample is live for fresh_seconds after it arrived, then gone", "[trace]") {
  Store store(10, 100);
  store.add(sample(5), 1000);
  store.add(sample(6), 1004);
  CHECK(store.live(1010).size() == 2);  // exactly 10 s old: still fresh
  const auto at11 = store.live(1011);
  REQUIRE(at11.size() == 1);
  CHECK(at11[0].job_id == 6);
  CHECK(store.size() == 1);  // the stale one is dropped, not only hidden
  CHECK(store.live(1015).empty());
  CHECK(store.size() == 0);
}

TEST_CASE("a flood of job ids cannot grow the store past its bound", "[trace]") {
  Store store(10, 50);
  for (std::uint32_t id = 1; id <= 10'000; ++id) store.add(sample(id), 1000 + id / 1000);
  CHECK(store.size() == 50);
  // The newest ones stay (the stalest went first).
  const auto live = store.live(1010);
  REQUIRE(live.size() == 50);
  CHECK(live.front().job_id == 9951);
  CHECK(live.back().job_id == 10'000);
}

TEST_CASE("a full store drops stale entries before live ones", "[trace]") {
  Store store(10, 2);
  store.add(sample(1), 1000);  // stale at 1020
  store.add(sample(2), 1015);
  store.add(sample(3), 1020);
  const auto live = store.live(1020);
  REQUIRE(live.size() == 2);
  CHECK(live[0].job_id == 2);
  CHECK(live[1].job_id == 3);
}

TEST_CASE("adds and reads from two threads at once stay consistent", "[trace]") {
  Store store(10, 64);
  std::thread writer([&] {
    for (std::uint32_t i = 1; i <= 20'000; ++i) store.add(sample(i % 500 + 1), 1000);
  });
  std::size_t most = 0;
  for (int i = 0; i < 2000; ++i) most = std::max(most, store.live(1000).size());
  writer.join();
  CHECK(most <= 64);
  CHECK(store.size() == 64);
}

TEST_CASE("POST stores a sample, a bad one gets 400 with the reason", "[trace]") {
  Store store(10, 100);
  const auto ok = handle_request(store, "POST", kRivosincSample, 1000);
  CHECK(ok.status == 200);
  CHECK(store.size() == 1);
  const auto bad = handle_request(store, "POST", R"({"job_id": 0})", 1000);
  CHECK(bad.status == 400);
  CHECK(bad.body == "400 bad trace sample: job_id is 0\n");
  CHECK(store.size() == 1);
}

TEST_CASE("GET shows the live samples as an HTML table, escaped", "[trace]") {
  Store store(10, 100);
  Sample s = sample(77);
  s.username = "<script>";
  s.hostname = "cn&1";
  s.cpus = 12.5;
  store.add(s, 1000);
  store.add(sample(78), 980);  // stale
  const auto r = handle_request(store, "GET", "", 1002);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  CHECK(r.body.find("<td>77</td>") != std::string::npos);
  CHECK(r.body.find("<td>12.50</td>") != std::string::npos);
  CHECK(r.body.find("&lt;script&gt;") != std::string::npos);
  CHECK(r.body.find("<script>") == std::string::npos);
  CHECK(r.body.find("cn&amp;1") != std::string::npos);
  CHECK(r.body.find("<td>78</td>") == std::string::npos);
}

TEST_CASE("other methods get 405 with Allow", "[trace]") {
  Store store;
  const auto r = handle_request(store, "DELETE", "", 0);
  CHECK(r.status == 405);
  CHECK(r.allow_header);
}
