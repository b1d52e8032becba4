# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the integration tests: a real Slurm cluster, the exporter process, and the values the
metric contract expects, computed from what Slurm's own commands (sinfo, squeue, scontrol) print.

Everything here is plain Python 3.11 plus python3-prometheus-client (Debian), run by /usr/bin/python3.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

from prometheus_client.parser import text_string_to_metric_families

PROJECT_ROOT = Path(os.environ.get("PROJECT_ROOT") or Path(__file__).resolve().parents[2])
# The Slurm the cluster, the commands and the cli backend use: SLURM_PREFIX=/opt/slurm/26.05.3 (from
# scripts/build-slurm.sh) or unset for the one on PATH (Debian's 22.05). A libslurm exporter given
# in EXPORTER_BIN must be built against the same release.
SLURM_PREFIX = os.environ.get("SLURM_PREFIX", "")
# The real sinfo of that release, for tests that wrap it in a fake one.
REAL_SINFO = f"{SLURM_PREFIX}/bin/sinfo" if SLURM_PREFIX else "/usr/bin/sinfo"
REAL_SCONTROL = f"{SLURM_PREFIX}/bin/scontrol" if SLURM_PREFIX else "/usr/bin/scontrol"
CLUSTER_SH = PROJECT_ROOT / "scripts" / "slurm-cluster.sh"
MIB = 1024 * 1024
NODE_COUNT = 5  # node1..node5 run a slurmd, see scripts/slurm-cluster.sh
DEAD_NODES = 1  # node6 is configured (debug partition) but never gets a slurmd: unknown*, N/A
SECOND_USER = "slurmtest"  # the unix user of the workload's second user's job
POLL_LIMIT = 1.0  # --slurm.poll-limit of the exporters the tests start, in seconds

# Node states that the exporter always reports (zero when no node is in them).
USUAL_NODE_STATES = ("idle", "mixed", "allocated", "down", "drained", "draining", "completing")
# Job states that the exporter always reports (zero when no job is in them).
USUAL_JOB_STATES = ("PENDING", "RUNNING")


