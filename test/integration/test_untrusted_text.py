# SPDX-License-Identifier: GPL-2.0-or-later
"""Slurm text is untrusted: a node reason set with `scontrol update` to Latin-1, broken UTF-8,
control characters and a very long text, and a job's Latin-1 account name, give, with both
backends, a scrape that promtool, the Prometheus client's text parser and a real Prometheus
accept, with U+FFFD in place of each bad byte."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest

from promtool_check import check as promtool_check
from harness import POLL_LIMIT, Scrape, wait_for
from test_prometheus_e2e import api, prometheus  # noqa: F401 - prometheus is a fixture


NODE = "node3"  # drained by the cluster fixture with reason "maint test"
HOSTILE = b"M\xfcller \xc3( ctl\x01\x1b[31m " + b"x" * 1500
LATIN1_ACCOUNT = b"f\xedsica"  # "física" in Latin-1: the byte 0xED alone is no UTF-8
FFFD = "\ufffd"


def scontrol_reason(cluster, reason: bytes) -> None:
    p = subprocess.run([b"scontrol", b"update", b"nodename=" + NODE.encode(), b"state=drain",
                        b"reason=" + reason], env=cluster.env, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr


def raw_scrape(e) -> bytes:
    with urllib.request.urlopen(e.base_url + "/metrics", timeout=60) as r:
        assert r.status == 200
        return r.read()


@pytest.fixture
def hostile_reason(cluster):
    scontrol_reason(cluster, HOSTILE)
    try:
        yield
    finally:
        scontrol_reason(cluster, b"maint test")


@pytest.mark.parametrize("backend", ("libslurm", "cli"))
def test_hostile_node_reason_gives_a_valid_scrape(cluster, exporter, hostile_reason, backend):
    e = exporter(extra_args=(f"--backend={backend}",))

    def reason_served():
        body = raw_scrape(e)
        return body if b'node="node3"' in body and b"ller" in body else None

    body = wait_for(reason_served, 30, f"{backend}: the hostile reason served",
                    interval=POLL_LIMIT + 0.2)
    ok, out = promtool_check(body)
    assert ok, f"{backend}: promtool rejects the scrape: {out!r}"
    text = body.decode("utf-8")  # strict: raises on invalid UTF-8
    s = Scrape(text)  # the Prometheus client's parser
    reasons = {dict(k)["reason"] for k in s.get("slurm_node_reason_info")
               if dict(k)["node"] == NODE}
    assert len(reasons) == 1, reasons
    (reason,) = reasons
    assert reason.startswith(f"M{FFFD}ller {FFFD}( ctl{FFFD}{FFFD}[31m xxx"), repr(reason[:40])
    assert len(reason.encode()) <= 1024, len(reason.encode())
    assert all(c >= " " for c in reason), repr(reason[:60])
    assert e.proc.poll() is None


@pytest.fixture
def latin1_account_job(cluster):
    """A held job whose account is Latin-1 bytes (no slurmdbd: any account is accepted)."""
    p = subprocess.run([b"sbatch", b"--parsable", b"--hold", b"--output=/dev/null",
                        b"--chdir=/tmp", b"--account=" + LATIN1_ACCOUNT, b"--wrap=sleep 1000"],
                       env=cluster.env, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    job = p.stdout.decode().strip().split(";")[0]
    try:
        yield job
    finally:
        cluster.run(["scancel", job])


@pytest.mark.parametrize("backend", ("libslurm", "cli"))
def test_hostile_text_through_a_real_prometheus(cluster, exporter, hostile_reason,
                                                latin1_account_job, prometheus, backend):
    # squeue prints the account's bytes as they are: the exporter must clean them itself.
    raw = subprocess.run([b"squeue", b"-h", b"-j", latin1_account_job.encode(), b"-o", b"%a"],
                         env=cluster.env, capture_output=True, timeout=60).stdout
    assert raw.strip() == LATIN1_ACCOUNT, raw
    e = exporter(extra_args=(f"--backend={backend}",))
    account = f"f{FFFD}sica"

    def served():
        body = raw_scrape(e)
        return body if account.encode() in body and b"ller" in body else None

    body = wait_for(served, 30, f"{backend}: the Latin-1 account served", interval=POLL_LIMIT + 0.2)
    ok, out = promtool_check(body)
    assert ok, f"{backend}: promtool rejects the scrape: {out!r}"
    s = Scrape(body.decode("utf-8"))
    assert s.value("slurm_account_job_state_total", account=account, state="PENDING") == 1

    prom = prometheus(f"  - job_name: slurm\n    static_configs:\n"
                      f"      - targets: ['{e.address}']\n")

    def ingested():
        up = api(prom, "query", query='up{job="slurm"}')["result"]
        if not up or up[0]["value"][1] != "1":
            return None
        jobs = api(prom, "query", query='slurm_account_job_state_total{job="slurm",state="PENDING"}')
        reasons = api(prom, "query", query=f'slurm_node_reason_info{{job="slurm",node="{NODE}"}}')
        if not reasons["result"]:
            return None
        return jobs["result"], reasons["result"]

    jobs, reasons = wait_for(ingested, 60, f"{backend}: Prometheus ingests the scrape", interval=1)
    by_account = {r["metric"]["account"]: float(r["value"][1]) for r in jobs}
    assert by_account.get(account) == 1, by_account
    (reason,) = [r["metric"]["reason"] for r in reasons]
    assert reason.startswith(f"M{FFFD}ller {FFFD}("), repr(reason[:40])
    # Prometheus' own view of the target: healthy, no scrape error.
    active = api(prom, "targets")["activeTargets"]
    (target,) = [t for t in active if t["labels"]["job"] == "slurm"]
    assert target["health"] == "up" and not target["lastError"], target
