# SPDX-License-Identifier: GPL-2.0-or-later
"""The accounting collectors (fairshare, limits, qos, slurmdbd; the per-user variants switched
on) against a real slurmdbd on MariaDB (the accounting cluster of conftest.py), on both backends:
every new family is recomputed from sshare, `scontrol show assoc_mgr`, sacctmgr and `sacctmgr
show stats` with this suite's own parser (accounting.py), and the two backends agree. Then the
faults: slurmdbd stopped, then MariaDB stopped, while scraping: no scrape fails, the right
collectors report success 0, and everything recovers when they come back."""

from __future__ import annotations

import math
import re
import time

import pytest

from accounting import assoc_mgr_usage, sacctmgr_assocs, sshare_rows
from harness import (MIB, POLL_LIMIT, Exporter, Scrape, exporter_args, exporter_binary,
                     wait_for)

BACKENDS = ("libslurm", "cli")
ACCOUNTING_COLLECTORS = ("fairshare", "fairshare_users", "limits", "limits_users", "qos",
                         "slurmdbd")
EXTRA = ("--collector.fairshare_users", "--collector.limits_users", "--collector.slurmdbd")


@pytest.fixture(scope="module")
def exporters(accounting_cluster):
    c = accounting_cluster
    out = {b: Exporter(exporter_binary(), exporter_args(c, extra=(f"--backend={b}", *EXTRA)),
                       c.env) for b in BACKENDS}
    try:
        for e in out.values():
            e.wait_listening(timeout=30)
            # A first poll: slurmdbd counts an RPC after answering it (a fresh slurmdbd's first
            # `sacctmgr show stats` lists no DBD_GET_STATS, on 22.05 … 26.05), so a poll's stats
            # request shows in the next poll's statistics, which the test looks for. (Without
            # it the test passed only when its sshare loop happened to poll twice.)
            e.scrape()
        yield out
    finally:
        for e in out.values():
            e.stop()


