# SPDX-License-Identifier: GPL-2.0-or-later
"""GPU and wait-time families against the real cluster's fake GPUs (see slurm-cluster.sh), on both
backends: every value is recomputed here from what scontrol / sinfo / squeue print, with a parser
of our own, and the workload asks for GPUs each of the three ways (--gpus, --gpus-per-node and
--gres, plus --gpus-per-task pending)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections import defaultdict

import pytest

from promtool_check import check as promtool_check
from harness import SECOND_USER, Exporter, L, compare_family, exporter_args, exporter_binary

BACKENDS = ["libslurm", "cli"]


def gres_items(text: str) -> list[tuple[str, str, int]]:
    """(name, type, count) of a Gres / GresUsed / JOB_GRES list; independent of the exporter."""
    if text in ("", "(null)", "N/A"):
        return []
    items, depth, cur = [], 0, ""
    for ch in text + ",":
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    out = []
    for item in items:
        # Detail: (S:…), (IDX:…), or a shared GRES's per-GPU (alloc/avail,…).
        item = re.sub(r"\([^()]*\)$", "", item)
        parts = [p for p in item.split(":") if p != "no_consume"]
        if len(parts) == 3:
            name, typ, count = parts
        else:
            name, typ, count = parts[0], "", parts[1]
        # Slurm prints counts divisible by 1024 with a binary suffix (bandwidth:nvme:2K).
        m = re.fullmatch(r"(\d+)([KMGTP]?)", count)
        assert m, f"GRES count {count!r} in {text!r}"
        n = int(m.group(1)) * 1024 ** ("KMGTP".index(m.group(2)) + 1 if m.group(2) else 0)
        out.append((name, "" if typ == "(null)" else typ, n))
    return out


def requested(tres: str, times: int) -> int:
    """GPUs in one squeue tres-per-* field ("gres:gpu:2", "gres:gpu:a100:1"), times a factor."""
    total = 0
    for item in re.split(r"[,;]", tres):
        m = re.fullmatch(r"gres[:/]gpu(?::[^:]+)?:(\d+)", item)
        if m:
            total += int(m.group(1)) * times
    return total


class GpuTruth:
    """What Slurm says about GPUs, read twice around a scrape by the caller."""

    def __init__(self, cluster):
        self.gpus = defaultdict(float)
        self.alloc = defaultdict(float)
        self.p_gpus = defaultdict(float)
        self.p_alloc = defaultdict(float)
        self.n_gpus = defaultdict(float)
        self.n_alloc = defaultdict(float)
        parts: dict[str, list[str]] = defaultdict(list)
        for line in cluster.run(["sinfo", "-h", "-N", "-O", "NodeList:|,Partition:|"]).splitlines():
            node, part = line.split("|")[:2]
            parts[node].append(part.rstrip("*"))
        # -d: scontrol shows GresUsed only with details.
        for line in cluster.run(["scontrol", "-d", "-o", "show", "node"]).splitlines():
            kv = dict(re.findall(r"(\w+)=(\S*)", line))
            node = kv["NodeName"]
            for name, typ, count in gres_items(kv.get("Gres", "")):
                if name != "gpu":
                    continue
                self.gpus[L(type=typ)] += count
                self.alloc.setdefault(L(type=typ), 0.0)
                self.n_gpus[L(node=node, type=typ)] += count
                self.n_alloc.setdefault(L(node=node, type=typ), 0.0)
                for p in parts[node]:
                    self.p_gpus[L(partition=p, type=typ)] += count
                    self.p_alloc.setdefault(L(partition=p, type=typ), 0.0)
            for name, typ, count in gres_items(kv.get("GresUsed", "")):
                if name != "gpu" or count == 0:
                    continue
                self.alloc[L(type=typ)] += count
                self.n_alloc[L(node=node, type=typ)] += count
                for p in parts[node]:
                    self.p_alloc[L(partition=p, type=typ)] += count

        # Jobs: who holds which GPUs (scontrol -d JOB_GRES), who asks for how many (squeue).
        job_gres: dict[str, list] = {}
        for line in cluster.run(["scontrol", "-d", "-o", "show", "job"]).splitlines():
            kv = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobId" in kv and kv.get("JobState") != "PENDING":
                job_gres[kv["JobId"]] = gres_items(kv.get("JOB_GRES", ""))
        self.user = defaultdict(float)
        self.account = defaultdict(float)
        self.pending = defaultdict(float)
        self.waiting = defaultdict(float)  # eligible pending tasks per partition
        self.started = defaultdict(float)  # started jobs per partition
        self.jobs_text = cluster.run(
            ["squeue", "-h", "-r", "-O", "JobID:|,UserName:|,Account:|,Partition:|,State:|,"
             "EligibleTime:|,StartTime:|,tres-per-job:|,tres-per-node:|,tres-per-socket:|,"
             "tres-per-task:|,NumNodes:|,NumTasks:|"])
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        for line in self.jobs_text.splitlines():
            (jid, user, account, part, state, elig, start, per_job, per_node, per_socket, per_task,
             nodes, tasks) = line.split("|")[:13]
            # A job pending in "debug,batch" counts in each of its partitions.
            parts = part.split(",")
            for p in parts:
                self.pending.setdefault(L(partition=p), 0.0)
                self.waiting.setdefault(L(partition=p), 0.0)  # a series per partition seen
            if state == "PENDING":
                tasks_n = int(tasks) if tasks.isdigit() else 1
                for p in parts:
                    self.pending[L(partition=p)] += (
                        requested(per_job, 1) + requested(per_node, int(nodes)) +
                        requested(per_socket, int(nodes)) + requested(per_task, tasks_n))
                    if elig != "N/A" and elig <= now:
                        self.waiting[L(partition=p)] += 1
                continue
            if start != "N/A" and elig != "N/A":
                for p in parts:
                    self.started[L(partition=p)] += 1
            for name, typ, count in job_gres.get(jid, []):
                if name == "gpu" and count:
                    self.user[L(username=user, type=typ)] += count
                    self.account[L(account=account, type=typ)] += count

    def families(self) -> dict[str, dict]:
        return {
            "slurm_gpus": dict(self.gpus),
            "slurm_gpus_allocated": dict(self.alloc),
            "slurm_partition_gpus": dict(self.p_gpus),
            "slurm_partition_gpus_allocated": dict(self.p_alloc),
            "slurm_node_gpus": dict(self.n_gpus),
            "slurm_node_gpus_allocated": dict(self.n_alloc),
            "slurm_user_gpus_allocated": dict(self.user),
            "slurm_account_gpus_allocated": dict(self.account),
            "slurm_partition_pending_gpus": dict(self.pending),
            "slurm_pending_job_wait_seconds_count": dict(self.waiting),
            "slurm_job_wait_seconds_count": dict(self.started),
        }


@pytest.fixture(scope="module", params=BACKENDS)
def gpu_live(request, cluster, workload):
    """(truth, scrape) for one backend: a scrape bracketed by two equal GPU views of Slurm."""
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, "127.0.0.1:0",
                               (f"--backend={request.param}", "--collector.node")), cluster.env)
    try:
        e.wait_listening(timeout=20)
        for _ in range(5):
            before = GpuTruth(cluster)
            scrape = e.scrape()
            after = GpuTruth(cluster)
            if before.families() == after.families():
                yield request.param, before, scrape
                return
            time.sleep(2)
        pytest.fail("Slurm's GPU view kept changing")
    finally:
        e.stop()


FAMILIES = ["slurm_gpus", "slurm_gpus_allocated", "slurm_partition_gpus",
            "slurm_partition_gpus_allocated", "slurm_node_gpus", "slurm_node_gpus_allocated",
            "slurm_user_gpus_allocated", "slurm_account_gpus_allocated",
            "slurm_partition_pending_gpus", "slurm_pending_job_wait_seconds_count",
            "slurm_job_wait_seconds_count"]


@pytest.mark.parametrize("family", FAMILIES)
def test_gpu_family_matches_slurm(gpu_live, family):
    backend, truth, scrape = gpu_live
    expected = truth.families()[family]
    assert not compare_family(family, expected, scrape.get(family)), (
        f"backend {backend}\nsqueue:\n{truth.jobs_text}")


def test_workload_uses_gpus_every_way(gpu_live, workload):
    backend, truth, scrape = gpu_live
    # The cluster: a100 4+2, v100 2, untyped 4; the three GPU jobs hold 3 + 2 + 2 GPUs.
    assert scrape.value("slurm_gpus", type="a100") == 6
    assert scrape.value("slurm_gpus", type="v100") == 2
    assert scrape.value("slurm_gpus", type="") == 4
    held = sum(scrape.get("slurm_gpus_allocated").values())
    assert held == 7, backend
    # Everything allocated is held by some user (no GPU job is left out, however it asked).
    assert sum(scrape.get("slurm_user_gpus_allocated").values()) == held
    # --gres=gpu:2 on node4 (untyped) by the second user.
    assert scrape.value("slurm_user_gpus_allocated", username=SECOND_USER, type="") == 2
    # --gpus-per-node=1 on node2 and node4, account physics.
    assert sum(v for k, v in scrape.get("slurm_account_gpus_allocated").items()
               if dict(k)["account"] == "physics") == 2
    # Pending: 2 tasks × 1 GPU (--gpus-per-task) + the held --gpus=a100:1, both in debug.
    assert scrape.value("slurm_partition_pending_gpus", partition="debug") == 3
    # Histogram shape: cumulative buckets ending in +Inf == _count.
    for name in ("slurm_pending_job_wait_seconds", "slurm_job_wait_seconds"):
        assert scrape.types.get(name + "_bucket") == "histogram", name
        for labels, count in scrape.get(name + "_count").items():
            inf = scrape.get(name + "_bucket")[frozenset({*labels, ("le", "+Inf")})]
            assert inf == count, (name, labels)


def test_promtool_accepts_histograms_and_gpu_families(gpu_live):
    assert shutil.which("promtool"), "promtool not found (Debian package: prometheus)"
    ok, out = promtool_check(gpu_live[2].text.encode())
    assert ok, out
