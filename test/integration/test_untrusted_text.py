# SPDX-License-Identifier: GPL-2.0-or-later
"""Slurm text is untrusted: a node reason set with `scontrol update` to Latin-1, broken UTF-8,
control characters and a very long text gives, with both backends, a scrape that promtool and
the Prometheus text parser accept, with U+FFFD in place of each bad byte."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest

from promtool_check import check as promtool_check
from harness import POLL_LIMIT, Scrape, wait_for


NODE = "node3"  # drained by the cluster fixture with reason "maint test"
HOSTILE = b"M\xfcller \xc3( ctl\x01\x1b[31m " + b"x" * 1500
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
