// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/trace/store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace slurm_exporter::trace {
namespace {

using nlohmann::json;

bool number_field(const json& obj, const char* name, double& out, std::string& error) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return true;  // absent: 0, as Go's decoder leaves it
  if (!it->is_number()) {
    error = std::string(name) + " is not a number";
    return false;
  }
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) {
    error = std::string(name) + " must be a finite number >= 0";
    return false;
  }
  out = v;
  return true;
}

bool label_field(const json& obj, const char* name, std::string& out, std::string& error) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = std::string(name) + " is not a string";
    return false;
  }
  std::string v = it->get<std::string>();
  if (v.size() > kMaxLabelBytes) {
    error = std::string(name) + " is longer than " + std::to_string(kMaxLabelBytes) + " bytes";
    return false;
  }
  if (std::any_of(v.begin(), v.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    error = std::string(name) + " holds a control character";
    return false;
  }
  out = std::move(v);
  return true;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::optional<Sample> parse_sample(std::string_view body, std::string& error) {
  if (body.size() > kMaxBodyBytes) {
    error = "body larger than " + std::to_string(kMaxBodyBytes) + " bytes";
    return std::nullopt;
  }
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = "body is not valid JSON";
    return std::nullopt;
  }
  if (!doc.is_object()) {
    error = "body is not a JSON object";
    return std::nullopt;
  }
  Sample s;
  const auto id = doc.find("job_id");
  if (id == doc.end() || id->is_null()) {
    error = "job_id is missing";
    return std::nullopt;
  }
  if (!id->is_number_integer()) {
    error = "job_id is not an integer";
    return std::nullopt;
  }
  const auto id_value = id->is_number_unsigned()
                            ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                  id->get<std::uint64_t>(), std::uint64_t{1} << 40))
                            : id->get<std::int64_t>();
  if (id_value == 0) {
    error = "job_id is 0";
    return std::nullopt;
  }
  if (id_value < 0 || id_value > std::numeric_limits<std::uint32_t>::max()) {
    error = "job_id is out of range (1..4294967295)";
    return std::nullopt;
  }
  s.job_id = static_cast<std::uint32_t>(id_value);
  double pid = 0;
  if (!number_field(doc, "pid", pid, error)) return std::nullopt;
  if (pid != std::floor(pid) || pid > 4194304.0 * 1024) {
    error = "pid is not a process id";
    return std::nullopt;
  }
  s.pid = static_cast<std::int64_t>(pid);
  if (!number_field(doc, "cpus", s.cpus, error) ||
      !number_field(doc, "write_bytes", s.write_bytes, error) ||
      !number_field(doc, "read_bytes", s.read_bytes, error) ||
      !number_field(doc, "threads", s.threads, error) || !number_field(doc, "mem", s.mem, error) ||
      !label_field(doc, "username", s.username, error) ||
      !label_field(doc, "hostname", s.hostname, error)) {
    return std::nullopt;
  }
  return s;
}

Store::Store(std::int64_t fresh_seconds, std::size_t max_entries)
    : fresh_seconds_(fresh_seconds), max_entries_(std::max<std::size_t>(max_entries, 1)) {}

void Store::configure(std::int64_t fresh_seconds, std::size_t max_entries) {
  std::lock_guard lock(mutex_);
  fresh_seconds_ = fresh_seconds;
  max_entries_ = std::max<std::size_t>(max_entries, 1);
}

void Store::expire(std::int64_t now) {
  std::erase_if(samples_,
                [&](const auto& kv) { return now - kv.second.received > fresh_seconds_; });
}

void Store::add(Sample s, std::int64_t now) {
  std::lock_guard lock(mutex_);
  s.received = now;
  const auto it = samples_.find(s.job_id);
  if (it != samples_.end()) {
    it->second = std::move(s);
    return;
  }
  if (samples_.size() >= max_entries_) expire(now);
  if (samples_.size() >= max_entries_) {
    // Full of live jobs: the stalest one makes room (a flood of made-up job ids costs the
    // flood's own entries, the size stays bounded).
    const auto stalest = std::min_element(
        samples_.begin(), samples_.end(),
        [](const auto& a, const auto& b) { return a.second.received < b.second.received; });
    samples_.erase(stalest);
  }
  samples_.emplace(s.job_id, std::move(s));
}

std::vector<Sample> Store::live(std::int64_t now) {
  std::lock_guard lock(mutex_);
  expire(now);
  std::vector<Sample> out;
  out.reserve(samples_.size());
  for (const auto& [id, s] : samples_) out.push_back(s);
  return out;
}

std::size_t Store::size() const {
  std::lock_guard lock(mutex_);
  return samples_.size();
}

std::int64_t Store::fresh_seconds() const {
  std::lock_guard lock(mutex_);
  return fresh_seconds_;
}

Store& process_store() {
  static Store store;
  return store;
}

Response handle_request(Store& store, std::string_view method, std::string_view body,
                        std::int64_t now) {
  Response r;
  if (method == "POST") {
    std::string error;
    auto s = parse_sample(body, error);
    if (!s) {
      r.status = 400;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "400 bad trace sample: " + error + "\n";
      return r;
    }
    store.add(std::move(*s), now);
    r.content_type = "text/plain; charset=utf-8";
    return r;
  }
  if (method == "GET" || method == "HEAD") {
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!DOCTYPE html>\n<html><head><title>Slurm job traces</title></head><body>\n"
        "<h1>Slurm job traces</h1>\n<table border=\"1\">\n<tr><th>job_id</th><th>pid</th>"
        "<th>cpus (%)</th><th>mem (bytes)</th><th>threads</th><th>read_bytes</th>"
        "<th>write_bytes</th><th>username</th><th>hostname</th><th>age (s)</th></tr>\n";
    for (const Sample& s : store.live(now)) {
      r.body += "<tr><td>" + std::to_string(s.job_id) + "</td><td>" + std::to_string(s.pid) +
                "</td><td>" + number(s.cpus) + "</td><td>" + number(s.mem) + "</td><td>" +
                number(s.threads) + "</td><td>" + number(s.read_bytes) + "</td><td>" +
                number(s.write_bytes) + "</td><td>" + html_escape(s.username) + "</td><td>" +
                html_escape(s.hostname) + "</td><td>" + std::to_string(now - s.received) +
                "</td></tr>\n";
    }
    r.body += "</table>\n</body></html>\n";
    return r;
  }
  r.status = 405;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "405 method not allowed\n";
  r.allow_header = true;
  return r;
}

}  // namespace slurm_exporter::trace
