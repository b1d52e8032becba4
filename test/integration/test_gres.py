# SPDX-License-Identifier: GPL-2.0-or-later
"""Every GRES by name and type, on both backends, against the live cluster (slurm-cluster.sh):
node3 has bandwidth:lustre:no_consume:4G, node4 gpu:4,shard:8,bandwidth:nvme:2K and the workload's
physics job holds bandwidth:nvme:1K. Slurm prints such counts with a binary suffix (22.05:
"bandwidth:lustre:4G"; 23.11's source adds ":no_consume"); one such node used to fail the nodes,
node and node_reason collectors for the whole cluster. Every value is recomputed here from `scontrol -d -o show node` and `sinfo`, with a parser
of our own."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

from harness import Exporter, L, compare_family, exporter_args, exporter_binary

BACKENDS = ["libslurm", "cli"]
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}


def gres_items(text: str) -> list[tuple[str, str, int]]:
    """(name, type, count) of a Gres / GresUsed list as scontrol prints it, e.g.
    "gpu:4(S:0),shard:(null):0(0/2,0/2),bandwidth:nvme:no_consume:2K"; written from Slurm's
    gres.c (_build_node_gres_str, _node_gres_used), not from the exporter's parser."""
    if text in ("", "(null)", "N/A"):
        return []
    out = []
    for item in re.split(r",(?![^(]*\))", text):
        item = re.sub(r"\([^)]*\)$", "", item)  # (S:…), (IDX:…), a shared GRES's (a/b,…)
        parts = [p for p in item.split(":") if p != "no_consume"]
        m = re.fullmatch(r"(\d+)([KMGTP]?)", parts[-1])
        assert m and len(parts) in (2, 3), f"GRES item {item!r} of {text!r}"
        count = int(m.group(1)) * UNITS[m.group(2)]
        typ = parts[1] if len(parts) == 3 else ""
        out.append((parts[0], "" if typ == "(null)" else typ, count))
    return out


class GresTruth:
    """Slurm's GRES by name and type: cluster, partition and node, configured and allocated."""

    def __init__(self, cluster):
        self.f: dict[str, dict] = defaultdict(lambda: defaultdict(float))
        parts: dict[str, list[str]] = defaultdict(list)
        for line in cluster.run(["sinfo", "-h", "-N", "-O", "NodeList:|,Partition:|"]).splitlines():
            node, part = line.split("|")[:2]
            parts[node].append(part.rstrip("*"))
        self.text = cluster.run(["scontrol", "-d", "-o", "show", "node"])
        for line in self.text.splitlines():
            kv = dict(re.findall(r"(?:^| )(\w+)=(\S*)", line))
            node = kv["NodeName"]
            for name, typ, count in gres_items(kv.get("Gres", "")):
                self.add(node, parts[node], "", name, typ, count)
                self.add(node, parts[node], "_allocated", name, typ, 0)
            for name, typ, count in gres_items(kv.get("GresUsed", "")):
                if count:
                    self.add(node, parts[node], "_allocated", name, typ, count)

    def add(self, node, partitions, suffix, name, typ, count):
        for family, labels in ((f"slurm_gres{suffix}", L(name=name, type=typ)),
                               (f"slurm_node_gres{suffix}", L(node=node, name=name, type=typ))):
            self.f[family][labels] += count
        for p in partitions:
            self.f[f"slurm_partition_gres{suffix}"][L(partition=p, name=name, type=typ)] += count

    def families(self) -> dict[str, dict]:
        return {k: dict(v) for k, v in self.f.items()}


def gres(s, family: str, **labels: str) -> float | None:
    """The value of one series of a GRES family (Scrape.value takes `name` itself)."""
    return (s.get(family) or {}).get(L(**labels))


def scrape_bracketed(cluster, e: Exporter):
    for _ in range(5):
        before = GresTruth(cluster)
        scrape = e.scrape()
        after = GresTruth(cluster)
        if before.families() == after.families():
            return before, scrape
        time.sleep(2)
    pytest.fail("Slurm's GRES view kept changing")


