# SPDX-License-Identifier: GPL-2.0-or-later
"""The CLI backend (--backend=cli: scontrol/squeue output, sinfo without a scontrol) against the
native libslurm backend on the same live cluster, and the CLI backend's behaviour when a Slurm
command hangs or prints garbage."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import (POLL_LIMIT, REAL_SCONTROL, REAL_SINFO, Exporter, Scrape, exporter_args,
                     exporter_binary, run_exporter, wait_for)

# Lines of these families differ between two exporters by nature (timings, the backend label).
EXCLUDED = ("slurm_exporter_build_info", "slurm_exporter_collector_duration_seconds",
            "slurm_node_scrape_duration", "slurm_job_scrape_duration",
            "slurm_diag_scrape_duration", "slurm_limit_scrape_duration")
# Ages measured from each exporter's own poll time: compared separately, within a few seconds.
AGES = ("slurm_partition_oldest_pending_job_seconds",)
# The pending-wait gauge histogram's sum and buckets move with each exporter's poll time too (a
# job may cross a bucket bound between the two polls); its _count must be equal.
WAITS = ("slurm_pending_job_wait_seconds_sum", "slurm_pending_job_wait_seconds_bucket")
# Controller-side families that change with every RPC (the exporters' own polls included) or are
# timings: only their HELP and TYPE lines are compared here; test_controller_metrics.py compares
# their values with sdiag on both backends.
VOLATILE = ("slurm_controller_ping_seconds", "slurm_daemon_thread_count",
            "slurm_dbd_agent_queue_size")
VOLATILE_PREFIXES = ("slurm_scheduler_", "slurm_backfill_", "slurm_backfilled_", "slurm_rpc_",
                     # each exporter's own process (CPU, memory, fds, start time)
                     "process_")


def slurm_lines(text: str) -> list[str]:
    """Every exposition line (HELP, TYPE, samples) except those of the EXCLUDED families."""
    out = []
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line.split(" ", 3)[2]
        else:
            name = line.split("{", 1)[0].split(" ", 1)[0]
        volatile = (name in AGES + WAITS or name in VOLATILE or
                    name.startswith(VOLATILE_PREFIXES))
        if name not in EXCLUDED and (not volatile or line.startswith("#")):
            out.append(line)
    return out


def start(cluster, *extra: str) -> Exporter:
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=extra), cluster.env)
    e.wait_listening(timeout=30)
    return e


@pytest.fixture(scope="module")
def both(cluster, workload):
    # The per-node collector is opt-in: turn it on so its families are compared too.
    native = start(cluster, "--collector.node")
    cli = start(cluster, "--backend=cli", "--collector.node")
    try:
        yield native, cli
    finally:
        native.stop()
        cli.stop()


def identical_scrapes(cluster, native: Exporter, cli: Exporter, names=("libslurm", "cli"),
                      timeout: float = 30) -> tuple[str, str, list[str]]:
    """Both exporters' /metrics taken between two equal views of Slurm and equal line for line
    (but for the EXCLUDED and volatile families): (first text, second text, compared lines).
    `names` label the two exporters in the failure message (test_arm64 compares two builds)."""
    wait_for(lambda: native.scrape().value("slurm_up") == 1 and cli.scrape().value("slurm_up") == 1,
             timeout, "slurm_up 1 from both exporters")
    diffs = []
    for attempt in range(10):
        # Both snapshots must come from between two equal views of Slurm: CPU load and free
        # memory move with every slurmd ping.
        before = cluster.view()
        time.sleep(POLL_LIMIT + 0.3)
        a, b = native.get()[1], cli.get()[1]
        after = cluster.view()
        if before != after:
            continue
        la, lb = slurm_lines(a), slurm_lines(b)
        if la == lb:
            return a, b, la
        only_a = sorted(set(la) - set(lb))
        only_b = sorted(set(lb) - set(la))
        diffs.append(f"attempt {attempt}: only {names[0]}:\n  " + "\n  ".join(only_a[:40]) +
                     f"\nonly {names[1]}:\n  " + "\n  ".join(only_b[:40]))
    raise AssertionError(f"{names[0]} and {names[1]} disagree:\n" + "\n".join(diffs[-2:]) +
                         f"\n{names[1]} exporter log:\n{cli.log_text()[-3000:]}")


def test_cli_and_libslurm_backends_give_identical_families(cluster, both):
    native, cli = both
    a, b, la = identical_scrapes(cluster, native, cli)
    # Same submit times from both backends: the ages differ only by when each exporter polled.
    sa, sb = Scrape(a), Scrape(b)
    for fam in AGES:
        ages_a, ages_b = sa.get(fam), sb.get(fam)
        assert ages_a and ages_a.keys() == ages_b.keys(), (ages_a, ages_b)
        assert any(v > 0 for v in ages_a.values()), ages_a
        for k, v in ages_a.items():
            assert abs(v - ages_b[k]) <= POLL_LIMIT + 2, (fam, k, v, ages_b[k])
    counts = sa.get("slurm_pending_job_wait_seconds_count")
    assert counts and any(counts.values()), counts
    sums_a, sums_b = sa.get(WAITS[0]), sb.get(WAITS[0])
    for k, n in counts.items():
        assert abs(sums_a[k] - sums_b[k]) <= n * (POLL_LIMIT + 2), (k, sums_a[k], sums_b[k])
    inf_a = {k: v for k, v in sa.get(WAITS[1]).items() if ("le", "+Inf") in k}
    assert inf_a == {k: v for k, v in sb.get(WAITS[1]).items() if ("le", "+Inf") in k}
    # Every way of asking for GPUs was counted the same by both backends (exact, above).
    assert any(l.startswith("slurm_user_gpus_allocated{") and not l.endswith(" 0") for l in la)
    # The partition settings came from both backends (the CLI's from scontrol).
    assert any(l.startswith("slurm_partition_info{") for l in la)
    # The comparison covered the real thing: Slurm families with non-zero values, both backends up.
    assert "slurm_up 1" in la
    assert any(l.startswith("slurm_jobs_running ") and not l.endswith(" 0") for l in la)
    assert any(l.startswith('slurm_node_count_per_state{state="drained$"} 1') for l in la)
    assert 'backend="cli"' in b and 'backend="libslurm"' in a
    # The controller-side collectors were compared too, with the workload's values.
    assert 'slurm_license_used{license="matlab"} 4' in la
    assert any(l.startswith('slurm_reservation_info{reservation="maint_now"') for l in la)
    assert any(l.startswith("slurm_controller_up{") and l.endswith('index="1"} 0') for l in la)
    assert "slurm_exporter_on_active_controller 1" in la
    assert "# TYPE slurm_rpc_calls_total counter" in la


def test_a_tz_for_the_exporter_shifts_no_time_on_the_cli_backend(cluster, both):
    # A unit that sets TZ: the CLI backend's commands print local times in that zone and the
    # exporter reads them back in it, so every time (node reasons, reservations, submit and
    # start times) is the instant libslurm reports. Asia/Kolkata: +05:30, no DST.
    native, _ = both
    cli = Exporter(exporter_binary(),
                   exporter_args(cluster, extra=("--backend=cli", "--collector.node")),
                   {**cluster.env, "TZ": "Asia/Kolkata"})
    try:
        cli.wait_listening(timeout=30)
        _, b, la = identical_scrapes(cluster, native, cli)
        assert any(l.startswith("slurm_node_reason_timestamp_seconds{") for l in la)
        assert any(l.startswith("slurm_reservation_start_timestamp_seconds{") for l in la)
        sa, sb = Scrape(native.get()[1]), Scrape(b)
        for fam in AGES:
            for k, v in sa.get(fam).items():
                assert abs(v - sb.get(fam)[k]) <= POLL_LIMIT + 2, (fam, k, v, sb.get(fam)[k])
    finally:
        cli.stop()


def test_a_node_in_no_partition_counts_in_both_backends(cluster, both):
    """sinfo prints a node only under its partitions. A node taken out of every partition is
    still a node of the cluster (slurm_load_node lists it); the CLI backend reads it from
    `scontrol -d -o show node` and must give the same metrics."""
    native, cli = both
    # node5 is down with a reason (the workload's): its state, CPUs, memory and reason must all
    # come through.
    cluster.run(["scontrol", "update", "PartitionName=debug", "Nodes=node[1-4,6]"])
    try:
        wait_for(lambda: "node5" not in cluster.run(["sinfo", "-h", "-N", "-o", "%N"]), 30,
                 "sinfo to stop listing node5")
        a, b, la = identical_scrapes(cluster, native, cli)
        for text in (a, b):
            info = {dict(k)["node"]: dict(k) for k in Scrape(text).get("slurm_node_info")}
            assert info["node5"]["partitions"] == "", info["node5"]
            reasons = {dict(k)["node"]: dict(k) for k in Scrape(text).get("slurm_node_reason_info")}
            assert reasons["node5"]["reason"] == "slurmd stopped by test", reasons
        # Every node scontrol shows is counted, node5 among them.
        assert sum(Scrape(a).get("slurm_nodes").values()) == len(cluster.scontrol_nodes())
    finally:
        cluster.run(["scontrol", "update", "PartitionName=debug", "Nodes=node[1-6]"])


def test_a_reason_with_a_fake_stamp_and_two_lines_is_the_same_in_both_backends(cluster, both):
    """scontrol prints a reason line by line with " [user@time]" after the first line; the CLI
    backend must give back slurmctld's text, not a stamp-like part of it or the joined lines."""
    native, cli = both
    reason = ("fake [evil@2020-01-02T03:04:05] State=IDLE Partitions=x\n"
              "second [x@2021-01-01T00:00:00]")
    cluster.run(["scontrol", "update", "nodename=node3", "state=drain", f"reason={reason}"])
    try:
        a, b, _ = identical_scrapes(cluster, native, cli)
        for text in (a, b):
            reasons = {dict(k)["node"]: dict(k) for k in Scrape(text).get("slurm_node_reason_info")}
            assert reasons["node3"]["reason"] == reason, reasons["node3"]
            assert reasons["node3"]["user"] == "root", reasons["node3"]
            since = Scrape(text).value("slurm_node_reason_timestamp_seconds", node="node3")
            assert abs(since - time.time()) < 120, since
    finally:
        cluster.run(["scontrol", "update", "nodename=node3", "state=drain", "reason=maint test"])


