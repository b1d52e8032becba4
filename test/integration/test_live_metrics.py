# SPDX-License-Identifier: GPL-2.0-or-later
"""The exporter's /metrics against a real cluster in a settled workload, family by family, compared
with what sinfo / squeue / scontrol print on the same cluster at the same moment."""

from __future__ import annotations

import math
import os
import re
import resource
import shutil
import subprocess
import time

import pytest

from promtool_check import check as promtool_check
from harness import (CONTRACT_FAMILIES, FLAGS, LOAD_FAMILIES, POLL_LIMIT, PRIMARY_STATES,

                     USUAL_NODE_STATES, Exporter, L, MIB, Scrape, SlurmView, compare_family, expected_metrics, exporter_args,
                     expected_oldest_pending, expected_partition_job_families,
                     exporter_binary, fmt_labels, parse_kv_line, primary_state, run_exporter, wait_for)


class Live:
    def __init__(self, view: SlurmView, scrape: Scrape, exporter: Exporter, attempts: int):
        self.view = view
        self.scrape = scrape
        self.exporter = exporter
        self.expected = expected_metrics(view)
        self.attempts = attempts
        self.sinfo_version = ""

    def slurm_said(self) -> str:
        return (f"sinfo -h -N -o '%N|%R|%T|%C|%m|%e|%O|%w':\n{self.view.raw_sinfo}"
                f"scontrol AllocMem (MiB): {dict(self.view.node_alloc_mem_mib)}\n"
                f"squeue -h -r -o '%i|%F|%K|%u|%a|%P|%T|%C|%r':\n{self.view.raw_squeue}"
                f"job memory from scontrol TRES= (bytes): {dict(self.view.job_mem_bytes)}\n")


def settled_scrape(cluster, exporter: Exporter, attempts: int = 10) -> tuple[SlurmView, Scrape, int]:
    """A scrape bracketed by two equal views of Slurm. The exporter may serve a snapshot up to
    POLL_LIMIT old, so the scrape comes more than POLL_LIMIT after the first view; CPU load and free
    memory change at every slurmctld ping (~10 s), hence the retries."""
    diffs = []
    for attempt in range(1, attempts + 1):
        before = cluster.view()
        time.sleep(POLL_LIMIT + 0.3)
        scrape = exporter.scrape()
        after = cluster.view()
        if before == after:
            return before, scrape, attempt
        diffs.append(f"attempt {attempt}:\nbefore:\n{before.raw_sinfo}{before.raw_squeue}"
                     f"after:\n{after.raw_sinfo}{after.raw_squeue}")
    raise AssertionError("Slurm never held still around a scrape:\n" + "\n".join(diffs[-2:]))


@pytest.fixture(scope="module")
def live(cluster, workload):
    e = Exporter(exporter_binary(), exporter_args(cluster), cluster.env)
    try:
        e.wait_listening(timeout=20)
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30,
                 "slurm_up 1 on the first scrapes")
        view, scrape, attempts = settled_scrape(cluster, e)
        result = Live(view, scrape, e, attempts)
        result.sinfo_version = cluster.run(["sinfo", "-V"]).strip()
        yield result
    finally:
        e.stop()


def test_promtool_accepts_the_output(live):
    assert shutil.which("promtool"), "promtool not found (Debian package: prometheus)"
    ok, out = promtool_check(live.scrape.text.encode())
    assert ok, f"promtool check metrics:\n{out}"


@pytest.mark.parametrize("family", CONTRACT_FAMILIES)
def test_family_matches_slurm(live, family):
    tolerance = 0.01 if family in LOAD_FAMILIES else 0.0
    problems = compare_family(family, live.expected.get(family, {}), live.scrape.get(family),
                              tolerance)
    got = live.scrape.get(family) or {}
    assert not problems, ("\n".join(problems) + "\n\nscraped:\n" +
                          "\n".join(f"  {family}{fmt_labels(k)} {v!r}" for k, v in got.items()) +
                          "\n\n" + live.slurm_said())