@pytest.fixture(scope="module", params=BACKENDS)
def gres_live(request, cluster, workload):
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, "127.0.0.1:0",
                               (f"--backend={request.param}", "--collector.node")), cluster.env)
    try:
        e.wait_listening(timeout=20)
        truth, scrape = scrape_bracketed(cluster, e)
        yield request.param, truth, scrape
    finally:
        e.stop()


FAMILIES = ["slurm_gres", "slurm_gres_allocated", "slurm_partition_gres",
            "slurm_partition_gres_allocated", "slurm_node_gres", "slurm_node_gres_allocated"]


@pytest.mark.parametrize("family", FAMILIES)
def test_gres_family_matches_scontrol(gres_live, family):
    backend, truth, scrape = gres_live
    assert not compare_family(family, truth.families()[family], scrape.get(family)), (
        f"backend {backend}\nscontrol -d -o show node:\n{truth.text}")


def test_suffixed_no_consume_and_shared_gres_are_exported_and_cost_nothing(gres_live):
    backend, truth, s = gres_live
    # The nodes with such GRES do not fail the node collectors any more.
    for collector in ("nodes", "node", "node_reason"):
        assert s.value("slurm_exporter_collector_success", collector=collector) == 1, (
            backend, collector)
    assert gres(s, "slurm_gres", name="bandwidth", type="lustre") == 4 * 2**30
    assert gres(s, "slurm_gres_allocated", name="bandwidth", type="lustre") == 0  # no_consume
    assert gres(s, "slurm_node_gres", node="node3", name="bandwidth", type="lustre") == 4 * 2**30
    assert gres(s, "slurm_gres", name="bandwidth", type="nvme") == 2048
    # The workload's physics job on node4 holds --gres=bandwidth:nvme:1K.
    assert gres(s, "slurm_gres_allocated", name="bandwidth", type="nvme") == 1024
    assert gres(s, "slurm_partition_gres_allocated", partition="batch", name="bandwidth",
                   type="nvme") == 1024
    assert gres(s, "slurm_gres", name="shard", type="") == 8
    # GPUs are GRES too, and agree with the GPU families; node3 keeps its other families.
    assert gres(s, "slurm_gres", name="gpu", type="a100") == s.value("slurm_gpus", type="a100")
    assert s.value("slurm_node_cpus", node="node3") == 4
    assert s.value("slurm_node_cpus", node="node4") == 8


def test_gres_text_that_does_not_parse_costs_only_that_nodes_gres(cluster, workload):
    # A sinfo whose Gres for node3 is something no Slurm prints: node3 loses its GRES series,
    # everything else (node3's CPUs, the other nodes' GRES) is still served.
    d = Path(tempfile.mkdtemp(prefix="se-gres-"))
    script = d / "sinfo"
    script.write_text("#!/bin/sh\n"
                      "/usr/bin/sinfo \"$@\" |"
                      " sed '/^node3|/s/bandwidth:lustre:\\(no_consume:\\)\\{0,1\\}4G/bandwidth:lustre:4Q/'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, "127.0.0.1:0",
                               ("--backend=cli", f"--slurm.sinfo-cli={script}",
                                "--collector.node")), cluster.env)
    try:
        e.wait_listening(timeout=20)
        s = e.scrape(timeout=30)
        assert "4Q" in cluster.run([str(script), "-N", "-h", "-O", "NodeList:|,Gres:|"]), (
            "the fake sinfo did not change node3's Gres")
        for collector in ("nodes", "node", "node_reason"):
            assert s.value("slurm_exporter_collector_success", collector=collector) == 1
        node_gres = s.get("slurm_node_gres") or {}
        assert not [k for k in node_gres if dict(k)["node"] == "node3"], node_gres
        assert gres(s, "slurm_node_gres", node="node4", name="bandwidth", type="nvme") == 2048
        assert s.value("slurm_node_cpus", node="node3") == 4
        assert s.get("slurm_gres").get(L(name="bandwidth", type="lustre")) is None
        assert e.proc.poll() is None
    finally:
        e.stop()
        for f in d.iterdir():
            os.unlink(f)
        d.rmdir()