def real_sinfo_and_fake_scontrol(body: str) -> Path:
    """A directory with a sinfo that is the real one and a scontrol that runs `body` for
    `show node` and is the real one otherwise (the CLI backend takes the scontrol next to sinfo)."""
    d = fake_dir()
    write_script(d / "sinfo", f'exec {REAL_SINFO} "$@"\n')
    write_script(d / "scontrol", f"""
case "$*" in
  *"show node"*) ;;
  *) exec {REAL_SCONTROL} "$@" ;;
esac
{body}
""")
    return d


def test_a_hanging_scontrol_show_node_fails_only_the_node_collector(cluster, workload):
    pids = fake_pids()
    d = real_sinfo_and_fake_scontrol(f"echo $$ >> {pids}\nsleep 300 &\necho $! >> {pids}\nwait\n")
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}", "--slurm.cli-timeout=1")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 0
        assert s.value("slurm_exporter_collector_success", collector="jobs") == 1
        assert s.value("slurm_up") == 1
        assert s.get("slurm_cpus_total") is None, "no node families from a failed poll"
        wait_for(lambda: any("level=error" in l and "timed out" in l and "show node" in l
                             for l in e.log()), 10, "a 'timed out' error naming show node")
        started = [int(p) for p in fake_pids().read_text().split()]
        wait_for(lambda: not any(alive(p) for p in started), 10,
                 f"the hung scontrol and its child {started} to be gone")
        assert e.proc.poll() is None
    finally:
        e.stop()
        fake_pids().unlink(missing_ok=True)