def test_scenario_has_the_node_states_and_jobs_it_needs(live):
    # Guards the test itself: the comparisons above only mean something on a varied cluster.
    states = {dict(k)["state"] for k in live.expected["slurm_node_count_per_state"]}
    # No node is idle (every slurmd node runs, waits for or refuses work); idle's zero-filled
    # series is checked by test_usual_node_states_are_zero_filled.
    assert {"mixed", "allocated", "drained$", "draining", "down*"} <= states, live.slurm_said()
    assert states & {"unknown*", "down*"}, live.slurm_said()
    # node6 never had a slurmd: sinfo prints N/A for its free memory and CPU load.
    node6 = [line for line in live.view.raw_sinfo.splitlines() if line.startswith("node6|")]
    assert node6 and node6[0].split("|")[5:7] == ["N/A", "N/A"], live.slurm_said()
    assert live.expected["slurm_jobs_running"][L()] >= 6
    assert live.expected["slurm_jobs_pending"][L()] >= 10
    partitions = {dict(k)["partition"] for k in live.expected["slurm_partition_job_state_total"]}
    assert {"debug", "batch", "debug,batch", "batch,debug"} <= partitions, live.slurm_said()


def test_pending_reasons_are_codes_never_descriptions(live):
    # The requeued-held job: squeue's text says "job requeued in held state", its code is
    # JobHeldUser; no label may be a description (bounded series).
    assert "job requeued in held state" in live.view.raw_squeue, live.slurm_said()
    got = {dict(k)["reason"]: v for k, v in live.scrape.get("slurm_pending_reason_total").items()}
    assert got.get("JobHeldUser", 0) >= 2 and "other" not in got, got  # requeued + held jobs
    for reason in got:
        assert re.fullmatch(r"[A-Za-z0-9_]+", reason), got


def test_usual_node_states_are_zero_filled(live):
    for family in ("slurm_node_count_per_state", "slurm_cpus_per_state"):
        series = live.scrape.get(family) or {}
        for state in USUAL_NODE_STATES:
            assert L(state=state) in series, f'{family}{{state="{state}"}} is missing'
    assert live.scrape.value("slurm_node_count_per_state", state="completing") == 0
    assert live.scrape.value("slurm_cpus_per_state", state="completing") == 0
    # No node is idle in the workload (node2 is draining): idle is there, at 0.
    assert live.scrape.value("slurm_node_count_per_state", state="idle") == 0
    assert live.scrape.value("slurm_cpus_per_state", state="idle") == 0
    assert live.scrape.value("slurm_node_count_per_state", state="draining") == 1


def test_health_families(live):
    s = live.scrape
    assert s.get("slurm_up") == {L(): 1.0}, f"slurm_up: {s.get('slurm_up')}"

    info = s.get("slurm_exporter_build_info")
    assert info and len(info) == 1, f"slurm_exporter_build_info: {info}"
    (labels, value), = info.items()
    labels = dict(labels)
    assert value == 1
    assert set(labels) == {"version", "revision", "slurm_version", "backend"}, labels
    assert labels["version"] and labels["backend"], labels
    sinfo_version = re.search(r"\d+\.\d+\.\d+", live.sinfo_version)
    assert sinfo_version and labels["slurm_version"] == sinfo_version.group(0), (
        f"slurm_version={labels['slurm_version']!r}, `sinfo -V` says {live.sinfo_version!r}")

    ok = s.get("slurm_exporter_collector_success") or {}
    collectors = {dict(k)["collector"] for k in ok}
    assert {"nodes", "node_reason", "jobs"} <= collectors, f"collectors: {sorted(collectors)}"
    failed = {dict(k)["collector"]: v for k, v in ok.items() if v != 1}
    assert not failed, f"collectors not successful on a healthy cluster: {failed}"

    durations = s.get("slurm_exporter_collector_duration_seconds") or {}
    assert {dict(k)["collector"] for k in durations} == collectors
    # Each collector did work (a zero would be a duration never measured); together they are
    # one poll of a 5-node cluster: far below slurmctld's MessageTimeout (5 s) even on a busy
    # 2-core machine.
    for k, v in durations.items():
        assert math.isfinite(v) and v > 0, f"duration {fmt_labels(k)} = {v}"
    assert sum(durations.values()) < 5, durations


def test_scrape_durations(live):
    for family in ("slurm_node_scrape_duration", "slurm_job_scrape_duration"):
        series = live.scrape.get(family)
        assert series is not None and set(series) == {L()}, f"{family}: {series}"
        value = series[L()]
        # Milliseconds of one load of a 5-node cluster: measured (never 0), and within the poll
        # whose collector durations sum below 5 s.
        assert math.isfinite(value) and 0 < value < 5_000, f"{family} = {value}"


