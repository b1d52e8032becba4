# SPDX-License-Identifier: GPL-2.0-or-later
"""Faults of the Slurm side while the real exporter serves: slurmctld frozen by SIGSTOP (its RPCs
hang), restarted under continuous scraping, and munge gone. In each, /metrics keeps answering 200
within a bound, slurm_up says what is wrong, the first poll after recovery is correct, and the
exporter's threads and file descriptors return to their baseline.

The stopped-slurmctld outage is in test_exporter_process.py. munge is faulted with a private
munged (same key, own socket) that only the exporter uses, so the shared munged, slurmctld and the
other tests are never touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import (POLL_LIMIT, Exporter, Scrape, distinct_nodes, exporter_args, exporter_binary,
                     http_get, wait_for)

# A scrape may wait for one poll; a poll against a frozen controller ends by libslurm's
# MessageTimeout (5 s in the test cluster) per RPC, so 45 s is a generous bound, not a speed goal.
SCRAPE_BOUND = 45.0
BACKENDS = ("libslurm", "cli")


def proc_counts(pid: int) -> tuple[int, int]:
    """(threads, open file descriptors) of a process."""
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def scrape_bounded(e: Exporter, label: str) -> Scrape:
    start = time.monotonic()
    status, body, _ = http_get(e.base_url + "/metrics", timeout=SCRAPE_BOUND)
    took = time.monotonic() - start
    assert status == 200, f"{label}: /metrics answered {status} after {took:.1f}s:\n{body[:1000]}"
    return Scrape(body)


def wait_up_and_correct(cluster, e: Exporter, label: str, timeout: float = 60) -> Scrape:
    """Waits for slurm_up 1 and checks slurm_cpus_total against sinfo."""
    s = wait_for(lambda: (lambda s: s if s.value("slurm_up") == 1 else None)(
        scrape_bounded(e, label)), timeout, f"{label}: slurm_up 1", interval=0.5)
    total = sum(n.total_cpus for n in distinct_nodes(cluster.sinfo()))
    assert s.value("slurm_cpus_total") == total, \
        f"{label}: slurm_cpus_total {s.value('slurm_cpus_total')} != sinfo's {total}"
    return s


def assert_back_to_baseline(e: Exporter, baseline: tuple[int, int], label: str) -> None:
    """Threads and fds return to (near) the baseline within a bounded wait: no leak per fault."""
    threads0, fds0 = baseline

    def settled():
        threads, fds = proc_counts(e.proc.pid)
        return (threads, fds) if threads <= threads0 + 1 and fds <= fds0 + 3 else None

    try:
        wait_for(settled, 30, "threads and fds back to the baseline")
    except AssertionError:
        raise AssertionError(f"{label}: (threads, fds) = {proc_counts(e.proc.pid)}, "
                             f"baseline {baseline}\nfds: "
                             f"{sorted(os.readlink(f'/proc/{e.proc.pid}/fd/{f}') for f in os.listdir(f'/proc/{e.proc.pid}/fd'))}")


def ctld_pid(cluster) -> int:
    return int((cluster.dir / "run" / "slurmctld.pid").read_text().split()[0])


def start_exporter(exporter, cluster, backend: str) -> Exporter:
    e = exporter(extra_args=(f"--backend={backend}",))
    wait_up_and_correct(cluster, e, f"{backend}: before the fault")
    return e


@pytest.mark.parametrize("backend", BACKENDS)
def test_frozen_controller_polls_end_by_a_deadline_and_recover(cluster, exporter, backend):
    e = start_exporter(exporter, cluster, backend)
    baseline = proc_counts(e.proc.pid)
    pid = ctld_pid(cluster)
    os.kill(pid, signal.SIGSTOP)
    try:
        frozen_at = time.monotonic()
        downs = 0
        scrapes = 0
        # Several polls against the frozen controller: each scrape answers in bounded time; the
        # poll ends by a deadline (else slurm_up would never turn 0).
        while downs < 3:
            s = scrape_bounded(e, f"{backend}: frozen")
            scrapes += 1
            assert s.get("slurm_exporter_build_info"), f"{backend}: build_info missing while frozen"
            if s.value("slurm_up") == 0:
                downs += 1
            time.sleep(POLL_LIMIT + 0.2)
            assert time.monotonic() - frozen_at < 120, \
                f"{backend}: slurm_up still not 0 after {scrapes} scrapes of a frozen slurmctld"
        # While the last poll failed, scrapes get the cached failure at once even though the
        # background poll hangs on the frozen controller.
        start = time.monotonic()
        for _ in range(5):
            assert scrape_bounded(e, f"{backend}: frozen, cached").value("slurm_up") == 0
        quick = time.monotonic() - start
        assert quick < 5 * 5, f"{backend}: cached answers while frozen took {quick:.1f}s"
        assert e.proc.poll() is None, f"exporter exited while slurmctld was frozen:\n{e.log_text()}"
        wait_for(lambda: any("collector failed" in l for l in e.log()), 5,
                 f"{backend}: a collector failure logged while frozen")
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_up_and_correct(cluster, e, f"{backend}: after SIGCONT")
    assert_back_to_baseline(e, baseline, f"{backend}: freeze cycle")


def test_restart_under_continuous_scraping(cluster, exporter):
    e = start_exporter(exporter, cluster, "libslurm")
    baseline = proc_counts(e.proc.pid)
    failures: list[str] = []
    count = [0]
    stop = threading.Event()

    def scrape_loop():
        while not stop.is_set():
            try:
                status, body, _ = http_get(e.base_url + "/metrics", timeout=SCRAPE_BOUND)
                if status != 200:
                    failures.append(f"status {status}: {body[:200]}")
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(exc))
            count[0] += 1
            time.sleep(0.2)

    t = threading.Thread(target=scrape_loop, daemon=True)
    t.start()
    try:
        for _ in range(2):
            cluster.stop_ctld()
            time.sleep(2)
            cluster.start_ctld()
            wait_up_and_correct(cluster, e, "after restart")
    finally:
        stop.set()
        t.join(timeout=SCRAPE_BOUND + 5)
        cluster.start_ctld()  # no-op when running; a failed stop/start must not break later tests
    assert count[0] > 5, f"only {count[0]} scrapes during two restarts"
    assert not failures, f"{len(failures)} of {count[0]} scrapes failed: {failures[:5]}"
    assert_back_to_baseline(e, baseline, "restart cycles")


class PrivateMunge:
    """A munged of our own (same key, own socket) used only by the exporter under test."""

    def __init__(self, base: Path):
        self.dir = base
        self.socket = base / "munge.socket"
        self.pidfile = base / "munged.pid"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged", f"--socket={self.socket}",
                        f"--pid-file={self.pidfile}", f"--log-file={self.dir / 'munged.log'}",
                        f"--seed-file={self.dir / 'munged.seed'}"], check=True, timeout=30,
                       capture_output=True)
        wait_for(lambda: subprocess.run(
            f"munge -S {self.socket} -n | unmunge -S {self.socket}", shell=True,
            capture_output=True).returncode == 0, 10, "the private munged to answer")

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), 10, "the private munged to exit")


@pytest.fixture
def private_munge():
    base = Path(f"/run/munge-faults-{os.getpid()}")
    base.mkdir(mode=0o755, exist_ok=True)
    shutil.chown(base, "munge", "munge")
    m = PrivateMunge(base)
    m.start()
    try:
        yield m
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_munge_stopped_and_restarted(cluster, exporter, private_munge, backend):
    conf = cluster.dir / f"slurm-private-munge-{backend}.conf"
    lines = [l for l in cluster.conf.read_text().splitlines() if not l.startswith("AuthInfo")]
    conf.write_text("\n".join(lines + [f"AuthInfo=socket={private_munge.socket}"]) + "\n")
    args = [a if not a.startswith("--slurm.conf=") else f"--slurm.conf={conf}"
            for a in exporter_args(cluster, extra=(f"--backend={backend}",))]
    env = dict(cluster.env, SLURM_CONF=str(conf))
    e = Exporter(exporter_binary(), args, env)
    try:
        e.wait_listening()
        wait_up_and_correct(cluster, e, f"{backend}: before munge stops")
        baseline = proc_counts(e.proc.pid)
        mark = len(e.log())
        private_munge.stop()
        try:
            wait_for(lambda: scrape_bounded(e, f"{backend}: munge down").value("slurm_up") == 0,
                     60, f"{backend}: slurm_up 0 without munge", interval=POLL_LIMIT + 0.2)
            for _ in range(3):  # keeps serving
                time.sleep(POLL_LIMIT + 0.2)
                assert scrape_bounded(e, f"{backend}: munge down").value("slurm_up") == 0
            failed = [l for l in e.log()[mark:] if "collector failed" in l]
            assert failed, f"{backend}: no collector failure logged:\n" + "\n".join(e.log()[mark:])
            assert any(w in failed[0].lower() for w in ("auth", "munge", "credential")), \
                f"{backend}: the failure does not name authentication: {failed[0]}"
        finally:
            private_munge.start()
        wait_up_and_correct(cluster, e, f"{backend}: after munge returned")
        wait_for(lambda: any("collector recovered" in l for l in e.log()[mark:]), 5,
                 f"{backend}: recovery logged")
        assert_back_to_baseline(e, baseline, f"{backend}: munge cycle")
    finally:
        e.stop()