def test_garbage_and_one_bad_line_from_scontrol_show_node(cluster, workload):
    # Not scontrol's output at all: the node collector fails, naming line 1.
    d = real_sinfo_and_fake_scontrol("printf 'NodeName=x this is not scontrol\\nnor is this\\n'\n")
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 0
        assert s.get("slurm_cpus_total") is None, "no partial node totals from a bad output"
        assert s.value("slurm_exporter_collector_success", collector="jobs") == 1
        wait_for(lambda: any("level=error" in l and "line 1" in l for l in e.log()), 10,
                 "an error naming line 1")
    finally:
        e.stop()
    # The real output and one line that is not scontrol's: every node is still there.
    d = real_sinfo_and_fake_scontrol(
        f'{REAL_SCONTROL} "$@" || exit $?\necho "NodeName=bad CPUTot=x"\n')
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 1
        total = sum(int(n["CPUTot"]) for n in cluster.scontrol_nodes().values())
        assert s.value("slurm_cpus_total") == total
        assert e.proc.poll() is None
    finally:
        e.stop()


def fake_pids() -> Path:
    return Path(tempfile.gettempdir()) / f"fake-scontrol-pids-{os.getpid()}"


def fake_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="fake-slurm-bin-"))
    return d


def write_script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes only once reaped.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_hanging_sinfo_times_out_is_killed_and_the_exporter_keeps_serving(cluster, workload):
    d = fake_dir()
    pids = d / "pids"
    # Answers --version like sinfo (the backend asks once at start), hangs on everything else,
    # with a grandchild that also holds the pipes.
    write_script(d / "sinfo", f"""
if [ "$1" = "--version" ]; then exec {REAL_SINFO} --version; fi
echo $$ >> {pids}
sleep 300 &
echo $! >> {pids}
wait
""")
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}", "--slurm.cli-timeout=1")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 0
        # squeue still works: the job collector and slurm_up are unaffected.
        assert s.value("slurm_exporter_collector_success", collector="jobs") == 1
        assert s.value("slurm_up") == 1
        assert s.get("slurm_cpus_total") is None, "no node families from a failed poll"
        assert s.value("slurm_jobs_running") and s.value("slurm_jobs_running") > 0
        wait_for(lambda: "timed out" in e.log_text(), 10, "a 'timed out' error in the log")
        err = [l for l in e.log() if "level=error" in l and "timed out" in l]
        assert err and "sinfo" in err[0], e.log_text()
        started = [int(p) for p in pids.read_text().split()]
        assert len(started) >= 2
        wait_for(lambda: not any(alive(p) for p in started), 10,
                 f"the hung sinfo and its child {started} to be gone")
        # Still serving, and still timing out rather than piling up children.
        time.sleep(POLL_LIMIT + 0.2)
        s2 = e.scrape(timeout=30)
        assert s2.value("slurm_exporter_collector_success", collector="nodes") == 0
        time.sleep(0.5)
        assert not any(alive(int(p)) for p in pids.read_text().split())
        assert e.proc.poll() is None
    finally:
        e.stop()