def test_version_flag_matches_build_info(live):
    p = run_exporter(["--version"])
    assert p.returncode == 0, p.stderr
    (labels, _), = live.scrape.get("slurm_exporter_build_info").items()
    version = dict(labels)["version"]
    assert version in p.stdout + p.stderr, (f"--version printed {p.stdout + p.stderr!r}, "
                                            f"build_info says version={version!r}")


def test_second_scrape_is_identical_when_nothing_changed(live, cluster):
    # Snapshots are rebuilt per poll: two polls of an unchanged cluster must agree on every
    # contract family (apart from load and free memory, which move with slurmd pings).
    time.sleep(POLL_LIMIT + 0.3)
    again = live.exporter.scrape()
    moving = set(LOAD_FAMILIES) | {"slurm_mem_free", "slurm_partition_free_mem"}
    for family in CONTRACT_FAMILIES:
        if family in moving:
            continue
        assert again.get(family) == live.scrape.get(family), family


def test_metrics_content_type_is_text_format_0_0_4(live):
    status, _, headers = live.exporter.get("/metrics")
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert status == 200
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype


REASON = re.compile(r" Reason=(.*) \[([^@\]]*)@([^\]]*)\]\s*$")


@pytest.fixture(scope="module")
def live_node(cluster, workload):
    """An exporter with the per-node collector, scraped between two equal views of Slurm, with
    `scontrol -o show node` taken right after."""
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=("--collector.node",)),
                 cluster.env)
    try:
        e.wait_listening(timeout=20)
        wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
        view, scrape, _ = settled_scrape(cluster, e)
        lines = [l for l in cluster.run(["scontrol", "-o", "show", "node"]).splitlines() if l.strip()]
        yield view, scrape, lines
    finally:
        e.stop()


def test_node_state_and_per_node_families_match_scontrol(live_node):
    view, scrape, lines = live_node
    sinfo = {r.name: r for r in view.nodes}
    exp: dict[str, dict] = {f: {} for f in (
        "slurm_nodes", "slurm_nodes_flagged", "slurm_node_cpus", "slurm_node_cpus_allocated",
        "slurm_node_memory_bytes", "slurm_node_memory_allocated_bytes", "slurm_node_state",
        "slurm_node_info", "slurm_node_reason_info", "slurm_node_reason_timestamp_seconds",
        "slurm_node_cpu_load", "slurm_node_memory_free_bytes")}
    for s in PRIMARY_STATES:
        exp["slurm_nodes"][L(state=s)] = 0
    for f in set(FLAGS.values()):
        exp["slurm_nodes_flagged"][L(flag=f)] = 0
    tz_epoch = lambda t: time.mktime(time.strptime(t, "%Y-%m-%dT%H:%M:%S"))
    for line in lines:
        rec = parse_kv_line(line)
        name = rec["NodeName"]
        parts = rec["State"].lower().split("+")
        flags = set(parts[1:])
        if parts[0].endswith("*"):
            flags.add("not_responding")
        alloc, total = int(rec["CPUAlloc"]), int(rec["CPUTot"])
        state = primary_state(sinfo[name].state, rec["State"])
        exp["slurm_nodes"][L(state=state)] += 1
        for f in {FLAGS[f] for f in flags if f in FLAGS}:
            exp["slurm_nodes_flagged"][L(flag=f)] += 1
        exp["slurm_node_cpus"][L(node=name)] = total
        exp["slurm_node_cpus_allocated"][L(node=name)] = alloc
        exp["slurm_node_memory_bytes"][L(node=name)] = int(rec["RealMemory"]) * MIB
        exp["slurm_node_memory_allocated_bytes"][L(node=name)] = int(rec["AllocMem"]) * MIB
        exp["slurm_node_state"][L(node=name, state=state)] = 1
        exp["slurm_node_cpu_load"][L(node=name)] = sinfo[name].cpu_load
        exp["slurm_node_memory_free_bytes"][L(node=name)] = sinfo[name].free_mem_mib * MIB
        features = rec.get("AvailableFeatures", "(null)")
        arch = rec.get("Arch", "(null)")
        exp["slurm_node_info"][L(node=name, state=sinfo[name].state,
                                 partitions=rec.get("Partitions", ""),
                                 features="" if features == "(null)" else features,
                                 arch="" if arch == "(null)" else arch)] = 1
        m = REASON.search(line)
        if m:
            exp["slurm_node_reason_info"][L(node=name, reason=m.group(1), user=m.group(2))] = 1
            if m.group(3) not in ("Unknown", "None", ""):
                exp["slurm_node_reason_timestamp_seconds"][L(node=name)] = tz_epoch(m.group(3))
    problems = []
    for family, expected in exp.items():
        tol = 0.01 if family == "slurm_node_cpu_load" else 0.0
        problems += compare_family(family, expected, scrape.get(family), tol)
    assert not problems, "\n".join(problems) + "\n\nscontrol:\n" + "\n".join(lines)
    # The scenario has what these comparisons need.
    assert sum(exp["slurm_nodes"].values()) == len(lines)
    assert exp["slurm_nodes"][L(state="drained")] >= 1
    assert exp["slurm_nodes"][L(state="down")] >= 1
    assert exp["slurm_nodes"][L(state="mixed")] >= 1
    assert exp["slurm_node_reason_info"], "no node with a reason"


