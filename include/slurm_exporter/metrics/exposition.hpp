// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::metrics {

/// HTTP Content-Type of the text format written here.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Formats a sample value: shortest round-trip decimal, "NaN", "+Inf", "-Inf"; integers
/// without exponent up to 2^53. Locale-independent.
std::string format_value(double value);

/// Label values come from Slurm and may hold any bytes (Latin-1, broken UTF-8, control
/// characters): the writer cuts a value at this many bytes of UTF-8, counted before escaping (on
/// a character boundary).
inline constexpr std::size_t kMaxLabelValueBytes = 1024;

/// A label value as written: cut at kMaxLabelValueBytes, each invalid UTF-8 byte and each
/// control character other than newline replaced by U+FFFD, then backslash, double quote and
/// newline escaped. Valid UTF-8 of any script passes unchanged.
std::string escape_label_value(std::string_view value);

/// Escapes HELP text: backslash and newline.
std::string escape_help(std::string_view help);

/// Why `family` must not be served, empty when it may: a metric name Prometheus does not accept
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`), a label name it does not accept (`[a-zA-Z_][a-zA-Z0-9_]*`, not
/// starting with "__"; "le" only as a histogram bucket's own label) or that repeats, a sample
/// with more or fewer label values than the family has label names, a histogram suffix or `le`
/// on a sample of another type. Duplicate series are found by write_text_checked.
std::string family_problem(const Family& family);

/// Appends text format 0.0.4 for `families` to `out`: `# HELP`, `# TYPE`, then one line per
/// sample. A family with no samples still gets its HELP and TYPE lines. A family with a
/// family_problem(), with two samples of the same series, or named like an earlier family of
/// the same call is left out whole (nothing of it is written); the returned list says why, one
/// "family NAME: problem" per family left out (empty when everything was written).
std::vector<std::string> write_text_checked(std::span<const Family> families, std::string& out);

/// write_text_checked for code whose families are right by construction (the collectors): a
/// family left out is a programming error. Debug builds assert; release builds log it at error
/// level and serve the rest.
void write_text(std::span<const Family> families, std::string& out);

}  // namespace slurm_exporter::metrics