def test_garbage_from_sinfo_fails_the_node_collector_with_the_line(cluster, workload):
    # Output where no line parses is not sinfo's: the node collector fails, naming the line.
    d = fake_dir()
    write_script(d / "sinfo", f"""
if [ "$1" = "--version" ]; then exec {REAL_SINFO} --version; fi
case "$*" in
  *%R*) echo debug ;;
  *) printf 'this is not sinfo output\\nnor is this\\n' ;;
esac
""")
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 0
        assert s.get("slurm_cpus_total") is None, "no partial node totals from a bad output"
        assert s.value("slurm_exporter_collector_success", collector="jobs") == 1
        wait_for(lambda: any("level=error" in l and "line 1" in l for l in e.log()), 10,
                 "an error naming line 1")
        assert e.proc.poll() is None
    finally:
        e.stop()


def test_one_garbage_line_from_sinfo_costs_only_that_line(cluster, workload):
    # The real sinfo's output with one line appended that is not sinfo's: every node is still
    # there, with sinfo's values.
    d = fake_dir()
    write_script(d / "sinfo", f"""
{REAL_SINFO} "$@" || exit $?
case "$*" in
  *NodeList*) echo 'this is not sinfo output' ;;
esac
""")
    e = start(cluster, "--backend=cli", f"--slurm.sinfo-cli={d / 'sinfo'}")
    try:
        s = e.scrape(timeout=30)
        assert s.value("slurm_exporter_collector_success", collector="nodes") == 1
        total = sum(int(l.split("/")[3]) for l in
                    {l.split()[0]: l.split()[1] for l in cluster.run(
                        ["sinfo", "-h", "-N", "-o", "%N %C"]).splitlines()}.values())
        assert s.value("slurm_cpus_total") == total
        assert e.proc.poll() is None
    finally:
        e.stop()


def test_a_missing_sinfo_is_a_clear_startup_error(cluster):
    p = run_exporter(["--backend=cli", "--slurm.sinfo-cli=/nonexistent/sinfo",
                      "--web.listen-address=127.0.0.1:0", f"--slurm.conf={cluster.conf}"],
                     env=cluster.env)
    assert p.returncode == 1, p.stderr
    assert "/nonexistent/sinfo" in p.stderr, p.stderr
