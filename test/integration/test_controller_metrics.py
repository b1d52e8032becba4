# SPDX-License-Identifier: GPL-2.0-or-later
"""The controller-side collectors (scheduler/sdiag, licenses, reservations, controllers) against a
real cluster, on both backends: each family compared with what sdiag, `scontrol show lic/res` and
`scontrol ping` print around the same scrape. Counters must lie between an sdiag taken before the
scrape's poll and one taken after it."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time

import pytest

from promtool_check import check as promtool_check
from harness import (POLL_LIMIT, Exporter, L, Scrape, exporter_args, exporter_binary,

                     parse_kv_line, primary_state, wait_for)

BACKENDS = ("libslurm", "cli")


def start(cluster, *extra: str) -> Exporter:
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=extra), cluster.env)
    e.wait_listening(timeout=30)
    return e


@pytest.fixture(scope="module", params=BACKENDS)
def exp(request, cluster, workload):
    e = start(cluster, f"--backend={request.param}")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        yield e
    finally:
        e.stop()


def fresh_scrape(e: Exporter) -> Scrape:
    """A scrape whose poll started after this call (the exporter reuses a poll for POLL_LIMIT)."""
    time.sleep(POLL_LIMIT + 0.3)
    return e.scrape()


def bracketed(cluster, e: Exporter, command: list[str], attempts: int = 10):
    """(text, scrape) with the command's output equal before and after the scrape."""
    for _ in range(attempts):
        before = cluster.run(command)
        s = fresh_scrape(e)
        after = cluster.run(command)
        if before == after:
            return before, s
    raise AssertionError(f"{' '.join(command)} never held still around a scrape")


# ------------------------------------------------------------------------------------ licenses


def test_licenses_match_scontrol(cluster, exp):
    text, s = bracketed(cluster, exp, ["scontrol", "show", "licenses", "-o"])
    lics = [parse_kv_line(l) for l in text.splitlines() if l.startswith("LicenseName=")]
    assert {l["LicenseName"] for l in lics} == {"matlab", "fluent", "spare"}, text
    for l in lics:
        name = l["LicenseName"]
        for fam, key in (("total", "Total"), ("used", "Used"), ("free", "Free"),
                         ("reserved", "Reserved")):
            assert s.value(f"slurm_license_{fam}", license=name) == float(l[key]), (fam, name, text)
            assert (s.get(f"slurm_lic_{fam}") or {}).get(L(name=name)) == float(l[key]), \
                (fam, name, text)
        assert s.value("slurm_license_remote", license=name) == (l["Remote"] == "yes")
        assert len(s.get("slurm_license_total")) == len(lics)
    # The workload's jobs hold licenses and the maintenance reservation one.
    assert s.value("slurm_license_used", license="matlab") == 4
    assert s.value("slurm_license_used", license="fluent") == 1
    assert s.value("slurm_license_reserved", license="spare") == 1


# -------------------------------------------------------------------------------- reservations


def local_epoch(text: str) -> float:
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))


def expand(nodes: str) -> list[str]:
    m = re.fullmatch(r"([^\[]*)\[([^\]]*)\]", nodes)
    if not m:
        return [n for n in nodes.split(",") if n and n != "(null)"]
    out = []
    for part in m.group(2).split(","):
        lo, _, hi = part.partition("-")
        out += [f"{m.group(1)}{i}" for i in range(int(lo), int(hi or lo) + 1)]
    return out


