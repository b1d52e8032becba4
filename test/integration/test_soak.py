# SPDX-License-Identifier: GPL-2.0-or-later
"""The short soak of the suite (the long one is scripts/soak.py, 1,000 polls per backend): many
sequential polls of the exporter (--slurm.poll-limit=0) while Slurm changes, then SIGTERM. Built
with -DSLURM_EXPORTER_SANITIZE=ON (as scripts/test.sh builds), LeakSanitizer checks the heap at
exit, so a libslurm message not freed through slurm_free_* or any leak of ours fails the test.
With any build, no scrape may fail and the RSS must level off."""

from __future__ import annotations

import importlib.util
import sys

from harness import MIB, PROJECT_ROOT, binary_sanitized, exporter_binary

_spec = importlib.util.spec_from_file_location("soak", PROJECT_ROOT / "scripts" / "soak.py")
soak_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(soak_script)

# Polls per backend: the cli backend runs five Slurm commands per poll, hence fewer.
POLLS = {"libslurm": 200, "cli": 40}
# Growth allowed between poll 10 and the end: the heap settling and, when sanitized, ASan's
# 16 MiB quarantine of freed blocks filling up (harness.SANITIZER_ENV). The leak check proper is
# LeakSanitizer's at exit; this bound catches gross growth in a plain build too.
RSS_GROWTH_MIB = {False: 8, True: 40}


def test_soak_without_leaks(cluster):
    binary = exporter_binary()
    sanitized = binary_sanitized(binary)
    for backend, polls in POLLS.items():
        mutate = soak_script.Mutator(cluster)
        try:
            f = soak_script.soak(cluster, binary, backend, polls, mutate)
        finally:
            mutate.cleanup()
        sys.stderr.write(f"soak figures (sanitized={sanitized}): {f}\n")
        growth = f["rss_end_mib"] - f["rss_at_poll_10_mib"]
        assert growth < RSS_GROWTH_MIB[sanitized], f"RSS grew {growth:.1f} MiB: {f}"
        assert f["leak_report"] == "none"
