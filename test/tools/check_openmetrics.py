# SPDX-License-Identifier: GPL-2.0-or-later
"""Parses OpenMetrics text on stdin with prometheus_client's strict parser (Debian's
python3-prometheus-client); exit 77 (skipped) when it is not installed."""
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    sys.exit(77)

text = sys.stdin.read()
samples = sum(len(f.samples) for f in text_string_to_metric_families(text))
if samples == 0:
    sys.exit("no samples")
print(f"{samples} samples parsed")