def test_reservations_match_scontrol(cluster, exp):
    text, s = bracketed(cluster, exp, ["scontrol", "show", "reservation", "-o"])
    res = [parse_kv_line(l) for l in text.splitlines() if l.startswith("ReservationName=")]
    assert {r["ReservationName"] for r in res} == {"maint_now", "future", "reserved_now"}, text
    nodes = {r["NodeName"]: r for r in map(parse_kv_line,
                                            cluster.run(["scontrol", "-o", "show", "node"])
                                            .splitlines()) if "NodeName" in r}
    sinfo = {l.split("|")[0]: l.split("|")[1]
             for l in cluster.run(["sinfo", "-h", "-N", "-o", "%N|%T"]).splitlines()}
    info = s.get("slurm_reservation_info")
    assert len(info) == len(res), info
    for r in res:
        name = r["ReservationName"]
        partition = "" if r["PartitionName"] == "(null)" else r["PartitionName"]
        assert s.value("slurm_reservation_info", reservation=name, partition=partition,
                       flags=r["Flags"]) == 1, (name, info)
        assert s.value("slurm_reservation_start_timestamp_seconds", reservation=name) == \
            local_epoch(r["StartTime"])
        assert s.value("slurm_reservation_end_timestamp_seconds", reservation=name) == \
            local_epoch(r["EndTime"])
        assert s.value("slurm_reservation_nodes", reservation=name) == float(r["NodeCnt"])
        assert s.value("slurm_reservation_cores", reservation=name) == float(r["CoreCnt"])
        assert s.value("slurm_reservation_active", reservation=name) == \
            (1.0 if r["State"] == "ACTIVE" else 0.0), (name, r["State"])
        # The reserved nodes' primary states (the README's rule, from sinfo's name).
        want: dict[str, float] = {}
        for n in expand(r["Nodes"]):
            state = primary_state(sinfo[n], nodes[n]["State"])
            want[state] = want.get(state, 0) + 1
        by_state = {dict(k)["state"]: v for k, v in s.get("slurm_reservation_nodes_by_state").items()
                    if dict(k)["reservation"] == name}
        assert {k: v for k, v in by_state.items() if v} == want, (name, by_state, sinfo)
    assert s.value("slurm_reservation_active", reservation="maint_now") == 1
    assert s.value("slurm_reservation_active", reservation="future") == 0
    assert "MAINT" in [dict(k)["flags"] for k in info if dict(k)["reservation"] == "maint_now"][0]


# --------------------------------------------------------------------------------- controllers


def test_controllers_match_scontrol_ping(cluster, exp):
    text, s = bracketed(cluster, exp, ["scontrol", "ping"])
    lines = re.findall(r"Slurmctld\((\w+)\) at (\S+) is (UP|DOWN)", text)
    assert [l[2] for l in lines] == ["UP", "DOWN"], text  # the backup never runs
    up = s.get("slurm_controller_up")
    assert up == {L(controller=host, index=str(i)): (1.0 if st == "UP" else 0.0)
                  for i, (_, host, st) in enumerate(lines)}, (up, text)
    # This exporter runs on the primary, which answers.
    assert lines[0][1] == socket.gethostname().split(".")[0]
    assert s.value("slurm_exporter_on_active_controller") == 1
    # The dead backup fails fast (connection refused), not after MessageTimeout (5 s here).
    pings = s.get("slurm_controller_ping_seconds")
    assert set(dict(k)["controller"] for k in pings) == {l[1] for l in lines}
    assert all(0 <= v < 2 for v in pings.values()), pings
    assert s.value("slurm_exporter_collector_success", collector="controllers") == 1


# ----------------------------------------------------------------------------------- scheduler

SDIAG_COUNTERS = {
    "slurm_scheduler_cycles_total": ("main", "Total cycles"),
    "slurm_scheduler_jobs_submitted_total": ("head", "Jobs submitted"),
    "slurm_scheduler_jobs_started_total": ("head", "Jobs started"),
    "slurm_scheduler_jobs_completed_total": ("head", "Jobs completed"),
    "slurm_scheduler_jobs_canceled_total": ("head", "Jobs canceled"),
    "slurm_scheduler_jobs_failed_total": ("head", "Jobs failed"),
    "slurm_backfill_cycles_total": ("bf", "Total cycles"),
    "slurm_backfilled_jobs_total": ("bf", "Total backfilled jobs (since last slurm start)"),
    "slurm_backfilled_heterogeneous_jobs_total": ("bf", "Total backfilled heterogeneous job "
                                                        "components"),
}


