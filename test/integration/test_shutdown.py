# SPDX-License-Identifier: GPL-2.0-or-later
"""Shutdown has a deadline: SIGTERM while a libslurm poll hangs on a frozen slurmctld (SIGSTOP:
its RPCs wait for the exporter's MessageTimeout, 60 s here) ends the exporter within a few
seconds, with status 0 and through exit(), so LeakSanitizer's check still runs. On the code
before the deadline, the exporter waited for the RPC (about a minute)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

from harness import Exporter, exporter_args, exporter_binary, http_get, sanitizer_report

MESSAGE_TIMEOUT = 60
# The exporter's own deadline is 3 s; the rest is exit work (sanitizer checks), far under the
# 60 s the hanging RPC would take.
EXIT_BOUND = 15.0


def test_sigterm_during_a_poll_hanging_on_a_frozen_slurmctld_exits_by_a_deadline(cluster):
    conf = cluster.dir / "slurm-long-timeout.conf"
    text = re.sub(r"(?m)^MessageTimeout=.*\n", "", cluster.conf.read_text())
    conf.write_text(text + f"MessageTimeout={MESSAGE_TIMEOUT}\n")
    args = [a if not a.startswith("--slurm.conf=") else f"--slurm.conf={conf}"
            for a in exporter_args(cluster, extra=("--backend=libslurm",))]
    e = Exporter(exporter_binary(), args, dict(cluster.env, SLURM_CONF=str(conf)))
    pid = int((cluster.dir / "run" / "slurmctld.pid").read_text().split()[0])
    try:
        e.wait_listening()
        assert e.scrape().value("slurm_up") == 1
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(1.5)  # the cached poll ages past the poll limit
            # A scrape starts a poll that hangs in libslurm; it does not answer.
            threading.Thread(target=lambda: _ignore(http_get, e.base_url + "/metrics", 120),
                             daemon=True).start()
            time.sleep(2.0)
            e.proc.send_signal(signal.SIGTERM)
            start = time.monotonic()
            rc = e.wait_exit(60)
            took = time.monotonic() - start
        finally:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.3)
        log = e.log_text()
        assert rc == 0, f"exit status {rc} after SIGTERM:\n{log}"
        assert took < EXIT_BOUND, f"exited {took:.1f}s after SIGTERM:\n{log}"
        assert "shutdown deadline passed" in log, log
        assert not sanitizer_report(e.log()), log
    finally:
        e.stop()


def _ignore(f, *args):
    try:
        f(*args)
    except Exception:
        pass
