# SPDX-License-Identifier: GPL-2.0-or-later
"""The exporter as a process: a taken port, bad flags, --version, and a slurmctld outage and its
return (health series, logging once per failure streak, recovery)."""

from __future__ import annotations

import re
import socket
import subprocess
import time

import pytest

from harness import POLL_LIMIT, Scrape, distinct_nodes, exporter_binary, run_exporter, wait_for

ERROR_LINE = re.compile(r'(^|\s)level="?error"?(\s|$)')


def slurm_error_lines(lines: list[str]) -> list[str]:
    """logfmt lines at level=error that mention Slurm (the wording may vary)."""
    return [l for l in lines if ERROR_LINE.search(l) and "slurm" in l.lower()]


def test_port_in_use_exits_nonzero_naming_the_address(cluster, exporter):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        e = exporter(listen=f"127.0.0.1:{port}", wait=False)
        rc = e.wait_exit(timeout=10)
        assert rc is not None, f"exporter still running 10s after failing to bind:\n{e.log_text()}"
        e.stop()  # joins the output pumps
        out = e.log_text()
        assert rc != 0, f"exit code {rc} for a port in use:\n{out}"
        assert f"127.0.0.1:{port}" in out, f"the address is not named:\n{out}"
        assert "in use" in out.lower(), f"'in use' is not said:\n{out}"


@pytest.mark.parametrize("bad, named", [
    (["--no-such-flag"], "no-such-flag"),
    (["--slurm.poll-limit=soon"], "soon"),
])
def test_bad_flag_exits_2_with_reason_and_usage(bad, named):
    p = run_exporter(bad)
    assert p.returncode == 2, f"exit code {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert lines, "nothing on stderr"
    # One line giving the reason (naming what was wrong), then the usage.
    assert named in lines[0], f"first stderr line does not name {named!r}:\n{p.stderr}"
    assert sum(named in l for l in lines) == 1, f"the reason is not one line:\n{p.stderr}"
    assert any("usage" in l.lower() for l in lines[1:]), f"no usage after the reason:\n{p.stderr}"
    assert "web.listen-address" in p.stderr, f"the usage does not list the flags:\n{p.stderr}"


def test_version_exits_0():
    p = run_exporter(["--version"])
    assert p.returncode == 0, f"exit code {p.returncode}\n{p.stdout}{p.stderr}"
    assert re.search(r"\d+\.\d+\.\d+", p.stdout + p.stderr), f"no version printed: {p.stdout!r}"


def _scrape_ok(e) -> Scrape:
    status, body, headers = e.get("/metrics", timeout=60)
    assert status == 200, f"/metrics answered {status} (must stay 200 in an outage):\n{body[:2000]}"
    return Scrape(body)


