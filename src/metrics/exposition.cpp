// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

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
  append_escaped<true>(out, value);
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  append_escaped<false>(out, help);
  return out;
}

void write_text(std::span<const Family> families, std::string& out) {
  for (const Family& f : families) {
    out.append("# HELP ").append(f.name).push_back(' ');
    append_escaped<false>(out, f.help);
    out.append("\n# TYPE ").append(f.name).push_back(' ');
    out.append(type_name(f.type)).push_back('\n');
    for (const Sample& s : f.samples) {
      out.append(f.name).append(s.suffix);
      if (!f.label_names.empty() || !s.le.empty()) {
        out.push_back('{');
        for (std::size_t i = 0; i < f.label_names.size(); ++i) {
          if (i) out.push_back(',');
          out.append(f.label_names[i]).append("=\"");
          if (i < s.label_values.size()) append_escaped<true>(out, s.label_values[i]);
          out.push_back('"');
        }
        if (!s.le.empty()) {
          if (!f.label_names.empty()) out.push_back(',');
          out.append("le=\"").append(s.le).push_back('"');
        }
        out.push_back('}');
      }
      out.push_back(' ');
      out.append(format_value(s.value)).push_back('\n');
    }
  }
}

}  // namespace slurm_exporter::metrics
