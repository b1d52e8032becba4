# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the integration tests: a real Slurm cluster (scripts/slurm-cluster.sh), a settled
workload on it, and the exporter binary (EXPORTER_BIN) running against it.

Run: EXPORTER_BIN=build/prometheus-slurm-exporter /usr/bin/python3 -m pytest -v -p no:cacheprovider
     test/integration/test_live_metrics.py          (as root; ctest does this for every test_*.py)
Environment: SLURM_TEST_PORT_BASE (first port to try, default 26817), SLURM_TEST_KEEP=1 keeps the
cluster directory (logs, state) after the run.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness import (CLUSTER_SH, DEAD_NODES, NODE_COUNT, SECOND_USER, Cluster, Exporter,
                     exporter_args, exporter_binary, ports_free, wait_for)


def _sigterm_to_interrupt(signum, frame):
    # ctest (and CI) stop a run with SIGTERM: turn it into what pytest treats as an interruption,
    # so that fixture finalizers still stop the cluster.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session):
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    if os.geteuid() != 0:
        pytest.exit("the integration tests start slurmctld/slurmd and must run as root", returncode=1)


def _pick_port_base() -> int:
    first = int(os.environ.get("SLURM_TEST_PORT_BASE", "26817"))
    for base in range(first, first + 2000, 100):
        if ports_free(base, NODE_COUNT + DEAD_NODES + 1):
            return base
    raise AssertionError(f"no free block of {NODE_COUNT + DEAD_NODES + 1} ports from {first} on")