def parse_sdiag(text: str) -> dict:
    """sdiag's text, independently of the exporter's parser."""
    out = {"head": {}, "main": {}, "bf": {}, "types": {}, "users": {}}
    section = "head"
    for line in text.splitlines():
        t = line.strip()
        if not t:
            continue
        if t.startswith("Main schedule statistics"):
            section = "main"
        elif t.startswith("Backfilling stats"):
            section = "bf"
        elif t.startswith("Remote Procedure Call statistics by message type"):
            section = "types"
        elif t.startswith("Remote Procedure Call statistics by user"):
            section = "users"
        elif t.startswith(("Pending RPC", "Latency", "Main scheduler exit", "Backfill exit")):
            section = "other"
        elif section in ("types", "users"):
            m = re.match(r"(\S+)\s*\(\s*(\d+)\) count:(\d+)\s+ave_time:(\d+)\s+total_time:(\d+)$", t)
            assert m, f"unexpected sdiag RPC row {line!r}"
            out[section][m.group(1)] = (int(m.group(3)), int(m.group(5)))
        elif section in out and ":" in t:
            key, _, value = t.partition(":")
            value = value.strip()
            if re.fullmatch(r"\d+", value):
                out[section][key.strip()] = int(value)
            elif key.strip() == "Last cycle when":
                m = re.search(r"\((\d+)\)$", value)
                out[section][key.strip()] = int(m.group(1)) if m else 0
    return out


def test_scheduler_counters_lie_between_two_sdiags(cluster, exp, workload):
    before = parse_sdiag(cluster.run(["sdiag"]))
    s = fresh_scrape(exp)
    after = parse_sdiag(cluster.run(["sdiag"]))
    problems = []
    for fam, (section, key) in SDIAG_COUNTERS.items():
        assert s.types.get(fam) == "counter", (fam, s.types.get(fam))
        v = s.value(fam)
        if not before[section][key] <= v <= after[section][key]:
            problems.append(f"{fam} = {v}, sdiag before {before[section][key]}, "
                            f"after {after[section][key]}")
    # RPC tables: every type and user sdiag listed before is there, within the bracket.
    for fam_calls, fam_time, table, label in (
            ("slurm_rpc_calls_total", "slurm_rpc_duration_seconds_total", "types", "type"),
            ("slurm_rpc_user_calls_total", "slurm_rpc_user_duration_seconds_total", "users",
             "user")):
        for name, (count, total_us) in before[table].items():
            got = s.value(fam_calls, **{label: name})
            hi = after[table].get(name, (count, total_us))
            if got is None or not count <= got <= hi[0]:
                problems.append(f"{fam_calls}{{{label}={name}}} = {got}, sdiag {count}..{hi[0]}")
            secs = s.value(fam_time, **{label: name})
            if secs is None or not total_us / 1e6 - 1e-9 <= secs <= hi[1] / 1e6 + 1e-9:
                problems.append(f"{fam_time}{{{label}={name}}} = {secs}, sdiag µs {total_us}..{hi[1]}")
        for labels in s.get(fam_calls) or {}:
            assert dict(labels)[label] in after[table], (fam_calls, labels, after[table].keys())
    assert not problems, "\n".join(problems)
    # The exporter's own polls and the workload's submissions are in the tables.
    assert s.value("slurm_rpc_calls_total", type="REQUEST_NODE_INFO") >= 1
    assert s.value("slurm_rpc_calls_total", type="REQUEST_SUBMIT_BATCH_JOB") >= len(workload.jobs)
    assert s.value("slurm_rpc_user_calls_total", user="root") >= 1
    assert s.value("slurm_scheduler_jobs_submitted_total") >= len(workload.jobs)
    assert s.value("slurm_scheduler_cycles_total") >= 1
    # Gauges in base units: the main scheduler's last cycle as sdiag prints it, in seconds.
    assert s.value("slurm_scheduler_max_cycle_seconds") <= after["main"]["Max cycle"] / 1e6 + 1e-9
    assert s.value("slurm_scheduler_max_cycle_seconds") >= before["main"]["Max cycle"] / 1e6 - 1e-9
    assert s.value("slurm_scheduler_threads") >= 1
    assert s.value("slurm_daemon_thread_count") == s.value("slurm_scheduler_threads")
    assert before["bf"].get("Last cycle when", 0) <= \
        s.value("slurm_backfill_last_cycle_timestamp_seconds") <= after["bf"].get("Last cycle when", 0)


def test_promtool_accepts_the_output(exp):
    assert shutil.which("promtool"), "promtool not found (Debian package: prometheus)"
    s = exp.scrape()
    assert s.get("slurm_rpc_calls_total") and s.get("slurm_reservation_info")
    ok, out = promtool_check(s.text.encode())
    assert ok, f"promtool check metrics:\n{out}"


# ----------------------------------------------------------------------- switches and aliases


def rpc_counts(cluster) -> dict[str, int]:
    return {k: v[0] for k, v in parse_sdiag(cluster.run(["sdiag"]))["types"].items()}