def wait_for(pred: Callable[[], object], timeout: float, what: str, interval: float = 0.5):
    """Polls pred() until it returns something truthy; raises AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = pred()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - reported below if it never succeeds
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


# ------------------------------------------------------------------------------------- Slurm output


def parse_kv_line(line: str) -> dict[str, str]:
    """Parses one `scontrol -o show …` record. Values may contain spaces (OS=Linux 6.1 …, Reason=…):
    a token that does not look like KEY=… continues the previous value."""
    out: dict[str, str] = {}
    key = None
    for tok in line.split():
        m = re.match(r"^([A-Za-z][A-Za-z0-9_/:]*)=(.*)$", tok)
        if m:
            key = m.group(1)
            out[key] = m.group(2)
        elif key is not None:
            out[key] += " " + tok
    return out


def parse_mem_to_bytes(text: str) -> int:
    """'1400M' / '2G' / '512K' / '1T' (Slurm's units are binary) -> bytes."""
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([KMGTP]?)", text)
    if not m:
        raise ValueError(f"unparseable Slurm memory value {text!r}")
    mult = {"": MIB, "K": 1024, "M": MIB, "G": 1024 * MIB, "T": 1024**2 * MIB, "P": 1024**3 * MIB}
    return round(float(m.group(1)) * mult[m.group(2)])


def tres_mem_bytes(tres: str) -> int:
    """The mem= entry of a TRES string (cpu=2,mem=1400M,node=1) in bytes; 0 if absent."""
    for part in tres.split(","):
        if part.startswith("mem="):
            return parse_mem_to_bytes(part[4:])
    return 0


def expand_task_ids(expr: str) -> set[int]:
    """ArrayTaskId as scontrol prints it ('1-5', '1,3-4', '1-9:2', '1-5%2') -> task ids."""
    expr = expr.split("%", 1)[0].strip("[]")
    ids: set[int] = set()
    for part in expr.split(","):
        if not part:
            continue
        step = 1
        if ":" in part:
            part, step_s = part.split(":", 1)
            step = int(step_s)
        if "-" in part:
            lo, hi = part.split("-", 1)
            ids.update(range(int(lo), int(hi) + 1, step))
        else:
            ids.add(int(part))
    return ids


def num_or_zero(text: str) -> float:
    """sinfo prints N/A (or n/a) for unknown numbers; the contract counts them as 0."""
    return 0.0 if text.strip().upper() in ("N/A", "") else float(text)


@dataclasses.dataclass(frozen=True)
class NodeRow:
    """One line of `sinfo -h -N -o '%N|%R|%T|%C|%m|%e|%O|%w'` (a node once per partition)."""

    name: str
    partition: str
    state: str
    alloc_cpus: int
    idle_cpus: int
    other_cpus: int
    total_cpus: int
    real_mem_mib: float
    free_mem_mib: float
    cpu_load: float
    weight: int


@dataclasses.dataclass(frozen=True)
class JobRow:
    """One line of `squeue -h -r -o '%i|%F|%K|%u|%a|%P|%T|%C|%r'` (array tasks one by one)."""

    job_id: str
    array_job_id: str
    array_task_id: str
    user: str
    account: str
    partition: str
    state: str
    cpus: int
    reason: str


SINFO_FORMAT = "%N|%R|%T|%C|%m|%e|%O|%w"
SQUEUE_FORMAT = "%i|%F|%K|%u|%a|%P|%T|%C|%r"


def parse_sinfo(text: str) -> list[NodeRow]:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        f = line.split("|")
        if len(f) != 8:
            raise ValueError(f"unexpected sinfo line {line!r}")
        a, i, o, t = (int(x) for x in f[3].split("/"))
        rows.append(NodeRow(f[0], f[1], f[2], a, i, o, t, num_or_zero(f[4]), num_or_zero(f[5]),
                            num_or_zero(f[6]), int(num_or_zero(f[7]))))
    return sorted(rows, key=lambda r: (r.name, r.partition))


def parse_squeue(text: str) -> list[JobRow]:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        f = line.split("|", 8)  # the reason comes last and is taken whole
        if len(f) != 9:
            raise ValueError(f"unexpected squeue line {line!r}")
        rows.append(JobRow(f[0], f[1], f[2], f[3], f[4], f[5], f[6], int(f[7]), f[8]))
    return sorted(rows, key=lambda r: r.job_id)


@dataclasses.dataclass(frozen=True)
class SlurmView:
    """What Slurm's commands say about the cluster at one moment (comparable with ==)."""

    nodes: tuple[NodeRow, ...]
    node_alloc_mem_mib: tuple[tuple[str, int], ...]  # scontrol AllocMem per node
    jobs: tuple[JobRow, ...]
    job_mem_bytes: tuple[tuple[str, int], ...]  # per squeue job id (%i), from scontrol TRES=
    # job id -> reason code (`squeue --json` state_reason): squeue's text shows a job's state
    # description instead of the code when it has one ("job requeued in held state").
    reason_codes: tuple[tuple[str, str], ...] = ()
    raw_sinfo: str = dataclasses.field(compare=False, default="")
    raw_squeue: str = dataclasses.field(compare=False, default="")


# ------------------------------------------------------------------------------------- the cluster


class Cluster:
    """A cluster started by scripts/slurm-cluster.sh in `directory`."""

    def __init__(self, directory: Path, port_base: int):
        self.dir = Path(directory)
        self.conf = self.dir / "slurm.conf"
        self.port_base = port_base
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "SQUEUE_", "SINFO_", "SBATCH_", "SCONTROL_"))}
        env.update(SLURM_CONF=str(self.conf), LC_ALL="C", SLURM_TIME_FORMAT="standard",
                   SLURM_TEST_PORT_BASE=str(port_base), SLURM_TEST_DEAD_NODES=str(DEAD_NODES))
        if os.environ.get("SLURM_TEST_METRICS"):  # slurm-cluster.sh: slurmctld's own endpoint
            env["SLURM_TEST_METRICS"] = os.environ["SLURM_TEST_METRICS"]
        if SLURM_PREFIX:
            env["SLURM_PREFIX"] = SLURM_PREFIX
            env["PATH"] = f"{SLURM_PREFIX}/sbin:{SLURM_PREFIX}/bin:{env.get('PATH', '')}"
        self.env = env

    # -- commands
    def run(self, cmd: list[str] | str, check: bool = True, timeout: float = 60,
            user: str | None = None) -> str:
        """Runs a command with the cluster's environment; returns stdout. `user` runs it as that
        unix user (runuser keeps the environment)."""
        if isinstance(cmd, str):
            cmd = cmd.split()
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout,
                           cwd="/tmp")
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout}\n"
                                 f"stderr:\n{p.stderr}")
        return p.stdout

    def script(self, *args: str, timeout: float = 120) -> str:
        p = subprocess.run(["bash", str(CLUSTER_SH), *args], env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError(f"slurm-cluster.sh {' '.join(args)} exited {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p.stdout

    def sbatch(self, *args: str, user: str | None = None) -> str:
        """Submits `sleep 1000` (unless --wrap is given); returns the job id."""
        argv = ["sbatch", "--parsable", "--output=/dev/null", "--error=/dev/null", "--chdir=/tmp",
                *args]
        if not any(a.startswith("--wrap") for a in args):
            argv.append("--wrap=sleep 1000")
        return self.run(argv, user=user).strip().split(";")[0]

    def stop_ctld(self) -> None:
        self.script("stop-ctld", str(self.dir))

    def start_ctld(self) -> None:
        self.script("start-ctld", str(self.dir))

    def stop_slurmd(self, node: str) -> None:
        self.script("stop-slurmd", str(self.dir), node)

    # -- accounting clusters (SLURM_TEST_ACCOUNTING=1)
    def stop_dbd(self) -> None:
        self.script("stop-dbd", str(self.dir))

    def start_dbd(self) -> None:
        self.script("start-dbd", str(self.dir))

    def stop_db(self) -> None:
        self.script("stop-db", str(self.dir))

    def start_db(self) -> None:
        self.script("start-db", str(self.dir))

    @property
    def accounting_jobs(self) -> dict[str, str]:
        """The roles of the script's accounting jobs (gpu_run, chem_pend, …) -> job ids."""
        text = (self.dir / "accounting-jobs.env").read_text()
        return dict(line.split("=", 1) for line in text.split() if "=" in line)

    # -- views
    def sinfo_text(self) -> str:
        return self.run(["sinfo", "-h", "-N", "-o", SINFO_FORMAT])

    def squeue_text(self) -> str:
        return self.run(["squeue", "-h", "-r", "-o", SQUEUE_FORMAT])

    def sinfo(self) -> list[NodeRow]:
        return parse_sinfo(self.sinfo_text())

    def squeue(self) -> list[JobRow]:
        return parse_squeue(self.squeue_text())

    def squeue_reason_codes(self) -> dict[str, str]:
        """Job id -> reason code, from `squeue --json` (its state_reason, beside the description
        squeue's text may show instead)."""
        doc = json.loads(self.run(["squeue", "--json"]))
        return {str(j["job_id"]): j["state_reason"] for j in doc["jobs"]}

    def scontrol_nodes(self) -> dict[str, dict[str, str]]:
        recs = [parse_kv_line(l) for l in self.run(["scontrol", "-o", "show", "node"]).splitlines()
                if l.strip()]
        return {r["NodeName"]: r for r in recs}

    def scontrol_jobs(self) -> list[dict[str, str]]:
        out = self.run(["scontrol", "-o", "show", "job"])
        if out.strip().startswith("No jobs"):
            return []
        return [parse_kv_line(l) for l in out.splitlines() if l.strip()]

    def view(self) -> SlurmView:
        raw_sinfo = self.sinfo_text()
        nodes = self.scontrol_nodes()
        raw_squeue = self.squeue_text()
        jobs = parse_squeue(raw_squeue)
        job_recs = self.scontrol_jobs()
        codes = self.squeue_reason_codes()
        return SlurmView(
            nodes=tuple(parse_sinfo(raw_sinfo)),
            node_alloc_mem_mib=tuple(sorted((n, int(r.get("AllocMem", "0"))) for n, r in nodes.items())),
            jobs=tuple(jobs),
            job_mem_bytes=tuple(sorted(job_memory(jobs, job_recs).items())),
            reason_codes=tuple(sorted(codes.items())),
            raw_sinfo=raw_sinfo,
            raw_squeue=raw_squeue,
        )


def job_memory(jobs: Iterable[JobRow], records: list[dict[str, str]]) -> dict[str, int]:
    """Memory of each squeue job (keyed by %i) from `scontrol show job`'s TRES= (22.05 prints the
    allocation for started jobs and the request for pending ones; newer releases AllocTRES=/ReqTRES=), matched through the array job
    id and task id because scontrol prints a pending array as one record (ArrayTaskId=1-5)."""
    by_id: dict[str, str] = {}
    by_task: dict[tuple[str, int], str] = {}
    for r in records:
        # 23.02 and newer print ReqTRES= and AllocTRES= ("(null)" while pending) instead of TRES=.
        tres = r.get("TRES", "")
        if not tres:
            alloc = r.get("AllocTRES", "")
            tres = alloc if alloc not in ("", "(null)") else r.get("ReqTRES", "")
        if "ArrayJobId" in r and r.get("ArrayTaskId", "N/A") != "N/A":
            for t in expand_task_ids(r["ArrayTaskId"]):
                by_task[(r["ArrayJobId"], t)] = tres
        by_id[r["JobId"]] = tres
    out = {}
    for j in jobs:
        if j.array_task_id not in ("N/A", ""):
            key = (j.array_job_id, int(j.array_task_id))
            if key not in by_task:
                raise AssertionError(f"no scontrol record for array task {j.job_id}")
            out[j.job_id] = tres_mem_bytes(by_task[key])
        else:
            if j.array_job_id not in by_id:
                raise AssertionError(f"no scontrol record for job {j.job_id}")
            out[j.job_id] = tres_mem_bytes(by_id[j.array_job_id])
    return out


# ------------------------------------------------------------------------------ expected metrics

Labels = frozenset  # frozenset of (name, value) pairs
Expected = dict[str, dict[Labels, float]]


def L(**kw: str) -> Labels:
    return frozenset(kw.items())


def distinct_nodes(rows: Iterable[NodeRow]) -> list[NodeRow]:
    """sinfo -N prints a node once per partition: keep one row per node name."""
    seen: dict[str, NodeRow] = {}
    for r in rows:
        prev = seen.get(r.name)
        if prev is None:
            seen[r.name] = r
        elif dataclasses.replace(prev, partition="") != dataclasses.replace(r, partition=""):
            raise AssertionError(f"sinfo disagrees with itself about {r.name}: {prev} vs {r}")
    return list(seen.values())


def expected_metrics(view: SlurmView) -> Expected:
    """The value of every contract family as Slurm's own commands report it."""
    exp: Expected = defaultdict(lambda: defaultdict(float))
    alloc_mem = dict(view.node_alloc_mem_mib)

    nodes = distinct_nodes(view.nodes)
    for n in nodes:
        exp["slurm_cpus_total"][L()] += n.total_cpus
        exp["slurm_cpus_idle"][L()] += n.idle_cpus
        exp["slurm_cpu_load"][L()] += n.cpu_load
        exp["slurm_cpus_per_state"][L(state=n.state)] += n.total_cpus
        exp["slurm_node_count_per_state"][L(state=n.state)] += 1
        exp["slurm_mem_real"][L()] += n.real_mem_mib * MIB
        exp["slurm_mem_alloc"][L()] += alloc_mem[n.name] * MIB
        exp["slurm_mem_free"][L()] += n.free_mem_mib * MIB
    for fam in ("slurm_cpus_total", "slurm_cpus_idle", "slurm_cpu_load", "slurm_mem_real",
                "slurm_mem_alloc", "slurm_mem_free"):
        exp[fam][L()] += 0  # present even on an empty cluster

    for r in view.nodes:
        p = r.partition
        exp["slurm_partition_total_cpus"][L(partition=p)] += r.total_cpus
        exp["slurm_partition_idle_cpus"][L(partition=p)] += r.idle_cpus
        exp["slurm_partition_alloc_cpus"][L(partition=p, state=r.state)] += r.alloc_cpus
        exp["slurm_partition_real_mem"][L(partition=p)] += r.real_mem_mib * MIB
        exp["slurm_partition_free_mem"][L(partition=p)] += r.free_mem_mib * MIB
        exp["slurm_partition_alloc_mem"][L(partition=p, state=r.state)] += alloc_mem[r.name] * MIB
        exp["slurm_partition_node_count"][L(partition=p, state=r.state)] += 1
        exp["slurm_partition_cpu_load"][L(partition=p)] += r.cpu_load
        exp["slurm_partition_weight"][L(partition=p)] += r.weight

    mem = dict(view.job_mem_bytes)
    codes = dict(view.reason_codes)
    exp["slurm_jobs_pending"][L()] += 0
    exp["slurm_jobs_running"][L()] += 0
    for j in view.jobs:
        if j.state == "PENDING":
            exp["slurm_jobs_pending"][L()] += 1
            # The label is Slurm's reason code, never free text: squeue --json's state_reason
            # for a job (a plain job's %F is its id), else squeue %r without the detail Slurm
            # may append ("ReqNodeNotAvail, UnavailableNodes:node1" names nodes).
            code = codes.get(j.array_job_id) if j.array_task_id in ("N/A", "") else None
            if code is None:
                code = j.reason.strip("()").split(",", 1)[0].strip()
            exp["slurm_pending_reason_total"][L(reason=code)] += 1
        elif j.state == "RUNNING":
            exp["slurm_jobs_running"][L()] += 1
        exp["slurm_user_state_total"][L(username=j.user, state=j.state)] += 1
        exp["slurm_user_cpu_alloc"][L(username=j.user, state=j.state)] += j.cpus
        exp["slurm_user_mem_alloc"][L(username=j.user, state=j.state)] += mem[j.job_id]
        exp["slurm_account_job_state_total"][L(account=j.account, state=j.state)] += 1
        exp["slurm_account_job_state_cpu_alloc"][L(account=j.account, state=j.state)] += j.cpus
        exp["slurm_account_job_state_mem_alloc"][L(account=j.account, state=j.state)] += mem[j.job_id]
        exp["slurm_partition_job_state_total"][L(partition=j.partition, state=j.state)] += 1
    return {k: dict(v) for k, v in exp.items()}


# The job states slurm_jobs{state} always has (0 when empty): the states of the queue. Finished
# jobs are in slurm_jobs_finished_total instead.
QUEUE_JOB_STATES = ("PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING")
# Job states that have left the queue (squeue -t all lists them for MinJobAge).
FINAL_JOB_STATES = ("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                    "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY")


def split_partitions(partition: str) -> list[str]:
    """squeue %P prints "a,b" for a job pending in two partitions."""
    return partition.split(",")


def expected_partition_job_families(view: SlurmView) -> Expected:
    """slurm_jobs and this project's per-partition job families from squeue -r (view.jobs) and
    scontrol's TRES memory: a job pending in several partitions counts in each of them."""
    exp: Expected = {f: defaultdict(float) for f in (
        "slurm_jobs", "slurm_partition_jobs", "slurm_partition_pending_jobs",
        "slurm_partition_pending_cpus", "slurm_partition_pending_memory_bytes")}
    for s in QUEUE_JOB_STATES:
        exp["slurm_jobs"][L(state=s)] += 0
    mem = dict(view.job_mem_bytes)
    for j in view.jobs:
        exp["slurm_jobs"][L(state=j.state)] += 1
        pending = j.state == "PENDING"
        for p in split_partitions(j.partition):
            for s in USUAL_JOB_STATES:
                exp["slurm_partition_jobs"][L(partition=p, state=s)] += 0
            exp["slurm_partition_jobs"][L(partition=p, state=j.state)] += 1
            exp["slurm_partition_pending_jobs"][L(partition=p)] += 1 if pending else 0
            exp["slurm_partition_pending_cpus"][L(partition=p)] += j.cpus if pending else 0
            exp["slurm_partition_pending_memory_bytes"][L(partition=p)] += (
                mem[j.job_id] if pending else 0)
    return {k: dict(v) for k, v in exp.items()}


def expected_oldest_pending(cluster: "Cluster", view: SlurmView, now: float) -> dict[Labels, float]:
    """slurm_partition_oldest_pending_job_seconds from squeue: per partition (a job pending in
    several counts in each), now − SubmitTime of the oldest pending job that is eligible to start
    (EligibleTime set and not in the future: held and dependent jobs print N/A, a --begin job its
    begin time). Times are local, as squeue prints them with SLURM_TIME_FORMAT=standard."""
    out = cluster.run(["squeue", "-h", "-r", "-t", "PENDING", "-O",
                       "Partition:|,SubmitTime:|,EligibleTime:|"])
    oldest: dict[Labels, float] = {L(partition=p): 0.0 for j in view.jobs
                                   for p in split_partitions(j.partition)}
    for line in out.splitlines():
        if not line.strip():
            continue
        part, submitted, eligible, _ = line.split("|")
        if eligible.strip() in ("N/A", "Unknown", ""):
            continue
        if time.mktime(time.strptime(eligible.strip(), "%Y-%m-%dT%H:%M:%S")) > now:
            continue
        age = now - time.mktime(time.strptime(submitted.strip(), "%Y-%m-%dT%H:%M:%S"))
        for p in split_partitions(part.strip()):
            oldest[L(partition=p)] = max(oldest[L(partition=p)], age)
    return oldest


# Contract families compared with Slurm, and how exactly.
NODE_FAMILIES = ("slurm_cpus_total", "slurm_cpus_idle", "slurm_cpu_load", "slurm_cpus_per_state",
                 "slurm_node_count_per_state", "slurm_mem_real", "slurm_mem_alloc", "slurm_mem_free")
PARTITION_FAMILIES = ("slurm_partition_total_cpus", "slurm_partition_idle_cpus",
                      "slurm_partition_alloc_cpus", "slurm_partition_real_mem",
                      "slurm_partition_free_mem", "slurm_partition_alloc_mem",
                      "slurm_partition_node_count", "slurm_partition_cpu_load",
                      "slurm_partition_weight")
JOB_FAMILIES = ("slurm_jobs_pending", "slurm_jobs_running", "slurm_user_state_total",
                "slurm_user_cpu_alloc", "slurm_user_mem_alloc", "slurm_account_job_state_total",
                "slurm_account_job_state_cpu_alloc", "slurm_account_job_state_mem_alloc",
                "slurm_partition_job_state_total", "slurm_pending_reason_total")
CONTRACT_FAMILIES = NODE_FAMILIES + PARTITION_FAMILIES + JOB_FAMILIES
# Families whose label sets carry `state` and may hold zero series for the usual states.
ZERO_FILLED = {f: USUAL_NODE_STATES for f in NODE_FAMILIES + PARTITION_FAMILIES}
ZERO_FILLED.update({f: USUAL_JOB_STATES for f in JOB_FAMILIES})
# Families that must hold a series for every usual state, even at zero.
MUST_ZERO_FILL = ("slurm_cpus_per_state", "slurm_node_count_per_state")
LOAD_FAMILIES = ("slurm_cpu_load", "slurm_partition_cpu_load")
# The label names of every contract family (those of the rivosinc exporter 1.6).
FAMILY_LABELS: dict[str, frozenset[str]] = {f: frozenset() for f in CONTRACT_FAMILIES}
FAMILY_LABELS.update({
    "slurm_cpus_per_state": frozenset({"state"}),
    "slurm_node_count_per_state": frozenset({"state"}),
    **{f: frozenset({"partition"}) for f in (
        "slurm_partition_total_cpus", "slurm_partition_idle_cpus", "slurm_partition_real_mem",
        "slurm_partition_free_mem", "slurm_partition_cpu_load", "slurm_partition_weight")},
    **{f: frozenset({"partition", "state"}) for f in (
        "slurm_partition_alloc_cpus", "slurm_partition_alloc_mem", "slurm_partition_node_count",
        "slurm_partition_job_state_total")},
    **{f: frozenset({"username", "state"}) for f in (
        "slurm_user_state_total", "slurm_user_cpu_alloc", "slurm_user_mem_alloc")},
    **{f: frozenset({"account", "state"}) for f in (
        "slurm_account_job_state_total", "slurm_account_job_state_cpu_alloc",
        "slurm_account_job_state_mem_alloc")},
    "slurm_pending_reason_total": frozenset({"reason"}),
})


def fmt_labels(labels: Labels) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels)) + "}"


def compare_family(name: str, expected: dict[Labels, float], got: dict[Labels, float] | None,
                   tolerance: float = 0.0) -> list[str]:
    """Differences between the expected series of one family and the scraped ones (empty = equal).
    Extra scraped series are allowed only at 0 with a usual `state` (zero-filled)."""
    if got is None:
        return [f"{name}: family missing from /metrics"]
    problems = []
    for labels, want in sorted(expected.items(), key=lambda kv: sorted(kv[0])):
        have = got.get(labels)
        if have is None:
            problems.append(f"{name}{fmt_labels(labels)}: missing, expected {want:g}")
        elif not math.isclose(have, want, rel_tol=0.0, abs_tol=tolerance + 1e-9 * max(1.0, abs(want))):
            problems.append(f"{name}{fmt_labels(labels)}: got {have!r}, expected {want!r}")
    usual = ZERO_FILLED.get(name, ())
    want_names = FAMILY_LABELS.get(name)
    for labels, have in sorted(got.items(), key=lambda kv: sorted(kv[0])):
        names = frozenset(k for k, _ in labels)
        if want_names is not None and names != want_names:
            problems.append(f"{name}{fmt_labels(labels)}: label names {sorted(names)}, the contract "
                            f"says {sorted(want_names)}")
            continue
        if labels in expected:
            continue
        state = dict(labels).get("state")
        if have == 0 and state in usual:
            continue
        problems.append(f"{name}{fmt_labels(labels)} = {have!r}: not expected "
                        "(Slurm shows no such series; only zero series of usual states may be extra)")
    if name in MUST_ZERO_FILL:
        for s in usual:
            if L(state=s) not in got:
                problems.append(f'{name}{{state="{s}"}}: missing (usual states must always exist)')
    return problems


# The primary-state rule of the README, written independently of the C++ code: what sinfo %T
# prints for the node decides, as the word (a state of its own), else the suffix, else the word
# again; only what sinfo's name can hide (NOT_RESPONDING under "drained$" or "maint",
# INVALID_REG's "inval", base DOWN/ERROR) is read from scontrol's State=BASE+FLAG+….
SINFO_WORDS = {"drained": "drained", "draining": "draining", "fail": "fail", "failing": "fail",
               "maint": "maint", "reboot": "reboot", "reboot_issued": "reboot",
               "powered_down": "powered_down", "powering_up": "powered_down",
               "powering_down": "powered_down"}
SINFO_SUFFIXES = {"$": "maint", "@": "reboot", "^": "reboot", "~": "powered_down",
                  "#": "powered_down", "%": "powered_down"}
SINFO_LAST = {"reserved": "reserved", "completing": "completing", "planned": "planned",
              "mixed": "mixed", "allocated": "allocated", "idle": "idle", "perfctrs": "idle",
              "future": "future"}


def primary_state(sinfo_name: str, scontrol_state: str) -> str:
    """slurm_nodes{state} of a node from sinfo %T (e.g. "mixed-") and scontrol's State=."""
    parts = scontrol_state.lower().split("+")
    base, flags = parts[0].rstrip("*~#!%$@^-"), set(parts[1:])
    if parts[0].endswith("*") or flags & {"not_responding", "invalid_reg"} or \
            base in ("down", "error"):
        return "down"
    m = re.fullmatch(r"([a-z_]+)(.?)", sinfo_name)
    assert m, f"sinfo state name {sinfo_name!r}"
    word, suffix = m.groups()
    return SINFO_WORDS.get(word) or SINFO_SUFFIXES.get(suffix) or SINFO_LAST.get(word, "unknown")


PRIMARY_STATES = ("down", "fail", "drained", "draining", "maint", "reboot", "reserved",
                  "powered_down", "completing", "planned", "mixed", "allocated", "idle", "future",
                  "unknown")
FLAGS = {"drain": "drain", "not_responding": "not_responding", "powered_down": "powered_down",
         "powering_up": "powering_up", "powering_down": "powering_down",
         "power_down": "power_down", "fail": "fail", "maintenance": "maint",
         "reserved": "reserved", "completing": "completing", "planned": "planned",
         "reboot_requested": "reboot_requested", "reboot_issued": "reboot_issued",
         "invalid_reg": "invalid_reg", "cloud": "cloud", "dynamic_future": "dynamic",
         "dynamic_norm": "dynamic"}

# ------------------------------------------------------------------------------------- /metrics


class Scrape:
    """A parsed exposition: series by sample name, independent of the exporter's own code."""

    def __init__(self, text: str):
        self.text = text
        self.series: dict[str, dict[Labels, float]] = {}
        self.types: dict[str, str] = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                labels = frozenset(s.labels.items())
                bucket = self.series.setdefault(s.name, {})
                if labels in bucket:
                    raise AssertionError(f"duplicate series {s.name}{fmt_labels(labels)}")
                bucket[labels] = s.value
                self.types[s.name] = fam.type

    def get(self, name: str) -> dict[Labels, float] | None:
        return self.series.get(name)

    def value(self, name: str, **labels: str) -> float | None:
        return (self.series.get(name) or {}).get(L(**labels))


def http_get(url: str, timeout: float = 60) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


# Runtime options for an exporter built with -DSLURM_EXPORTER_SANITIZE=ON (a plain build ignores
# them; the caller's environment wins). LeakSanitizer checks the heap when the exporter exits; a
# 16 MiB quarantine (default 256) keeps its RSS near a plain build's, so memory bounds stay
# meaningful. Any report fails the test through Exporter.stop().
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:quarantine_size_mb=16:malloc_context_size=20",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    # Leaks inside Slurm's own code that the exporter cannot free (each explained there).
    "LSAN_OPTIONS": f"suppressions={Path(__file__).resolve().parent / 'lsan.supp'}:print_suppressions=0",
}
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: AddressSanitizer", "SUMMARY: UndefinedBehaviorSanitizer",
                     "Sanitizer has encountered a fatal error")  # e.g. LSan unable to run


