#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak: many polls of the real exporter against a live test cluster, under LeakSanitizer.

Starts a throwaway cluster (scripts/slurm-cluster.sh, SLURM_TEST_PORT_BASE respected) with running
and pending jobs, then for each backend runs the exporter with --slurm.poll-limit=0, so every
sequential scrape is one poll, and scrapes it POLLS times. Every 25 polls it changes Slurm (submits
a job, cancels the oldest, drains or resumes a node) so that polls load full answers, not only
SLURM_NO_CHANGE_IN_DATA. Then it stops the exporter with SIGTERM: LeakSanitizer checks the heap at
exit, so every allocation made through libslurm must have been freed through its API
(slurm_free_*) and every one of ours by its owner. It prints the figures (polls, failed scrapes,
RSS at poll 10 and at the end, the leak report) and exits non-zero on a leak, a sanitizer report
or a failed scrape.

Usage: scripts/soak.py [--polls 1000] [--backend libslurm|cli|both] [--exporter BIN]
BIN defaults to build-asan/prometheus-slurm-exporter, built (-DSLURM_EXPORTER_SANITIZE=ON) when
missing. With a binary built without the sanitizers there is no leak check, only the figures.
Needs root (the cluster) like the integration tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "integration"))

from harness import (CLUSTER_SH, MIB, SLURM_PREFIX, Cluster, Exporter,  # noqa: E402
                     binary_sanitized, ports_free, sanitizer_report, wait_for)

MUTATE_EVERY = 25


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Mutator:
    """Changes Slurm between polls: a job in, the oldest out, node2 drained or resumed."""

    def __init__(self, cluster: Cluster):
        self.c = cluster
        self.jobs: list[str] = []
        self.step = 0

    def __call__(self) -> None:
        self.step += 1
        kind = self.step % 3
        if kind == 0:
            self.jobs.append(self.c.sbatch("-c", "1", "--mem=100"))
        elif kind == 1 and self.jobs:
            self.c.run(["scancel", self.jobs.pop(0)])
        else:
            state = "drain reason=soak" if self.step % 2 else "resume"
            self.c.run(["scontrol", "update", "nodename=node2", *f"state={state}".split()],
                       check=False)

    def cleanup(self) -> None:
        if self.jobs:
            self.c.run(["scancel", *self.jobs], check=False)
        self.c.run(["scontrol", "update", "nodename=node2", "state=resume"], check=False)


def soak(cluster: Cluster, binary: str, backend: str, polls: int,
         mutate: Mutator | None = None) -> dict:
    """Runs one exporter for `polls` sequential polls; returns the figures. Raises AssertionError
    on a failed scrape, a sanitizer report or a non-zero exit."""
    # The cli backend runs the release under test's commands (SLURM_PREFIX), as the suite's
    # exporters do; without the flag it would run Debian's against another release's controller.
    bin_dir = [f"--slurm.bin-dir={SLURM_PREFIX}/bin"] if SLURM_PREFIX else []
    args = ["--web.listen-address=127.0.0.1:0", f"--slurm.conf={cluster.conf}",
            "--slurm.poll-limit=0", f"--backend={backend}", "--collector.node", *bin_dir]
    e = Exporter(binary, args, cluster.env)
    failures = 0
    try:
        e.wait_listening(timeout=30)
        rss_start = 0
        rss_peak = 0
        started = time.monotonic()
        for i in range(1, polls + 1):
            status, body, _ = e.get("/metrics", timeout=60)
            if status != 200 or "\nslurm_up 1" not in body:
                failures += 1
            if i == 10:
                rss_start = rss_bytes(e.proc.pid)
            if i % 50 == 0:
                rss_peak = max(rss_peak, rss_bytes(e.proc.pid))
            if mutate is not None and i % MUTATE_EVERY == 0:
                mutate()
        took = time.monotonic() - started
        rss_end = rss_bytes(e.proc.pid)
        e.proc.terminate()
        code = e.wait_exit(60)
    finally:
        try:
            e.stop()
        except AssertionError:
            pass  # a sanitizer report: raised below, with the figures
    report = sanitizer_report(e.log())
    figures = dict(backend=backend, polls=polls, failed_scrapes=failures, seconds=round(took, 1),
                   rss_at_poll_10_mib=round(rss_start / MIB, 1),
                   rss_peak_mib=round(max(rss_peak, rss_end) / MIB, 1),
                   rss_end_mib=round(rss_end / MIB, 1), exit_code=code,
                   leak_report=report or "none")
    assert not report, f"{backend}: sanitizer report after {polls} polls:\n{report}"
    assert code == 0, f"{backend}: exporter exited {code}:\n{e.log_text()[-3000:]}"
    assert failures == 0, f"{backend}: {failures} of {polls} scrapes failed or had slurm_up != 1"
    return figures


def build_asan(build: Path) -> str:
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DSLURM_EXPORTER_SANITIZE=ON", "-DSLURM_EXPORTER_TESTS=OFF"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build), "-j2", "--target", "prometheus-slurm-exporter"],
                   check=True)
    return str(build / "prometheus-slurm-exporter")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polls", type=int, default=1000)
    ap.add_argument("--backend", choices=("libslurm", "cli", "both"), default="both")
    ap.add_argument("--exporter", help="exporter binary (default: build-asan, built if missing)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("soak.py: must run as root (it starts a Slurm cluster)", file=sys.stderr)
        return 1
    binary = a.exporter or str(ROOT / "build-asan" / "prometheus-slurm-exporter")
    if not a.exporter and not os.access(binary, os.X_OK):
        binary = build_asan(ROOT / "build-asan")
    sanitized = binary_sanitized(binary)
    print(f"soak: {binary} ({'ASan+UBSan+LSan' if sanitized else 'NOT sanitized: no leak check'})")

    base = int(os.environ.get("SLURM_TEST_PORT_BASE", "26817"))
    base = next(b for b in range(base, base + 2000, 100) if ports_free(b, 7))
    directory = Path(tempfile.mkdtemp(prefix="slurm-soak-"))
    c = Cluster(directory, base)
    ok = True
    try:
        c.script("start", str(directory))
        jobs = [c.sbatch("-w", "node1", "-c", "2", "--mem=500"),
                c.sbatch("-w", "node4", "-c", "4", "--mem=1000", "--account=physics"),
                c.sbatch("--hold", "-c", "1", "--mem=100"),
                c.sbatch("--array=1-4", "-w", "node1", "-c", "4", "--mem=100")]
        wait_for(lambda: sum(r.state == "RUNNING" for r in c.squeue()) >= 2, 30, "jobs running")
        backends = ("libslurm", "cli") if a.backend == "both" else (a.backend,)
        for b in backends:
            m = Mutator(c)
            try:
                f = soak(c, binary, b, a.polls, m)
                print("soak: " + " ".join(f"{k}={v}" for k, v in f.items()), flush=True)
            except AssertionError as exc:
                ok = False
                print(f"soak: FAILED: {exc}", file=sys.stderr, flush=True)
            finally:
                m.cleanup()
        c.run(["scancel", *jobs], check=False)
    finally:
        subprocess.run(["bash", str(CLUSTER_SH), "stop", str(directory)], env=c.env,
                       capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
