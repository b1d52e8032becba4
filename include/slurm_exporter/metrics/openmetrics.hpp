// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace slurm_exporter::metrics {

/// HTTP Content-Type of the OpenMetrics text written here.
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// OpenMetrics 1.0.0 text from text format 0.0.4 as write_text_checked writes it (HELP before
/// TYPE, then the samples), the way client_golang's OpenMetrics writer renders the same
/// families: `untyped` becomes `unknown`; a counter's HELP and TYPE lines name it without
/// `_total` and its samples carry `_total`; `"` in HELP is escaped; comments other than HELP and
/// TYPE are dropped; `# EOF` ends it. Pure; throws std::invalid_argument on a sample line that
/// names no family declared before it.
std::string to_openmetrics(std::string_view text);

/// Whether an HTTP Accept header asks for OpenMetrics before text 0.0.4 (client_golang's
/// negotiation: the highest-q acceptable type wins, ties in order; OpenMetrics versions 1.0.0,
/// 0.0.1 or none). No or an unparsable header: false (0.0.4 stays the default).
bool prefers_openmetrics(std::string_view accept);

}  // namespace slurm_exporter::metrics