def sanitizer_env() -> dict[str, str]:
    return {k: os.environ.get(k, v) for k, v in SANITIZER_ENV.items()}


def sanitizer_report(lines: list[str]) -> str:
    """The sanitizer report in an exporter's output, from its first line on ('' if none)."""
    for i, line in enumerate(lines):
        if any(m in line for m in SANITIZER_MARKERS):
            return "\n".join(lines[max(0, i - 2):i + 80])
    return ""


def binary_sanitized(binary: str) -> bool:
    """True if `binary` is linked with AddressSanitizer (-DSLURM_EXPORTER_SANITIZE=ON)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return "libasan" in out


LISTENING_RE = re.compile(r'\bmsg="?listening"?(?:\s|$).*?\baddress="?([^"\s]+)"?')


class Exporter:
    """The exporter binary running in the background, its stdout and stderr captured line by line."""

    def __init__(self, binary: str, args: list[str], env: dict[str, str]):
        self.args = [binary, *args]
        env = {**sanitizer_env(), **env}
        self.proc = subprocess.Popen(self.args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     errors="replace")
        self._lock = threading.Lock()
        self._lines: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(s,), daemon=True)
                         for s in (self.proc.stderr, self.proc.stdout)]
        for t in self._threads:
            t.start()
        self.address: str | None = None
        self.base_url: str | None = None

    def _pump(self, stream) -> None:
        for line in stream:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def log(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def log_text(self) -> str:
        return "\n".join(self.log())

    def wait_listening(self, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log():
                m = LISTENING_RE.search(line)
                if m:
                    self.address = m.group(1)
                    self.base_url = f"http://{self.address}"
                    return self.address
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the pumps drain
                raise AssertionError(f"exporter exited with {self.proc.returncode} before listening;"
                                     f" command: {' '.join(self.args)}\noutput:\n{self.log_text()}")
            time.sleep(0.05)
        raise AssertionError(f"no 'msg=listening address=…' line within {timeout}s; "
                             f"command: {' '.join(self.args)}\noutput:\n{self.log_text()}")

    def get(self, path: str = "/metrics", timeout: float = 60) -> tuple[int, str, dict[str, str]]:
        assert self.base_url, "exporter is not listening"
        return http_get(self.base_url + path, timeout=timeout)

    def scrape(self, timeout: float = 60) -> Scrape:
        status, body, _ = self.get("/metrics", timeout=timeout)
        if status != 200:
            raise AssertionError(f"/metrics answered {status}:\n{body[:2000]}")
        return Scrape(body)

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """SIGTERM if still running; then its exit status must be 0 (a clean shutdown within
        10 s) and its output free of sanitizer reports. An exporter that had already exited is
        its test's to judge (its status is in proc.returncode)."""
        running = self.proc.poll() is None
        killed = False
        if running:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                killed = True
        for t in self._threads:
            t.join(timeout=5)
        report = sanitizer_report(self.log())
        if report:
            raise AssertionError(f"sanitizer report from the exporter ({' '.join(self.args)}):\n"
                                 f"{report}")
        if killed:
            raise AssertionError(f"the exporter did not exit within 10 s of SIGTERM "
                                 f"({' '.join(self.args)}):\n{self.log_text()[-3000:]}")
        if running and self.proc.returncode != 0:
            raise AssertionError(f"the exporter exited {self.proc.returncode} after SIGTERM "
                                 f"({' '.join(self.args)}):\n{self.log_text()[-3000:]}")