def _outage(cluster, e, label: str) -> None:
    """Stops slurmctld, checks several failed polls, starts it again and checks the recovery.
    Exactly one error line about Slurm must be logged for the whole streak."""
    mark = len(e.log())
    cluster.stop_ctld()
    stopped_at = time.monotonic()

    # slurm_up 0 within a few polls, then for several more polls; always 200 and build_info.
    downs = 0
    scrapes = 0
    while downs < 4:
        time.sleep(POLL_LIMIT + 0.2)  # every scrape asks for a fresh poll
        s = _scrape_ok(e)
        scrapes += 1
        assert s.get("slurm_exporter_build_info"), f"{label}: build_info missing in the outage"
        up = s.value("slurm_up")
        assert up in (0.0, 1.0), f"{label}: slurm_up = {up}"
        if up == 0:
            downs += 1
            for collector in ("nodes", "node_reason", "jobs"):
                ok = s.value("slurm_exporter_collector_success", collector=collector)
                assert ok == 0.0, (f"{label}: collector_success{{collector=\"{collector}\"}}"
                                   f" = {ok} while slurmctld is down")
            # No stale Slurm family: only slurm_up, the exporter's own, and the ping's answer of
            # this poll (slurm_controller_up 0: the outage itself).
            # The exporter's own also: its process_* families, load timings and rivosinc's
            # failed-load counters.
            own = {"slurm_up", "slurm_node_scrape_duration", "slurm_job_scrape_duration",
                   "slurm_diag_scrape_duration", "slurm_controller_up",
                   "slurm_controller_ping_seconds"}
            stale = sorted(f for f in s.series
                           if f not in own and not f.startswith(("slurm_exporter_", "process_"))
                           and not f.endswith("_scrape_error"))
            assert not stale, f"{label}: Slurm families served while slurmctld is down: {stale}"
        else:
            assert downs == 0, f"{label}: slurm_up went back to 1 while slurmctld is still down"
            assert scrapes <= 3, f"{label}: slurm_up still 1 after {scrapes} polls without slurmctld"
        assert time.monotonic() - stopped_at < 150, f"{label}: the outage polls took too long"

    during = slurm_error_lines(e.log()[mark:])
    assert len(during) == 1, (f"{label}: expected exactly 1 level=error line about Slurm for "
                              f"{downs} failed polls, got {len(during)}:\n" + "\n".join(during) +
                              "\n\nfull log since the stop:\n" + "\n".join(e.log()[mark:]))

    cluster.start_ctld()
    started_at = time.monotonic()

    def back_up():
        s = _scrape_ok(e)
        return s if s.value("slurm_up") == 1 else None

    s = wait_for(back_up, POLL_LIMIT + 15, f"{label}: slurm_up 1 after slurmctld returned",
                 interval=0.5)
    recovery = time.monotonic() - started_at

    # The Slurm families are back, with the cluster's values.
    nodes = distinct_nodes(cluster.sinfo())
    assert s.value("slurm_cpus_total") == sum(n.total_cpus for n in nodes), \
        f"{label}: slurm_cpus_total after recovery = {s.value('slurm_cpus_total')}"
    running = sum(1 for j in cluster.squeue() if j.state == "RUNNING")
    assert s.value("slurm_jobs_running") == running, f"{label}: slurm_jobs_running after recovery"
    assert s.get("slurm_node_count_per_state"), f"{label}: node families missing after recovery"
    failed = {dict(k)["collector"]: v for k, v in
              (s.get("slurm_exporter_collector_success") or {}).items() if v != 1}
    assert not failed, f"{label}: collectors still failing after recovery: {failed}"

    after = slurm_error_lines(e.log()[mark:])
    assert len(after) == 1, (f"{label}: more Slurm errors logged by the recovery (took "
                             f"{recovery:.1f}s):\n" + "\n".join(after))


def test_controller_outage_and_return(cluster, exporter):
    # A running job so that the job families have something to lose and get back.
    cluster.sbatch("-c", "1", "--mem=100")
    wait_for(lambda: any(j.state == "RUNNING" for j in cluster.squeue()), 30, "a running job")

    e = exporter()
    s = wait_for(lambda: (lambda s: s if s.value("slurm_up") == 1 else None)(_scrape_ok(e)), 30,
                 "slurm_up 1 before the outage")
    assert s.value("slurm_jobs_running") == 1
    assert not slurm_error_lines(e.log()), "Slurm errors logged on a healthy cluster:\n" + e.log_text()

    _outage(cluster, e, "first outage")
    # A new failure streak is logged again (once).
    _outage(cluster, e, "second outage")
    assert e.proc.poll() is None, f"exporter exited during the outages:\n{e.log_text()}"


def test_metrics_exclude_drops_the_matching_families(cluster, exporter):
    e = exporter(extra_args=("--metrics.exclude=^slurm_partition_|_mem_",))
    wait_for(lambda: e.scrape().value("slurm_up") == 1, 30, "slurm_up 1")
    s = e.scrape()
    names = set(s.series)
    dropped = [n for n in names if re.search(r"^slurm_partition_|_mem_", n)]
    assert not dropped, f"excluded families still served: {sorted(dropped)}"
    # Everything else is still there.
    assert s.value("slurm_cpus_total") and s.value("slurm_cpus_total") > 0
    assert s.get("slurm_node_count_per_state")
    assert s.get("slurm_exporter_collector_success")