def close(a: float | None, b: float | None, rel: float = 1e-4, abs_: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def fairshare_problems(s: Scrape, rows: dict) -> list[str]:
    problems = []
    fields = {"raw_shares": 0, "norm_shares": 1e-5, "raw_usage": 1.0, "norm_usage": 1e-5,
              "effective_usage": 1e-5, "level_fs": 1e-4}
    for (account, user), v in rows.items():
        for field, tol in fields.items():
            if user:
                got = s.value(f"slurm_fairshare_user_{field}", account=account, user=user)
            else:
                got = s.value(f"slurm_fairshare_account_{field}", account=account)
            # sshare prints RawUsage as an integer (truncated): the native value may be up to 1
            # above it.
            if not close(got, v[field], rel=1e-4, abs_=tol):
                problems.append(f"{field}{{{account},{user}}}: exporter {got}, sshare {v[field]}")
        if user:
            got = s.value("slurm_fairshare_user_factor", account=account, user=user)
            if not close(got, v["fairshare"], abs_=1e-5):
                problems.append(f"factor{{{account},{user}}}: exporter {got}, "
                                f"sshare {v['fairshare']}")
        elif account != "root" or v["norm_shares"] is not None:
            got = s.value("slurm_account_fairshare", account=account)
            if not close(got, v["norm_shares"], abs_=1e-5):
                problems.append(f"slurm_account_fairshare{{{account}}}: {got} vs {v['norm_shares']}")
    return problems


def limit_problems(s: Scrape, usage: dict, configured: dict) -> list[str]:
    problems = []

    def check(name, labels, want):
        got = s.value(name, **labels)
        if not close(got, want, rel=0, abs_=0):
            problems.append(f"{name}{labels}: exporter {got}, Slurm {want}")

    for (account, user), u in usage.items():
        labels = {"account": account} if not user else {"account": account, "user": user,
                                                        "partition": ""}
        prefix = "slurm_assoc_" if not user else "slurm_user_assoc_"
        for tres, (limit, used) in u["tres"].items():
            check(prefix + "grp_tres_limit", {**labels, "tres": tres}, limit)
            if tres in ("cpu", "mem", "node", "billing") or tres.startswith("gres/"):
                check(prefix + "grp_tres_used", {**labels, "tres": tres}, used)
        check(prefix + "grp_jobs_limit", labels, u["GrpJobs"][0])
        check(prefix + "grp_jobs_used", labels, u["GrpJobs"][1])
        check(prefix + "grp_submit_limit", labels, u["GrpSubmitJobs"][0])
        check(prefix + "grp_submit_used", labels, u["GrpSubmitJobs"][1])
        # sacctmgr's configured MaxJobs/MaxSubmit equal assoc_mgr's.
        conf = configured[(account, user)]
        check(prefix + "max_jobs_limit", labels, conf["max_jobs"])
        check(prefix + "max_submit_limit", labels, conf["max_submit"])
        if not user:
            # rivosinc's families: GrpCPU, GrpMem (bytes), GrpJobs, GrpSubmit; no sample when
            # unlimited.
            check("slurm_account_cpu_limit", {"account": account}, conf["grp_tres"].get("cpu"))
            check("slurm_account_mem_limit", {"account": account}, conf["grp_tres"].get("mem"))
            check("slurm_account_job_alloc_limit", {"account": account}, conf["grp_jobs"])
            check("slurm_account_job_limit", {"account": account}, conf["grp_submit"])
    return problems


def qos_problems(s: Scrape, c) -> list[str]:
    problems = []
    text = c.run(["sacctmgr", "-n", "-P", "show", "qos", "format=Name,Priority,GrpJobs,MaxWall"])
    for line in text.split():
        name, prio, grp_jobs, max_wall = line.split("|")
        for fam, want in (("slurm_qos_priority", float(prio)),
                          ("slurm_qos_grp_jobs_limit", float(grp_jobs) if grp_jobs else None)):
            got = s.value(fam, qos=name)
            if not close(got, want, rel=0, abs_=0):
                problems.append(f"{fam}{{{name}}}: exporter {got}, sacctmgr {want}")
        if max_wall:
            h, m, sec = (int(x) for x in max_wall.split(":"))
            if s.value("slurm_qos_max_wall_seconds", qos=name) != h * 3600 + m * 60 + sec:
                problems.append(f"slurm_qos_max_wall_seconds{{{name}}}")
    return problems


def success(s: Scrape) -> dict[str, float]:
    return {dict(k)["collector"]: v
            for k, v in (s.get("slurm_exporter_collector_success") or {}).items()}


def test_every_accounting_family_matches_slurm_on_both_backends(accounting_cluster, exporters):
    c = accounting_cluster
    # Running jobs accrue usage every PriorityCalcPeriod: compare within one calculation.
    for attempt in range(10):
        before = (sshare_rows(c), assoc_mgr_usage(c))
        time.sleep(1.2)
        scrapes = {b: e.scrape() for b, e in exporters.items()}
        after = (sshare_rows(c), assoc_mgr_usage(c))
        if before == after:
            break
    else:
        pytest.fail("sshare/assoc_mgr changed around every scrape")
    rows, usage = before
    configured = sacctmgr_assocs(c)
    problems = []
    for backend, s in scrapes.items():
        ok = success(s)
        for name in ACCOUNTING_COLLECTORS:
            if ok.get(name) != 1:
                problems.append(f"{backend}: collector {name} success {ok.get(name)}")
        problems += [f"{backend}: {p}" for p in fairshare_problems(s, rows)]
        problems += [f"{backend}: {p}" for p in limit_problems(s, usage, configured)]
        problems += [f"{backend}: {p}" for p in qos_problems(s, c)]
        # rivosinc's load companions: a duration in ms, no failed load, no row left out.
        for prefix in ("slurm_fairshare", "slurm_limit"):
            ms = s.value(f"{prefix}_scrape_duration")
            if ms is None or not 0 < ms < 5000:
                problems.append(f"{backend}: {prefix}_scrape_duration {ms}")
        for name in ("slurm_fairshare_scrape_error", "slurm_fairshare_collect_error",
                     "slurm_account_scrape_error", "slurm_account_collect_error"):
            if s.value(name) != 0:
                problems.append(f"{backend}: {name} {s.value(name)}")
        if s.value("slurm_slurmdbd_up") != 1:
            problems.append(f"{backend}: slurm_slurmdbd_up {s.value('slurm_slurmdbd_up')}")
        # The RPC types sacctmgr names are the exporter's labels too (the libslurm backend names
        # them from its own table).
        types = {dict(k)["type"] for k in s.get("slurm_slurmdbd_rpc_calls_total") or {}}
        for want in ("DBD_GET_ASSOCS", "DBD_FINI", "DBD_GET_STATS"):
            if want not in types:
                problems.append(f"{backend}: no slurm_slurmdbd_rpc_calls_total{{type={want}}}")
        users = {dict(k)["user"] for k in s.get("slurm_slurmdbd_user_rpc_calls_total") or {}}
        if "root" not in users:
            problems.append(f"{backend}: no slurm_slurmdbd_user_rpc_calls_total{{user=root}}")
    # The libslurm backend names slurmdbd's message types from its own table: every name is one
    # this release's sacctmgr prints (read afterwards: the set of types only grows).
    by_type = c.run(["sacctmgr", "show", "stats"]).split("by message type")[1].split("by user")[0]
    printed = set(re.findall(r"^\s+(\S+)\s+\(\s*\d+\) count:", by_type, re.M))
    for k in scrapes["libslurm"].get("slurm_slurmdbd_rpc_calls_total") or {}:
        if dict(k)["type"] not in printed:
            problems.append(f"libslurm: slurmdbd RPC type {dict(k)['type']!r} is not one of "
                            f"sacctmgr's {sorted(printed)}")
    assert not problems, "\n".join(problems)
    for backend, s in scrapes.items():  # the cost per poll, for the README (-s shows it)
        durations = {dict(k)["collector"]: v for k, v in
                     (s.get("slurm_exporter_collector_duration_seconds") or {}).items()}
        print(backend, {n: f"{durations.get(n, 0) * 1000:.1f} ms" for n in ACCOUNTING_COLLECTORS})
    # Key values on their own (the tree of slurm-cluster.sh): chem's 2-CPU limit is full.
    s = scrapes["libslurm"]
    assert s.value("slurm_assoc_grp_tres_limit", account="chem", tres="cpu") == 2
    assert s.value("slurm_assoc_grp_tres_used", account="chem", tres="cpu") == 2
    assert s.value("slurm_assoc_grp_tres_limit", account="astro", tres="mem") == 16000 * MIB
    assert s.value("slurm_account_mem_limit", account="hep") == 4000 * MIB
    assert s.value("slurm_assoc_grp_tres_limit", account="root", tres="cpu") is None


def test_the_backends_agree_on_the_accounting_families(exporters, accounting_cluster):
    """Everything but usage (which grows between the two scrapes) and slurmdbd's counters."""
    moving = ("raw_usage", "norm_usage", "effective_usage", "level_fs", "factor", "usage_raw",
              "slurmdbd", "limit_scrape_duration", "fairshare_scrape_duration", "account_fairshare")
    fams = ("slurm_fairshare_", "slurm_assoc_", "slurm_user_assoc_", "slurm_qos_",
            "slurm_account_cpu_limit", "slurm_account_mem_limit", "slurm_account_job_")
    a, b = (exporters[x].scrape() for x in BACKENDS)
    diffs = []
    for name in sorted(set(a.series) | set(b.series)):
        if not name.startswith(fams) or any(m in name for m in moving):
            continue
        x, y = a.get(name) or {}, b.get(name) or {}
        # sshare prints 6 decimals; libslurm has the exact shares.
        if x.keys() != y.keys() or any(not close(x[k], y[k], rel=1e-5, abs_=1e-5) for k in x):
            diffs.append(f"{name}: libslurm {a.get(name)}\n  cli {b.get(name)}")
    assert not diffs, "\n".join(diffs)


def test_slurmdbd_then_mariadb_down_and_back(accounting_cluster, exporters):
    c = accounting_cluster

    def scrapes():
        return {b: e.scrape(timeout=60) for b, e in exporters.items()}

    try:
        c.stop_dbd()
        # slurmctld keeps its association manager: fairshare, limits and qos go on; only the
        # slurmdbd collector fails, and says slurmdbd is down.
        def dbd_down_seen():
            return all(success(s).get("slurmdbd") == 0 and s.value("slurm_slurmdbd_up") == 0
                       for s in scrapes().values())
        wait_for(dbd_down_seen, 60, "slurm_slurmdbd_up 0 on both backends")
        for backend, s in scrapes().items():
            ok = success(s)
            assert s.value("slurm_up") == 1, backend
            for name in ("fairshare", "limits", "qos", "jobs", "nodes"):
                assert ok.get(name) == 1, (backend, name, ok)
            assert s.value("slurm_assoc_grp_tres_limit", account="chem", tres="cpu") == 2
        c.start_dbd()
        c.stop_db()
        # slurmdbd without its database answers no statistics either (measured: sacctmgr show
        # stats fails): the slurmdbd collector reports it, the rest goes on.
        wait_for(dbd_down_seen, 60, "slurm_slurmdbd_up 0 with MariaDB down")
        for backend, s in scrapes().items():
            ok = success(s)
            assert s.value("slurm_up") == 1, backend
            for name in ("fairshare", "limits", "qos", "jobs"):
                assert ok.get(name) == 1, (backend, name, ok)
    finally:
        c.start_db()
        c.start_dbd()

    def recovered():
        return all(success(s).get("slurmdbd") == 1 and s.value("slurm_slurmdbd_up") == 1
                   for s in scrapes().values())
    wait_for(recovered, 90, "the slurmdbd collector to recover on both backends")


def assoc_mgr_rpcs(c) -> int:
    """slurmctld's count of REQUEST_ASSOC_MGR_INFO RPCs (sdiag, read here, not by the exporter)."""
    m = re.search(r"^\s*REQUEST_ASSOC_MGR_INFO\s+\(\s*\d+\)\s+count:(\d+)",
                  c.run(["sdiag"]), re.M)
    return int(m.group(1)) if m else 0


def test_libslurm_asks_the_association_manager_once_per_poll(accounting_cluster):
    """fairshare (sshare's numbers), limits and qos all come from slurmctld's association manager;
    the libslurm backend reads it with one RPC per poll, not one per kind (it made two: one for
    the shares, one for limits and QOS). The cli backend runs sshare and `scontrol show assoc_mgr`,
    different commands by nature."""
    c = accounting_cluster
    e = Exporter(exporter_binary(), exporter_args(c, extra=("--backend=libslurm", *EXTRA)), c.env)
    try:
        e.wait_listening(timeout=30)
        wait_for(lambda: success(e.scrape()).get("fairshare") == 1, 30, "fairshare success 1")
        polls = 3
        before = assoc_mgr_rpcs(c)
        for _ in range(polls):
            time.sleep(POLL_LIMIT + 0.3)  # past the poll limit: each scrape is a new poll
            s = e.scrape()
        after = assoc_mgr_rpcs(c)
    finally:
        e.stop()
    ok = success(s)
    assert all(ok.get(n) == 1 for n in ("fairshare", "limits", "qos")), ok
    assert s.get("slurm_fairshare_user_factor") and s.get("slurm_assoc_grp_tres_limit")
    assert after - before == polls, f"{after - before} REQUEST_ASSOC_MGR_INFO in {polls} polls"
    # Those collectors off (rivosinc's flag for limits): none at all, on either backend.
    for backend in BACKENDS:
        e = Exporter(exporter_binary(), exporter_args(c, extra=(
            f"--backend={backend}", "--no-collector.fairshare", "-slurm.collect-limits=false",
            "--no-collector.qos")), c.env)
        try:
            e.wait_listening(timeout=30)
            before = assoc_mgr_rpcs(c)
            for _ in range(2):
                time.sleep(POLL_LIMIT + 0.3)
                assert e.scrape().value("slurm_up") == 1
            assert assoc_mgr_rpcs(c) == before, backend
        finally:
            e.stop()