def run_exporter(args: list[str], env: dict[str, str] | None = None,
                 timeout: float = 30) -> subprocess.CompletedProcess:
    """Runs the exporter to its end (a flag error, --version…) with the sanitizer options; its
    output must hold no sanitizer report. The caller checks the exit status it expects."""
    p = subprocess.run([exporter_binary(), *args], env={**os.environ, **sanitizer_env(), **(env or {})},
                       capture_output=True, text=True, timeout=timeout, errors="replace")
    report = sanitizer_report((p.stdout + p.stderr).splitlines())
    if report:
        raise AssertionError(f"sanitizer report from the exporter ({' '.join(args)}):\n{report}")
    return p


def exporter_args(cluster: Cluster, listen: str = "127.0.0.1:0",
                  extra: tuple[str, ...] = ()) -> list[str]:
    # The cli backend looks bare command names up in a fixed path, not PATH: point it at the
    # release under test (the libslurm backend ignores the flag).
    bin_dir = (f"--slurm.bin-dir={SLURM_PREFIX}/bin",) if SLURM_PREFIX else ()
    return [f"--web.listen-address={listen}", f"--slurm.conf={cluster.conf}",
            f"--slurm.poll-limit={POLL_LIMIT:g}", "--web.log-level=debug", *bin_dir, *extra]


def exporter_binary() -> str:
    binary = os.environ.get("EXPORTER_BIN")
    if not binary:
        for cand in ("build/prometheus-slurm-exporter", "build-int/prometheus-slurm-exporter"):
            if (PROJECT_ROOT / cand).exists():
                binary = str(PROJECT_ROOT / cand)
                break
    if not binary or not os.access(binary, os.X_OK):
        raise AssertionError(f"exporter binary not found or not executable: {binary!r} "
                             "(set EXPORTER_BIN; ctest does)")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports_free(base: int, count: int) -> bool:
    for port in range(base, base + count):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                return False
    return True