def test_partition_and_job_state_families_match_scontrol_and_squeue(live, cluster):
    """slurm_partition_info/_nodes/_cpus/_max_time_seconds against `scontrol -a -o show
    partition`; slurm_jobs, slurm_partition_jobs and the pending pressure against squeue -r."""
    view, scrape = live.view, live.scrape
    parts = [parse_kv_line(l) for l in
             cluster.run(["scontrol", "-a", "-o", "show", "partition"]).splitlines() if l.strip()]
    assert parts, "the cluster has partitions"

    def limit(text: str) -> float:
        if text == "UNLIMITED":
            return math.inf
        days, _, hms = text.rpartition("-")
        h, m, s = (int(x) for x in hms.split(":"))
        return ((int(days or 0) * 24 + h) * 60 + m) * 60 + s

    exp: dict[str, dict] = {f: {} for f in (
        "slurm_partition_info", "slurm_partition_nodes", "slurm_partition_cpus",
        "slurm_partition_max_time_seconds", "slurm_jobs", "slurm_partition_jobs",
        "slurm_partition_pending_jobs", "slurm_partition_pending_cpus",
        "slurm_partition_pending_memory_bytes")}
    for p in parts:
        name = p["PartitionName"]
        exp["slurm_partition_info"][L(partition=name, state=p["State"].lower())] = 1
        exp["slurm_partition_nodes"][L(partition=name)] = float(p["TotalNodes"])
        exp["slurm_partition_cpus"][L(partition=name)] = float(p["TotalCPUs"])
        exp["slurm_partition_max_time_seconds"][L(partition=name)] = limit(p["MaxTime"])
    # This project's job families: a job pending in "debug,batch" counts in debug and in batch.
    exp.update(expected_partition_job_families(view))
    assert any(j.state == "PENDING" and "," in j.partition for j in view.jobs), \
        "the workload has a job pending in two partitions"
    assert any(v for v in exp["slurm_partition_pending_jobs"].values()), "some job is pending"
    for fam, want in exp.items():
        assert scrape.get(fam) == want, f"{fam}:\n{scrape.get(fam)}\nwant\n{want}"

    # Oldest pending job eligible to start: now − squeue's SubmitTime, within the poll's age.
    # The workload's held jobs were submitted before the pending ones they share debug with.
    oldest = expected_oldest_pending(cluster, view, time.time())
    got = scrape.get("slurm_partition_oldest_pending_job_seconds")
    assert got is not None and set(got) == set(oldest)
    for k, age in oldest.items():
        if age == 0:
            assert got[k] == 0, k
        else:
            # The scrape is older than `now` by the settle time plus at most POLL_LIMIT.
            assert age - 120 <= got[k] <= age + 1, (k, got[k], age)
    # No partition label is a list in this project's families.
    for fam in ("slurm_partition_jobs", "slurm_partition_pending_jobs",
                "slurm_partition_pending_gpus", "slurm_partition_oldest_pending_job_seconds",
                "slurm_pending_job_wait_seconds_count"):
        assert not any("," in dict(k).get("partition", "") for k in (scrape.get(fam) or {})), fam


