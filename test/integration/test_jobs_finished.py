# SPDX-License-Identifier: GPL-2.0-or-later
"""slurm_jobs_finished_total on a live cluster, both backends: real jobs that complete, fail
(exit 1), time out, get cancelled (running, and pending in two partitions), an array whose tasks
complete and a completed job requeued and completed again. Each must raise its counter by
exactly one (per array task), with the right state, partition and account (the job cancelled
while pending in two partitions once, in the one squeue -t all reports for it), and never again in
later polls.

OUT_OF_MEMORY is not tried: the test cluster runs TaskPlugin=task/none,
ProctrackType=proctrack/linuxproc and JobAcctGatherType=jobacct_gather/none, so Slurm enforces no
memory limit and never sets that state (only task/cgroup's OOM notification does); the unit tests
cover it.

The test runs on a cluster of its own (idle nodes, no finished job of another test listed), so it
gives the same result whether or not the session's shared cluster already carries the workload.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness import (CLUSTER_SH, DEAD_NODES, FINAL_JOB_STATES, NODE_COUNT, POLL_LIMIT, Cluster,
                     Exporter, L, Scrape, exporter_args, exporter_binary, ports_free, wait_for)

FAMILY = "slurm_jobs_finished_total"


def start(cluster, *extra: str) -> Exporter:
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=extra), cluster.env)
    e.wait_listening(timeout=30)
    return e


def counts(scrape: Scrape) -> dict:
    return dict(scrape.get(FAMILY) or {})


def final_states(cluster, job_ids: list[str]) -> dict[str, str]:
    """squeue -t all's state of each job id (array tasks as JOBID_TASK), finished or not."""
    out = cluster.run(["squeue", "-h", "-r", "-t", "all", "-o", "%i|%T"])
    states = dict(line.split("|", 1) for line in out.splitlines() if line.strip())
    return {j: states.get(j, "") for j in job_ids}


@pytest.fixture(scope="module")
def own_cluster():
    """A cluster of this module's own on free ports (node1..node5 idle), stopped at the end."""
    directory = Path(tempfile.mkdtemp(prefix="slurm-it-finished-"))
    first = int(os.environ.get("SLURM_TEST_PORT_BASE", "26817")) + 1000
    base = next((b for b in range(first, first + 2000, 100)
                 if ports_free(b, NODE_COUNT + DEAD_NODES + 1)), None)
    assert base is not None, "no free block of ports"
    c = Cluster(directory, base)
    try:
        c.script("start", str(directory))
        yield c
    finally:
        stop = subprocess.run(["bash", str(CLUSTER_SH), "stop", str(directory)], env=c.env,
                              capture_output=True, text=True, timeout=120)
        if stop.returncode != 0:
            sys.stderr.write(f"slurm-cluster.sh stop failed:\n{stop.stdout}{stop.stderr}\n")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(own_cluster):
    return own_cluster


@pytest.fixture(scope="module")
def exporters(cluster):
    native = start(cluster)
    cli = start(cluster, "--backend=cli")
    try:
        yield {"libslurm": native, "cli": cli}
    finally:
        native.stop()
        cli.stop()