def _watchdog(directory: Path) -> subprocess.Popen:
    """Stops the cluster if this pytest process dies without running its finalizers (SIGKILL)."""
    script = (f'while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; '
              f'exec bash "{CLUSTER_SH}" stop "{directory}" --purge')
    return subprocess.Popen(["bash", "-c", script], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def cluster():
    """A cluster on loopback (node1..node5 with a slurmd, node6 without), torn down at the end
    whatever happens."""
    directory = Path(tempfile.mkdtemp(prefix="slurm-it-"))
    watchdog = _watchdog(directory)
    c = Cluster(directory, _pick_port_base())
    try:
        try:
            c.script("start", str(directory))
        except AssertionError as exc:
            pytest.fail(f"could not start the test cluster:\n{exc}", pytrace=False)
        yield c
    finally:
        stop = subprocess.run(["bash", str(CLUSTER_SH), "stop", str(directory)], env=c.env,
                              capture_output=True, text=True, timeout=120)
        if stop.returncode != 0:
            sys.stderr.write(f"slurm-cluster.sh stop failed:\n{stop.stdout}{stop.stderr}\n")
        if os.environ.get("SLURM_TEST_KEEP") == "1":
            sys.stderr.write(f"keeping the cluster directory {directory}\n")
        else:
            shutil.rmtree(directory, ignore_errors=True)
        watchdog.kill()
        watchdog.wait()


ACCOUNTING_PORT_SPAN = 32  # slurmdbd on base+30, MariaDB on base+31 (scripts/slurm-cluster.sh)


@pytest.fixture(scope="session")
def accounting_cluster():
    """An accounting cluster (SLURM_TEST_ACCOUNTING=1: MariaDB, slurmdbd, the association tree of
    scripts/slurm-cluster.sh and its jobs: finished ones, running ones and ones pending on
    limits), in its own directory and ports, torn down at the end whatever happens. Its
    `accounting_jobs` maps the script's roles (gpu_run, chem_pend, …) to job ids."""
    directory = Path(tempfile.mkdtemp(prefix="slurm-acct-"))
    watchdog = _watchdog(directory)
    first = int(os.environ.get("SLURM_TEST_PORT_BASE", "26817"))
    base = next((b for b in range(first, first + 3000, 100)
                 if ports_free(b, ACCOUNTING_PORT_SPAN)), None)
    assert base is not None, f"no free block of {ACCOUNTING_PORT_SPAN} ports from {first} on"
    c = Cluster(directory, base)
    c.env["SLURM_TEST_ACCOUNTING"] = "1"
    try:
        try:
            c.script("start", str(directory), timeout=300)
        except AssertionError as exc:
            pytest.fail(f"could not start the accounting cluster:\n{exc}", pytrace=False)
        yield c
    finally:
        stop = subprocess.run(["bash", str(CLUSTER_SH), "stop", str(directory)], env=c.env,
                              capture_output=True, text=True, timeout=180)
        if stop.returncode != 0:
            sys.stderr.write(f"slurm-cluster.sh stop failed:\n{stop.stdout}{stop.stderr}\n")
        if os.environ.get("SLURM_TEST_KEEP") == "1":
            sys.stderr.write(f"keeping the cluster directory {directory}\n")
        else:
            shutil.rmtree(directory, ignore_errors=True)
        watchdog.kill()
        watchdog.wait()


class Workload:
    """The scenario the workload fixture put the cluster in (job ids by role)."""

    def __init__(self):
        self.jobs: dict[str, str] = {}


EXPECTED_NODE_STATES = {
    "node1": {"allocated"},  # two jobs use its 4 CPUs
    "node2": {"draining"},  # GPU jobs run on it, then it is drained
    # idle, then drained; in debug and batch; in the active maintenance reservation ($)
    "node3": {"drained$"},
    "node4": {"mixed"},  # 7 of 8 CPUs; in debug and batch
    "node5": {"down*"},  # slurmd stopped, then set down
    "node6": {"unknown*", "down*"},  # never had a slurmd: free memory and load N/A
}


@pytest.fixture(scope="session")
def workload(cluster):
    """Running, pending, held, array, multi-partition and other-user jobs; a drained and a down
    node. Waits (bounded) until Slurm shows the settled state."""
    c = cluster
    c.script("ensure-user", SECOND_USER)
    w = Workload()
    j = w.jobs
    # node1 full: 2 CPUs/1000M + 2 CPUs at 700M per CPU (TRES mem=1400M).
    j["plain"] = c.sbatch("-w", "node1", "-c", "2", "--mem=1000", "-L", "matlab:3")
    j["mem_per_cpu"] = c.sbatch("-w", "node1", "-c", "2", "--mem-per-cpu=700")
    # node4 (8 CPUs) mixed: accounts, a second partition, another user.
    # It also holds half of node4's consumable non-GPU GRES (test_gres.py).
    j["physics"] = c.sbatch("-w", "node4", "-c", "1", "--mem=500", "--account=physics",
                            "-L", "fluent:1,matlab:1", "--gres=bandwidth:nvme:1K")
    j["chem_batch"] = c.sbatch("-w", "node4", "-p", "batch", "-c", "2", "--mem=2000",
                               "--account=chem")
    j["two_partitions"] = c.sbatch("-w", "node4", "-p", "debug,batch", "-c", "1", "--mem=1G")
    j["other_user"] = c.sbatch("-w", "node4", "-c", "1", "--mem=300", user=SECOND_USER)
    # Pending: more than fits on node1, a held job, an array that cannot start, a held job in two
    # partitions and one waiting for its begin time.
    j["pending_resources"] = c.sbatch("-w", "node1", "-c", "1", "--mem=100")
    j["pending_physics"] = c.sbatch("-w", "node1", "-c", "1", "--mem=100", "--account=physics")
    j["held"] = c.sbatch("--hold", "-c", "1", "--mem=100")
    j["array"] = c.sbatch("--array=1-5", "-w", "node1", "-c", "4", "--mem=2G")
    j["held_two_partitions"] = c.sbatch("-p", "debug,batch", "--hold", "-c", "1", "--mem=200")
    j["begin"] = c.sbatch("-p", "batch,debug", "--begin=now+3600", "-c", "3", "--mem=200",
                          "--account=chem")
    # Slurm prints this request as mem=1.50G in its TRES strings.
    j["decimal_mem"] = c.sbatch("--hold", "-c", "1", "--mem=1536")
    # Runs on node2, then is requeued and held: pending with a state description
    # ("job requeued in held state") that squeue prints instead of the reason code.
    j["requeued"] = c.sbatch("-w", "node2", "-c", "1", "--mem=100")
    # GPUs asked for each of the three ways (node2: a100:2 + v100:2, node4: 4 untyped):
    # --gpus per job (untyped: Slurm picks types), --gpus-per-node on two nodes, --gres.
    j["gpu_gpus"] = c.sbatch("-w", "node2", "--gpus=3", "-c", "1", "--mem=100")
    j["gpu_per_node"] = c.sbatch("-N", "2", "-w", "node2,node4", "--gpus-per-node=1", "-c", "1",
                                 "--mem=100", "--account=physics")
    j["gpu_gres"] = c.sbatch("-w", "node4", "--gres=gpu:2", "-c", "1", "--mem=100",
                             user=SECOND_USER)
    # Pending GPU requests: per task (node2's GPUs are all in use) and a held typed one.
    j["gpu_pending"] = c.sbatch("-w", "node2", "-n", "2", "--gpus-per-task=1", "--mem=100")
    j["gpu_held"] = c.sbatch("--hold", "--gpus=a100:1", "-c", "1", "--mem=100")
    running = {"plain", "mem_per_cpu", "physics", "chem_batch", "two_partitions", "other_user",
               "requeued", "gpu_gpus", "gpu_per_node", "gpu_gres"}

    def jobs_started():
        states = {r.job_id: r.state for r in c.squeue()}
        return all(states.get(j[k]) == "RUNNING" for k in running)

    wait_for(jobs_started, 30, "the workload's jobs to run:\n" + c.run(["squeue", "-r"]))
    c.run(["scontrol", "requeuehold", j["requeued"]])

    c.run(["scontrol", "update", "nodename=node3", "state=drain", "reason=maint test"])
    # node2 still runs GPU jobs: draining, not drained.
    c.run(["scontrol", "update", "nodename=node2", "state=drain", "reason=gpu swap"])
    # Reservations: a maintenance one active now on the drained node (sinfo prints `drained$`;
    # its primary state stays drained), holding a license, and a future one on node2.
    c.run(["scontrol", "create", "reservation", "reservationname=maint_now", "starttime=now",
           "duration=1-00:00:00", "nodes=node3", "flags=maint,ignore_jobs", "users=root",
           "licenses=spare:1"])
    # ignore_jobs: node2's jobs have no time limit, so they would overlap it.
    c.run(["scontrol", "create", "reservation", "reservationname=future", "starttime=now+1day",
           "duration=60", "nodes=node2", "users=root", "partition=debug", "flags=ignore_jobs"])
    # An ordinary reservation active now on node1, which runs jobs: StateComplete
    # allocated+reserved, primary state reserved.
    c.run(["scontrol", "create", "reservation", "reservationname=reserved_now", "starttime=now",
           "duration=1-00:00:00", "nodes=node1", "users=root", "flags=ignore_jobs"])
    c.stop_slurmd("node5")
    c.run(["scontrol", "update", "nodename=node5", "state=down", "reason=slurmd stopped by test"])

    def settled():
        states = {r.name: r.state for r in c.sinfo()}
        if states.keys() != EXPECTED_NODE_STATES.keys() or any(
                states[n] not in ok for n, ok in EXPECTED_NODE_STATES.items()):
            return False
        rows = c.squeue()
        if any(r.state == "PENDING" and r.reason in ("None", "(null)") for r in rows):
            return False  # not yet looked at by the scheduler
        return True

    try:
        wait_for(settled, 60, "the workload to settle")
        # Two equal views a few seconds apart: the scheduler has nothing left to change.
        wait_for(lambda: _stable(c), 60, "two equal sinfo/squeue views in a row")
    except AssertionError as exc:
        pytest.fail(f"{exc}\nsinfo -N:\n{c.run(['sinfo', '-N', '-o', '%N %R %T %C %E'])}\n"
                    f"squeue -r:\n{c.run(['squeue', '-r', '-o', '%i %u %a %P %T %C %m %r'])}",
                    pytrace=False)

    # The workload covers a reason that squeue prints from the job's state description.
    reasons = {r.job_id: r.reason for r in c.squeue()}
    assert "requeued in held state" in reasons.get(j["requeued"], ""), reasons

    # No job may have ended: finished jobs are listed by `squeue -t all` but not by `squeue`.
    all_jobs = c.run(["squeue", "-h", "-r", "-t", "all", "-o", "%i %T %r"])
    assert len(all_jobs.splitlines()) == len(c.squeue()), f"some jobs ended:\n{all_jobs}"
    return w


def _stable(c: Cluster) -> bool:
    a = c.view()
    time.sleep(3)
    b = c.view()
    # CPU load and free memory move with every ping; the workload is about everything else.
    def strip(v):
        return ([dataclasses.replace(r, cpu_load=0, free_mem_mib=0) for r in v.nodes],
                v.node_alloc_mem_mib, v.jobs, v.job_mem_bytes)

    return strip(a) == strip(b)


@pytest.fixture
def exporter(cluster):
    """Factory: exporter(extra_args=(), listen=…, wait=True) starts EXPORTER_BIN against the
    cluster and (if wait) returns once it logged `msg=listening address=…`; every exporter it
    started is stopped at teardown."""
    started: list[Exporter] = []
    binary = exporter_binary()

    def start(extra_args: tuple[str, ...] = (), listen: str = "127.0.0.1:0", wait: bool = True,
              args: list[str] | None = None) -> Exporter:
        e = Exporter(binary, args if args is not None else exporter_args(cluster, listen, extra_args),
                     cluster.env)
        started.append(e)
        if wait:
            e.wait_listening(timeout=20)
        return e

    yield start
    for e in started:
        e.stop()