def test_a_change_to_only_nodes_or_only_partitions_reaches_the_metrics(live, cluster):
    # The libslurm backend keeps only the partition message and each load's last_update between
    # polls, and reloads the nodes in full when only the partitions changed (a node's
    # partitions need both). Each change alone must reach the partition families.
    def node_field(node: str, field: str) -> int:
        out = cluster.run(["scontrol", "-o", "show", "node", node])
        return int(re.search(rf"\b{field}=(\d+)", out).group(1))

    cpus = {n: node_field(n, "CPUTot") for n in ("node1", "node4")}
    weight = {n: node_field(n, "Weight") for n in ("node1", "node4")}

    def probe_is(total_cpus: int, weight_sum: int, max_time: float | None = None):
        s = live.exporter.scrape()
        got = (s.value("slurm_partition_total_cpus", partition="probe"),
               s.value("slurm_partition_weight", partition="probe"),
               s.value("slurm_partition_max_time_seconds", partition="probe"))
        return got == (total_cpus, weight_sum, max_time if max_time is not None else got[2])

    def next_poll_shows(change: list[str], what: str, *want):
        # Strictly the first poll after the change: slurmd pings change the nodes every ~10 s,
        # which would hide a missed reload if the test waited for one.
        cluster.run(["scontrol", *change])
        time.sleep(POLL_LIMIT + 0.3)
        assert probe_is(*want), (what, live.exporter.scrape().text)

    both = cpus["node1"] + cpus["node4"]
    limit = POLL_LIMIT + 15
    cluster.run(["scontrol", "create", "partitionname=probe", "nodes=node1,node4", "state=up"])
    try:
        wait_for(lambda: probe_is(both, weight["node1"] + weight["node4"]),
                 limit, "a new partition: probe with node1 and node4")
        next_poll_shows(["update", "nodename=node4", f"weight={weight['node4'] + 100}"],
                        "a node change alone: node4's new weight in probe's sum",
                        both, weight["node1"] + weight["node4"] + 100)
        # MaxTime leaves slurmctld's node records alone (a new node list would not). Several
        # rounds: slurmctld touches the nodes now and then (pings of node6, jobs), and a poll
        # that happens to see a node change would hide a missed partition reload.
        for minutes in (60, 120, 180, 240, 300):
            next_poll_shows(["update", "partitionname=probe", f"maxtime={minutes}"],
                            f"a partition change alone: probe's MaxTime of {minutes} minutes",
                            both, weight["node1"] + weight["node4"] + 100, minutes * 60.0)
        next_poll_shows(["update", "partitionname=probe", "nodes=node1"],
                        "new partition membership: probe with node1 only",
                        cpus["node1"], weight["node1"], 300 * 60.0)
    finally:
        cluster.run(["scontrol", "delete", "partitionname=probe"], check=False)
        cluster.run(["scontrol", "update", "nodename=node4", f"weight={weight['node4']}"],
                    check=False)
    wait_for(lambda: live.exporter.scrape().value("slurm_partition_total_cpus",
                                                  partition="probe") is None,
             limit, "probe gone after its deletion")


def proc_stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: field n is at index n - 3."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def test_process_families_match_proc(live):
    # client_golang's definitions, checked against the exporter's /proc/<pid> read here.
    pid = live.exporter.proc.pid
    s = live.exporter.scrape()
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    fields = proc_stat_fields(pid)
    start = btime + int(fields[19]) / tick
    assert s.value("process_start_time_seconds") == pytest.approx(start, abs=0.01)
    soft, _ = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    assert s.value("process_max_fds") == soft
    cpu_now = (int(fields[11]) + int(fields[12])) / tick
    assert 0 < s.value("process_cpu_seconds_total") <= cpu_now + 0.01
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    assert 3 <= s.value("process_open_fds") <= fds + 20, (s.value("process_open_fds"), fds)
    rss = s.value("process_resident_memory_bytes")
    assert 1 << 20 < rss < s.value("process_virtual_memory_bytes")
    assert "# TYPE process_cpu_seconds_total counter" in s.text
    ok = s.get("slurm_exporter_collector_success") or {}
    assert ok.get(L(collector="process")) == 1


def test_health_endpoints(live):
    status, body, _ = live.exporter.get("/-/healthy")
    assert (status, body) == (200, "Slurm Exporter is Healthy.\n")
    status, body, _ = live.exporter.get("/-/ready")  # the live fixture has scraped: polled
    assert (status, body) == (200, "Slurm Exporter is Ready.\n")