def test_finished_jobs_are_counted_once_each_on_both_backends(cluster, exporters):
    assert "MinJobAge=300" in cluster.conf.read_text()
    before = {name: e.scrape() for name, e in exporters.items()}
    for name, s in before.items():
        assert f"# TYPE {FAMILY} counter\n" in s.text, name
        assert counts(s) == {}, (name, counts(s))  # nothing has finished yet
        # The queue gauge no longer pretends to count finished jobs.
        assert not any(dict(k)["state"] in FINAL_JOB_STATES for k in s.get("slurm_jobs")), name

    j: dict[str, str] = {}
    j["completed"] = cluster.sbatch("-p", "batch", "--account=fin_ok", "-c", "1", "--mem=100",
                                    "--wrap=true")
    j["failed"] = cluster.sbatch("--account=fin_fail", "-c", "1", "--mem=100", "--wrap=exit 1")
    j["timeout"] = cluster.sbatch("--account=fin_slow", "--time=1", "-c", "1", "--mem=100")
    j["cancelled"] = cluster.sbatch("--account=fin_cancel", "-c", "1", "--mem=100")
    j["cancelled_pending"] = cluster.sbatch("-p", "debug,batch", "--hold", "--account=fin_pend",
                                            "-c", "1", "--mem=100")
    array = cluster.sbatch("--array=0-2", "--account=fin_array", "-c", "1", "--mem=100",
                           "--wrap=true")
    tasks = [f"{array}_{i}" for i in range(3)]
    wait_for(lambda: final_states(cluster, [j["cancelled"]])[j["cancelled"]] == "RUNNING", 30,
             "the job to cancel to run")
    # A poll that sees them running or pending first: they must be counted when they end.
    for e in exporters.values():
        time.sleep(POLL_LIMIT + 0.1)
        e.scrape()
    cluster.run(["scancel", j["cancelled"], j["cancelled_pending"]])

    want_states = {j["completed"]: "COMPLETED", j["failed"]: "FAILED", j["timeout"]: "TIMEOUT",
                   j["cancelled"]: "CANCELLED", j["cancelled_pending"]: "CANCELLED",
                   **{t: "COMPLETED" for t in tasks}}
    # Scrape all along, as Prometheus would; --time=1 ends within about two minutes.
    def all_final():
        for e in exporters.values():
            e.scrape()
        return final_states(cluster, list(want_states)) == want_states

    wait_for(all_final, 200, f"the jobs to end as {want_states}:\n"
             + cluster.run(["squeue", "-r", "-t", "all"]), interval=2)
    # slurmctld reports a finished job under one partition: for the job cancelled while pending in
    # debug,batch, one of them (squeue -t all prints the same string both backends read).
    pend_part = cluster.run(["squeue", "-h", "-t", "all", "-j", j["cancelled_pending"], "-o",
                             "%P"]).strip()
    assert pend_part in ("debug", "batch"), pend_part
    want = {
        L(state="COMPLETED", partition="batch", account="fin_ok"): 1,
        L(state="FAILED", partition="debug", account="fin_fail"): 1,
        L(state="TIMEOUT", partition="debug", account="fin_slow"): 1,
        L(state="CANCELLED", partition="debug", account="fin_cancel"): 1,
        # Cancelled while pending in debug,batch: counted once.
        L(state="CANCELLED", partition=pend_part, account="fin_pend"): 1,
        L(state="COMPLETED", partition="debug", account="fin_array"): 3,
    }
    # Every later poll (they stay listed for MinJobAge) shows the same counts: none twice.
    for _ in range(3):
        time.sleep(POLL_LIMIT + 0.2)
        for name, e in exporters.items():
            assert counts(e.scrape()) == want, name

    # An exporter started now finds these jobs already finished: it does not count them (a
    # restart would count them twice) but has their series, at 0.
    late = start(cluster)
    try:
        assert counts(late.scrape()) == {k: 0 for k in want}
        time.sleep(POLL_LIMIT + 0.2)
        assert counts(late.scrape()) == {k: 0 for k in want}
    finally:
        late.stop()

    # A completed job requeued runs again (Slurm holds it back for the credential lifetime,
    # ~120 s): counted again when it completes again. The other jobs may be purged meanwhile
    # (MinJobAge): their counts stay.
    cluster.run(["scontrol", "requeue", j["completed"]])
    wait_for(lambda: final_states(cluster, [j["completed"]])[j["completed"]] != "COMPLETED", 30,
             "the requeued job to leave COMPLETED")
    for e in exporters.values():
        time.sleep(POLL_LIMIT + 0.1)
        assert counts(e.scrape()) == want

    def completed_again():
        for e in exporters.values():
            e.scrape()
        return final_states(cluster, [j["completed"]])[j["completed"]] == "COMPLETED"

    wait_for(completed_again, 300, "the requeued job to complete again", interval=2)
    want[L(state="COMPLETED", partition="batch", account="fin_ok")] = 2
    for _ in range(2):
        time.sleep(POLL_LIMIT + 0.2)
        for name, e in exporters.items():
            assert counts(e.scrape()) == want, name
