# SPDX-License-Identifier: GPL-2.0-or-later
"""rivosinc 1.7's families added for issue 17, on both backends, against sdiag and squeue output
parsed here: the backfill names, the per-account and per-feature sums, the scrape-duration and
scrape-error families; and the -slurm.lic-cli / -slurm.diag-cli overrides and POLL_LIMIT."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from harness import (POLL_LIMIT, PROJECT_ROOT, Exporter, exporter_args, exporter_binary,
                     run_exporter, wait_for)

BACKENDS = ("libslurm", "cli")
# squeue -t all lists finished jobs for MinJobAge; the exporter's job families leave them out.
FINAL = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
         "DEADLINE", "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED"}


def start(cluster, *extra: str, env: dict[str, str] | None = None) -> Exporter:
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=extra), {**cluster.env, **(env or {})})
    e.wait_listening(timeout=30)
    return e


@pytest.fixture(scope="module", params=BACKENDS)
def exp(request, cluster, workload):
    e = start(cluster, f"--backend={request.param}")
    e.backend = request.param
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        yield e
    finally:
        e.stop()


def bracketed(cluster, e: Exporter, command: list[str], attempts: int = 10, key=lambda text: text):
    """(text, scrape) with key(command's output) equal before and after a fresh poll."""
    for _ in range(attempts):
        before = cluster.run(command)
        time.sleep(POLL_LIMIT + 0.3)
        s = e.scrape()
        after = cluster.run(command)
        if key(before) == key(after):
            return before, s
    raise AssertionError(f"{' '.join(command)} never held still around a scrape")


def sdiag_backfill(text: str) -> dict[str, int]:
    """The backfill section of sdiag's text: key -> integer."""
    section = text.split("Backfilling stats", 1)[1].split("Latency for", 1)[0]
    out = {}
    for line in section.splitlines():
        m = re.match(r"\s*([^:]+):\s+(\d+)\s*$", line)
        if m:
            out[m.group(1).strip()] = int(m.group(2))
    return out


def test_backfill_names_match_sdiag(cluster, exp):
    # Counters move while the cluster runs; retry until sdiag holds still around the scrape.
    for _ in range(10):
        # Only the backfill section: sdiag's own RPC counts and clock move with every call.
        text, s = bracketed(cluster, exp, ["sdiag"], key=sdiag_backfill)
        bf = sdiag_backfill(text)
        if s.value("slurm_backfill_cycle_counter") == bf["Total cycles"]:
            break
    assert s.value("slurm_backfill_job_count") == bf["Total backfilled jobs (since last slurm start)"], text
    assert s.value("slurm_backfill_cycle_counter") == bf["Total cycles"], text
    assert s.value("slurm_backfill_last_depth_try_sched") == bf["Last depth cycle (try sched)"], text
    # The sum of cycle times: sdiag prints only the mean (sum / cycles, truncated).
    total = bf["Total cycles"]
    mean = bf.get("Mean cycle", 0)
    value = s.value("slurm_backfill_cycle_count")
    if exp.backend == "cli":
        assert value == mean * total, text
    else:
        assert mean * total <= value < (mean + 1) * max(total, 1), text
    # Untyped in the text (promtool would lint a _count gauge); the parser calls that "unknown".
    assert s.types["slurm_backfill_job_count"] == "unknown"


@pytest.fixture(scope="module")
def constrained_jobs(cluster, workload):
    """Node features and held jobs that ask for them: an AND, an OR (squeue prints '|' inside
    its Feature field) and brackets."""
    features = {"node1": "fast,ssd", "node2": "fast"}
    for node, f in features.items():
        cluster.run(["scontrol", "update", f"NodeName={node}", f"AvailableFeatures={f}",
                     f"ActiveFeatures={f}"])
    jobs = [cluster.sbatch("-H", "-p", "debug", f"--constraint={c}")
            for c in ("fast&ssd", "fast|ssd", "[fast|ssd]", "fast")]
    yield jobs
    cluster.run(["scancel", *jobs])


def test_account_and_feature_sums_match_squeue(cluster, exp, constrained_jobs):
    text, s = bracketed(cluster, exp, ["squeue", "-h", "-r", "-t", "all", "-o", "%i;%a;%T;%C;%f"])
    cpus_by_account: dict[str, float] = {}
    feature_total: dict[str, float] = {}
    feature_cpus: dict[str, float] = {}
    for line in text.splitlines():
        _, account, state, cpus, features = line.split(";", 4)
        if state in FINAL:
            continue
        cpus_by_account.setdefault(account, 0.0)
        held = state != "PENDING"
        if held:
            cpus_by_account[account] += float(cpus)
        # rivosinc: features split at '&'; a job without any counts under "".
        for f in ([] if features == "(null)" else features.split("&")) or [""]:
            feature_total[f] = feature_total.get(f, 0) + 1
            if held:
                feature_cpus[f] = feature_cpus.get(f, 0) + float(cpus)
    assert cpus_by_account, text
    got = {dict(k)["account"]: v for k, v in (s.get("slurm_account_cpu_alloc") or {}).items()}
    assert got == cpus_by_account, text
    assert s.value("slurm_account_cpu_alloc", account="physics") >= 1  # the running physics job
    # Memory per account: bytes, and the account's running jobs' TRES memory (never MB x 1e6).
    # physics runs 500M on node4 and 100M per node on two nodes (gpu_per_node).
    assert s.value("slurm_account_mem_alloc", account="physics") == (500 + 2 * 100) * 1024 * 1024
    got_total = {dict(k)["feature"]: v for k, v in (s.get("slurm_feature_total") or {}).items()}
    # Finished jobs: squeue -t all lists them, rivosinc counted them too; so does the exporter.
    all_total: dict[str, float] = {}
    for line in text.splitlines():
        features = line.split(";", 4)[4]
        for f in ([] if features == "(null)" else features.split("&")) or [""]:
            all_total[f] = all_total.get(f, 0) + 1
    assert got_total == all_total, text
    # The constrained jobs, whatever the backend: '|' inside a feature is carried whole.
    assert got_total.get("fast|ssd", 0) >= 1 and got_total.get("[fast|ssd]", 0) >= 1, text
    assert got_total.get("ssd", 0) >= 1 and got_total.get("fast", 0) >= 2, text
    got_cpus = {dict(k)["feature"]: v for k, v in (s.get("slurm_feature_cpu_alloc") or {}).items()}
    assert got_cpus.get("", 0) >= feature_cpus.get("", 0) > 0, text


def test_scrape_duration_and_error_families(cluster, exp):
    s = exp.scrape()
    for name in ("slurm_node_scrape_error", "slurm_job_scrape_error", "slurm_diag_scrape_error",
                 "slurm_lic_scrape_error"):
        assert s.value(name) == 0, name
        assert s.types[name] == "unknown"  # untyped: rivosinc names without _total (exporter.cpp)
    assert s.value("slurm_diag_scrape_duration") > 0


def test_lic_and_diag_cli_overrides_and_error_counter(cluster, workload, tmp_path):
    sdiag = shutil.which("sdiag", path=cluster.env.get("PATH"))
    assert sdiag
    # rivosinc's form (a command line with --json): the program is used with our arguments.
    e = start(cluster, "--backend=cli", f"-slurm.diag-cli={sdiag} --json",
              f"-slurm.lic-cli={tmp_path}/no-such-scontrol show lic --json")
    try:
        wait_for(lambda: (e.scrape().value("slurm_lic_scrape_error") or 0) >= 2, 30,
                 "license loads fail and are counted")
        s = e.scrape()
        assert s.value("slurm_exporter_collector_success", collector="licenses") == 0
        assert s.value("slurm_exporter_collector_success", collector="scheduler") == 1
        assert s.value("slurm_diag_scrape_error") == 0
        assert s.value("slurm_backfill_cycle_counter") is not None
    finally:
        e.stop()


def test_sacctmgr_cli_override_runs_that_program_for_slurmdbd(cluster, tmp_path):
    """-slurm.sacctmgr-cli (rivosinc's form, with arguments) names the sacctmgr the slurmdbd
    collector runs as "<it> show stats". This cluster has no slurmdbd: a stand-in prints captured
    `sacctmgr show stats` output and records its arguments."""
    fixture = PROJECT_ROOT / "test/slurm/fixtures/accounting/sacctmgr_stats.txt"
    calls = tmp_path / "calls"
    fake = tmp_path / "fake-sacctmgr"
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {calls}\nexec cat {fixture}\n")
    fake.chmod(0o755)
    text = fixture.read_text()
    want = {m.group(1): float(m.group(2)) for m in re.finditer(
        r"^\t(\w+)\s+\(\s*\d+\) count:(\d+)", text.split("by message type")[1].split("\n\n")[0],
        re.M)}
    assert want["DBD_GET_ASSOCS"] == 17  # the fixture as captured
    e = start(cluster, "--backend=cli", "--collector.slurmdbd", f"-slurm.sacctmgr-cli={fake} -P")
    try:
        wait_for(lambda: e.scrape().value("slurm_slurmdbd_up") == 1, 30, "slurm_slurmdbd_up 1")
        s = e.scrape()
        assert s.value("slurm_exporter_collector_success", collector="slurmdbd") == 1
        for rpc, count in want.items():
            assert s.value("slurm_slurmdbd_rpc_calls_total", type=rpc) == count, rpc
        assert set(calls.read_text().splitlines()) == {"show stats"}
    finally:
        e.stop()


def test_bad_variable_exits_2_naming_it(cluster):
    # run_exporter: a sanitizer report fails the test too.
    p = run_exporter(exporter_args(cluster), env={**cluster.env, "LOGLEVEL": "verbose"})
    assert p.returncode == 2
    assert "environment variable LOGLEVEL" in p.stderr


# ------------------------------------------------------------------------------ --compat=vpenso

VPENSO_NODES = {"alloc": "alloc", "comp": "comp", "down": "down", "drain": "drain", "err": "err",
                "fail": "fail", "idle": "idle", "maint": "maint", "mix": "mix", "resv": "res"}
VPENSO_QUEUE = {"pending": "PENDING", "running": "RUNNING", "suspended": "SUSPENDED",
                "cancelled": "CANCELLED", "completing": "COMPLETING", "completed": "COMPLETED",
                "configuring": "CONFIGURING", "failed": "FAILED", "timeout": "TIMEOUT",
                "preempted": "PREEMPTED", "node_fail": "NODE_FAIL"}


def check_vpenso_partitions_and_owners(s, parts: str, owners: str) -> None:
    """slurm_partition_cpus_* against `sinfo -o "%R %C"`, slurm_partition_jobs_pending and the
    user/account families against `squeue -a -r` (what vpenso runs)."""
    cpus = {}
    for line in parts.splitlines():
        name, c = line.split()
        row = cpus.setdefault(name, [0.0] * 4)  # sinfo may print a partition on several lines
        for k, x in enumerate(c.split("/")):
            row[k] += float(x)
    assert cpus
    for name, (a, i, o, t) in cpus.items():
        assert s.value("slurm_partition_cpus_allocated", partition=name) == a, (name, parts)
        assert s.value("slurm_partition_cpus_idle", partition=name) == i, (name, parts)
        assert s.value("slurm_partition_cpus_other", partition=name) == o, (name, parts)
        assert s.value("slurm_partition_cpus_total", partition=name) == t, (name, parts)
    pending = {name: 0 for name in cpus}
    users, accounts = {}, {}
    for line in owners.splitlines():
        part, user, account, state, ncpu = line.split("|")
        if state == "PENDING":
            for p in part.split(","):
                if p in pending:
                    pending[p] += 1
        if state not in ("PENDING", "RUNNING", "SUSPENDED"):
            continue
        for table, key in ((users, user), (accounts, account)):
            row = table.setdefault(key, {"pending": 0, "running": 0, "suspended": 0, "cpus": 0})
            row[state.lower()] += 1
            row["cpus"] += int(ncpu) if state == "RUNNING" else 0
    for name, n in pending.items():
        assert s.value("slurm_partition_jobs_pending", partition=name) == n, (name, owners)
    assert sum(pending.values()) >= 5
    for label, table in (("user", users), ("account", accounts)):
        assert len(s.get(f"slurm_{label}_jobs_pending") or {}) == len(table), (label, owners)
        for key, row in table.items():
            for fam in ("pending", "running", "suspended"):
                assert s.value(f"slurm_{label}_jobs_{fam}", **{label: key}) == row[fam], \
                    (label, key, fam, owners)
            assert s.value(f"slurm_{label}_cpus_running", **{label: key}) == row["cpus"], \
                (label, key, owners)
    assert len(users) >= 2  # root and the second user


@pytest.mark.parametrize("backend", BACKENDS)
def test_vpenso_names_match_sinfo_and_squeue(cluster, workload, backend):
    # node4 (one GPU and one CPU free) drained for this test: its free GPU is "other", not idle.
    cluster.run(["scontrol", "update", "NodeName=node4", "State=DRAIN", "Reason=vpenso other"])
    e = start(cluster, f"--backend={backend}", "--compat=vpenso")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        cmd_nodes = ["sinfo", "-h", "-N", "-o", "%N %T"]
        cmd_jobs = ["squeue", "-h", "-r", "-t", "all", "-o", "%T %r"]
        # vpenso's own commands for its partition, user and account families.
        cmd_parts = ["sinfo", "-h", "-o", "%R %C"]
        cmd_owners = ["squeue", "-a", "-r", "-h", "-o", "%P|%u|%a|%T|%C"]
        # vpenso's per-node command (a node once per partition: vpenso de-duplicates the lines).
        cmd_node_detail = ["sinfo", "-h", "-N", "-O",
                           "NodeList:60,AllocMem:20,Memory:20,CPUsState:30,StateLong:30"]
        cmd_node_gres = ["sinfo", "-h", "-N", "-O", "NodeList:|,CPUsState:|,Gres:|,GresUsed:|"]
        cmds = (cmd_nodes, cmd_jobs, cmd_parts, cmd_owners, cmd_node_detail, cmd_node_gres)

        def since_cycle() -> str:
            out = cluster.run(["sdiag"])
            return re.search(r"Total backfilled jobs \(since last stats cycle start\): *(\d+)",
                             out).group(1)

        for _ in range(10):
            before = [cluster.run(c) for c in cmds] + [since_cycle()]
            time.sleep(POLL_LIMIT + 0.3)
            s = e.scrape()
            if before == [cluster.run(c) for c in cmds] + [since_cycle()]:
                break
        n0, j0, parts, owners, node_detail, node_gres, bf_since_cycle = before
        assert s.value("slurm_scheduler_backfilled_jobs_since_cycle_total") == int(bf_since_cycle)
        detail = {tuple(l.split()) for l in node_detail.splitlines()}
        assert len(detail) == len(set(n0.splitlines())) >= 3, node_detail
        mib = 1024 * 1024
        for name, alloc_mem, mem, cpus, status in detail:
            a, i, o, t = (float(x) for x in cpus.split("/"))
            key = {"node": name, "status": status}
            assert s.value("slurm_node_cpu_alloc", **key) == a, (key, node_detail)
            assert s.value("slurm_node_cpu_idle", **key) == i, (key, node_detail)
            assert s.value("slurm_node_cpu_other", **key) == o, (key, node_detail)
            assert s.value("slurm_node_cpu_total", **key) == t, (key, node_detail)
            assert s.value("slurm_node_mem_alloc", **key) == int(alloc_mem) * mib, key
            assert s.value("slurm_node_mem_total", **key) == int(mem) * mib, key
        assert len(s.get("slurm_node_cpu_total")) == len(detail)
        # GPUs: free ones on a node whose CPUs sinfo counts as "other" are other, not idle.

        # gpu:a100:2(IDX:0-1), gpu:4, and 23.11-25.11's untyped gpu:(null):3(IDX:0-2)
        def gpus(text: str) -> int:
            return sum(int(n) for n in
                       re.findall(r"(?:^|,)gpu(?::(?:\(null\)|[^:,(]+))?:(\d+)", text))

        total = alloc = other = 0
        for line in set(node_gres.splitlines()):
            _, cpus, gres, used = line.split("|")[:4]
            t, a = gpus(gres), gpus(used)
            total, alloc = total + t, alloc + a
            if int(cpus.split("/")[2]) > 0:
                other += t - a
        assert total >= 8 and other >= 1, node_gres  # the workload's down node has GPUs
        assert s.value("slurm_gpus_total") == total, node_gres
        assert s.value("slurm_gpus_alloc") == alloc, node_gres
        assert s.value("slurm_gpus_other") == other, node_gres
        assert s.value("slurm_gpus_idle") == total - alloc - other, node_gres
        states = dict(l.split() for l in n0.splitlines())  # a node once, however many partitions
        for fam, prefix in VPENSO_NODES.items():
            want = sum(1 for st in states.values() if st.startswith(prefix))
            assert s.value(f"slurm_nodes_{fam}") == want, (fam, n0)
        assert s.value("slurm_nodes_drain") >= 1  # the workload's drained node
        jobs = [l.split(" ", 1) for l in j0.splitlines()]
        for fam, state in VPENSO_QUEUE.items():
            assert s.value(f"slurm_queue_{fam}") == sum(1 for st, _ in jobs if st == state), fam
        assert s.value("slurm_queue_pending") >= 5
        assert s.value("slurm_queue_pending_dependency") == sum(
            1 for st, r in jobs if st == "PENDING" and r == "Dependency")
        assert s.value("slurm_cpus_alloc") + s.value("slurm_cpus_other") + \
            s.value("slurm_cpus_idle") == s.value("slurm_cpus_total")
        assert s.value("slurm_gpus_total") == sum((s.get("slurm_gpus") or {}).values())
        assert s.value("slurm_gpus_alloc") == sum((s.get("slurm_gpus_allocated") or {}).values())
        assert s.value("slurm_scheduler_backfill_depth_mean") is not None
        assert s.value("slurm_exporter_collector_success", collector="vpenso") == 1
        check_vpenso_partitions_and_owners(s, parts, owners)
    finally:
        e.stop()
        cluster.run(["scontrol", "update", "NodeName=node4", "State=RESUME"])
    # Off by default.
    e = start(cluster, f"--backend={backend}")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        assert e.scrape().get("slurm_nodes_idle") is None
    finally:
        e.stop()
