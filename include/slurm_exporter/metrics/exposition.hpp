// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::metrics {

/// HTTP Content-Type of the text format written here.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Formats a sample value: shortest round-trip decimal, "NaN", "+Inf", "-Inf"; integers
/// without exponent up to 2^53. Locale-independent.
std::string format_value(double value);

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

/// Escapes HELP text: backslash and newline.
std::string escape_help(std::string_view help);

/// Appends text format 0.0.4 for `families` to `out`: `# HELP`, `# TYPE`, then one line per
/// sample. A family with no samples still gets its HELP and TYPE lines.
void write_text(std::span<const Family> families, std::string& out);

}  // namespace slurm_exporter::metrics
