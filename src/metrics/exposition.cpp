// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/exposition.hpp"

#include <cassert>
#include <charconv>
#include <cmath>
#include <system_error>
#include <unordered_set>

#include "slurm_exporter/log.hpp"

namespace slurm_exporter::metrics {

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integers (the common case: counts, bytes) print without exponent or fraction.
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
    return std::string(buf, r.ptr);
  }
  // std::to_chars is locale-independent and gives the shortest round-trip form.
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 when it is not one
// (a stray continuation byte, an overlong form, a surrogate, above U+10FFFF, cut short).
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

template <bool kQuote>
void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '"':
        if constexpr (kQuote) {
          out.append("\\\"");
        } else {
          out.push_back(c);
        }
        break;
      default:
        out.push_back(c);
    }
  }
}

// A label value from Slurm, which may hold any bytes: cut at kMaxLabelValueBytes (on a
// character boundary), invalid UTF-8 and control characters (other than the escaped newline)
// each replaced by U+FFFD, then escaped.
void append_label_value(std::string& out, std::string_view s) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s.substr(i));
    const std::size_t width = n == 0 ? 1 : n;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool control = n == 1 && (c < 0x20 || c == 0x7F) && c != '\n';
    const std::size_t out_width = (n == 0 || control) ? kReplacement.size() : width;
    if (used + out_width > kMaxLabelValueBytes) break;
    used += out_width;
    if (n == 0 || control) {
      out.append(kReplacement);
    } else {
      append_escaped<true>(out, s.substr(i, n));
    }
    i += width;
  }
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kGauge:
      return "gauge";
    case Type::kCounter:
      return "counter";
    case Type::kUntyped:
      return "untyped";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_label_value(out, value);
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  append_escaped<false>(out, help);
  return out;
}

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_metric_name(std::string_view n) {
  if (n.empty() || !(is_letter(n[0]) || n[0] == ':')) return false;
  for (char c : n) {
    if (!is_letter(c) && !is_digit(c) && c != ':') return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || !is_letter(n[0]) || n.starts_with("__")) return false;
  for (char c : n) {
    if (!is_letter(c) && !is_digit(c)) return false;
  }
  return true;
}

std::string sample_problem(const Family& f, const Sample& s) {
  if (s.label_values.size() != f.label_names.size()) {
    return "a sample has " + std::to_string(s.label_values.size()) + " label values for " +
           std::to_string(f.label_names.size()) + " label names";
  }
  if (f.type == Type::kHistogram) {
    if (s.suffix != "_bucket" && s.suffix != "_sum" && s.suffix != "_count") {
      return "a histogram sample without _bucket, _sum or _count";
    }
    if ((s.suffix == "_bucket") == s.le.empty()) return "le on a sample that is not a bucket";
  } else if (!s.suffix.empty() || !s.le.empty()) {
    return "a histogram suffix or le on a sample of another type";
  }
  return {};
}

// Writes one family's samples; `keys` gets each series' text (name and labels) as offsets.
void write_samples(const Family& f, std::string& out,
                   std::vector<std::pair<std::size_t, std::size_t>>& keys) {
  for (const Sample& s : f.samples) {
    const std::size_t start = out.size();
    out.append(f.name).append(s.suffix);
    if (!f.label_names.empty() || !s.le.empty()) {
      out.push_back('{');
      for (std::size_t i = 0; i < f.label_names.size(); ++i) {
        if (i) out.push_back(',');
        out.append(f.label_names[i]).append("=\"");
        append_label_value(out, s.label_values[i]);
        out.push_back('"');
      }
      if (!s.le.empty()) {
        if (!f.label_names.empty()) out.push_back(',');
        out.append("le=\"").append(s.le).push_back('"');
      }
      out.push_back('}');
    }
    keys.emplace_back(start, out.size() - start);
    out.push_back(' ');
    out.append(format_value(s.value)).push_back('\n');
  }
}

}  // namespace

std::string family_problem(const Family& f) {
  if (!valid_metric_name(f.name)) return "not a valid metric name";
  std::unordered_set<std::string_view> names;
  for (const std::string& l : f.label_names) {
    if (!valid_label_name(l)) return "label name \"" + l + "\" is not valid";
    if (l == "le" && f.type == Type::kHistogram) return "label name \"le\" on a histogram";
    if (!names.insert(l).second) return "label name \"" + l + "\" twice";
  }
  for (const Sample& s : f.samples) {
    if (std::string p = sample_problem(f, s); !p.empty()) return p;
  }
  return {};
}

std::vector<std::string> write_text_checked(std::span<const Family> families, std::string& out) {
  std::vector<std::string> problems;
  std::unordered_set<std::string_view> family_names;
  std::vector<std::pair<std::size_t, std::size_t>> keys;
  for (const Family& f : families) {
    std::string problem = family_problem(f);
    if (problem.empty() && !family_names.insert(f.name).second) problem = "named twice";
    if (!problem.empty()) {
      problems.push_back("family " + f.name + ": " + problem);
      continue;
    }
    const std::size_t begin = out.size();
    out.append("# HELP ").append(f.name).push_back(' ');
    append_escaped<false>(out, f.help);
    out.append("\n# TYPE ").append(f.name).push_back(' ');
    out.append(type_name(f.type)).push_back('\n');
    keys.clear();
    write_samples(f, out, keys);
    // The text is complete now (no more reallocation): views into it are stable.
    std::unordered_set<std::string_view> series;
    series.reserve(keys.size());
    for (const auto& [at, len] : keys) {
      const std::string_view key(out.data() + at, len);
      if (!series.insert(key).second) {
        problems.push_back("family " + f.name + ": series " + std::string(key) + " twice");
        break;
      }
    }
    if (series.size() != keys.size()) out.resize(begin);
  }
  return problems;
}

void write_text(std::span<const Family> families, std::string& out) {
  for (const std::string& problem : write_text_checked(families, out)) {
    log::error("metric family left out", {{"problem", problem}});
    assert(!"a collector built a family that must not be served");
  }
}

}  // namespace slurm_exporter::metrics
