# SPDX-License-Identifier: GPL-2.0-or-later
"""Slurm's own metrics endpoint (25.11+: MetricsType=metrics/openmetrics, GET /metrics/... on the
SlurmctldPort) against this exporter on the same live cluster and workload. Runs only with
SLURM_PREFIX set to a 25.11+ release and SLURM_TEST_METRICS=1 (slurm-cluster.sh then turns the
endpoint on). Our values are asserted against Slurm's commands elsewhere (test_live_metrics);
here each datum both export is compared and every difference is written to the report
(SLURM_ENDPOINT_REPORT, default stdout) with who is right. The endpoint's own defects are
asserted where they reproduce, so a Slurm release that fixes one fails here and the README's
list gets updated."""

from __future__ import annotations

import os
import re
import urllib.request

import pytest

from harness import SLURM_PREFIX, wait_for

pytestmark = pytest.mark.skipif(
    not SLURM_PREFIX or os.environ.get("SLURM_TEST_METRICS") != "1",
    reason="needs SLURM_PREFIX (25.11+) and SLURM_TEST_METRICS=1")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)')


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def endpoint(cluster, path: str) -> dict[tuple[str, frozenset], float]:
    url = f"http://127.0.0.1:{cluster.port_base}/metrics/{path}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return parse(r.read().decode())


def test_slurm_endpoint_against_ours(cluster, workload, exporter):
    if "MetricsType=metrics/openmetrics" not in cluster.conf.read_text():
        pytest.skip("this release's cluster has no metrics endpoint")
    e = exporter()
    wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
    ours = e.scrape()
    nodes, jobs = endpoint(cluster, "nodes"), endpoint(cluster, "jobs")
    users = endpoint(cluster, "jobs-users-accts")
    report, diffs = [], []

    def cmp(what: str, theirs: float | None, mine: float | None, note: str = "") -> None:
        same = theirs == mine
        report.append(f"{'same' if same else 'DIFF'}  {what}: slurm={theirs} ours={mine}"
                      f"{'' if same else '  ' + note}")
        if not same:
            diffs.append(what)

    def t(samples, name, **labels):
        return samples.get((name, frozenset(labels.items())))

    cmp("nodes", t(nodes, "slurm_nodes"), sum((ours.get("slurm_nodes") or {}).values()) or None,
        "")
    for state in ("idle", "mixed", "alloc"):
        mine = ours.value("slurm_nodes", state={"alloc": "allocated"}.get(state, state))
        cmp(f"nodes {state}", t(nodes, f"slurm_nodes_{state}"), mine,
            "Slurm counts the base state; ours is sinfo's primary state (a drained or reserved "
            "node is counted there, not as idle/mixed)")
    cmp("jobs running", t(jobs, "slurm_jobs_running"), ours.value("slurm_jobs_running"))
    cmp("jobs pending", t(jobs, "slurm_jobs_pending"), ours.value("slurm_jobs_pending"))
    running_cpus = sum(v for k, v in (ours.get("slurm_user_cpu_alloc") or {}).items()
                       if dict(k).get("state") == "RUNNING")
    cmp("job CPUs allocated", t(jobs, "slurm_jobs_cpus_alloc"), running_cpus)
    mine_mem = ours.value("slurm_user_mem_alloc", state="RUNNING", username="root")
    theirs_mem = t(users, "slurm_user_jobs_memory_alloc", username="root") or \
        t(users, "slurm_user_jobs_memory_alloc", user="root")
    cmp("root's running jobs' memory (bytes)", theirs_mem, mine_mem,
        "Slurm's help says bytes, its value is MiB (and openmetrics.c reads the 64-bit field as "
        "UINT32)")
    text = "\n".join(report)
    out = os.environ.get("SLURM_ENDPOINT_REPORT")
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    print(text)
    # The defect that reproduces (seen on 26.05.3): "Total memory bytes allocated by jobs" per
    # user is in MiB.
    assert mine_mem and theirs_mem is not None, text
    assert theirs_mem * 1024 * 1024 == mine_mem, text
    # What both count the same way.
    for what in ("nodes", "nodes alloc", "jobs running", "jobs pending", "job CPUs allocated"):
        assert what not in diffs, text