def test_disabled_collectors_make_no_rpcs_and_rivosinc_flags_are_aliases(cluster, workload):
    watched = ("REQUEST_LICENSE_INFO", "REQUEST_RESERVATION_INFO", "REQUEST_PING",
               "REQUEST_ASSOC_MGR_INFO")
    e = start(cluster, "-slurm.collect-diags=false", "-slurm.collect-licenses=false",
              "-slurm.collect-limits=false", "--no-collector.fairshare", "--no-collector.qos",
              "--no-collector.private_data", "--no-collector.process",
              "--no-collector.reservations", "--no-collector.controllers")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        before = rpc_counts(cluster)
        for _ in range(3):
            s = fresh_scrape(e)
        after = rpc_counts(cluster)
        for t in watched:
            assert after.get(t, 0) == before.get(t, 0), (t, before.get(t), after.get(t))
        # sdiag's own RPC: the exporter made none (only this test's second sdiag counts).
        assert after.get("REQUEST_STATS_INFO", 0) - before.get("REQUEST_STATS_INFO", 0) <= 1
        for fam in ("slurm_rpc_calls_total", "slurm_license_total", "slurm_lic_total",
                    "slurm_reservation_info", "slurm_controller_up"):
            assert s.get(fam) is None, fam
        collectors = {dict(k)["collector"] for k in s.get("slurm_exporter_collector_success")}
        assert collectors == {"nodes", "node_reason", "jobs"}, collectors
    finally:
        e.stop()
    # The same watch with the collectors on sees the exporter's RPCs (the check above can fail).
    e = start(cluster, "-slurm.collect-diags", "-slurm.collect-licenses")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        before = rpc_counts(cluster)
        for _ in range(2):
            s = fresh_scrape(e)
        after = rpc_counts(cluster)
        for t in watched:
            if t == "REQUEST_ASSOC_MGR_INFO":
                # Not on this cluster without accounting, even with fairshare, limits and qos
                # on (23.11's slurmctld dies on it); test_accounting counts it where it is made.
                assert after.get(t, 0) == before.get(t, 0), (t, before.get(t), after.get(t))
            else:
                assert after.get(t, 0) > before.get(t, 0), (t, before.get(t), after.get(t))
        assert s.get("slurm_rpc_calls_total") and s.get("slurm_lic_total")
    finally:
        e.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_accounting_the_accounting_collectors_are_empty_and_say_so_once(cluster, backend):
    """This cluster has no slurmdbd: fairshare, limits and qos (on by default) succeed with no
    series, the rest keeps working, and one log line says why they are empty. The exporter
    never asks for the association manager there: Slurm 23.11's slurmctld dies on that request
    without accounting (SIGSEGV in assoc_mgr_info_get_pack_msg, every cluster of a 23.11.10
    whole-suite run)."""
    with open(cluster.conf) as f:
        assert "accounting_storage/slurmdbd" not in f.read()
    e = start(cluster, f"--backend={backend}")
    try:
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        before = rpc_counts(cluster).get("REQUEST_ASSOC_MGR_INFO", 0)
        for _ in range(3):
            s = fresh_scrape(e)
        assert rpc_counts(cluster).get("REQUEST_ASSOC_MGR_INFO", 0) == before
        assert s.value("slurm_up") == 1
        ok = {dict(k)["collector"]: v for k, v in s.get("slurm_exporter_collector_success").items()}
        for name in ("fairshare", "limits", "qos"):
            assert ok.get(name) == 1, (name, ok.get(name), e.log_text())
        assert ok.get("nodes") == 1 and ok.get("jobs") == 1, ok
        fams = {line.split("{")[0].split(" ")[0] for line in s.text.splitlines()
                if line and not line.startswith("#")}
        accounting = sorted(f for f in fams if f.startswith(
            ("slurm_assoc_", "slurm_fairshare_", "slurm_qos_")) or f in (
            "slurm_account_fairshare", "slurm_account_cpu_limit", "slurm_account_mem_limit",
            "slurm_account_job_alloc_limit", "slurm_account_job_limit"))
        assert accounting == [], accounting
        said = [line for line in e.log() if "has no association" in line]
        assert len(said) == 1 and "level=info" in said[0], e.log_text()
    finally:
        e.stop()
