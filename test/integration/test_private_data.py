# SPDX-License-Identifier: GPL-2.0-or-later
"""PrivateData=jobs on the live cluster: the exporter reads slurmctld's configuration at every
poll. Run as an unprivileged user it warns that it sees only its own jobs and the gauge says
so; run as SlurmUser (root on the test cluster, which has no slurmdbd, so no operator can be
made with sacctmgr) its job families match squeue run as root, and it warns that the per-user
series are served without a password. A `scontrol reconfigure` that sets PrivateData is seen
without a restart."""

from __future__ import annotations

import re

import pytest

from harness import Exporter, L, exporter_args, exporter_binary, wait_for

UNPRIVILEGED = "carol"  # a test-cluster user that submits no job here


def total_jobs(scrape) -> float:
    return sum((scrape.get("slurm_jobs") or {}).values())


@pytest.fixture(scope="module")
def private_jobs(cluster):
    """Jobs of alice and bob; PrivateData=jobs set by `scontrol reconfigure`, removed after."""
    ids = [cluster.sbatch(user="alice"), cluster.sbatch(user="bob")]
    original = cluster.conf.read_text()
    yield ids, original
    cluster.conf.write_text(original)
    cluster.run(["scontrol", "reconfigure"])
    cluster.run(["scancel", *ids], check=False)


def set_private_data(cluster, original: str, value: str | None) -> None:
    text = original if value is None else original + f"PrivateData={value}\n"
    cluster.conf.write_text(text)
    cluster.run(["scontrol", "reconfigure"])
    def reported():
        m = re.search(r"^PrivateData\s*=\s*(\S+)", cluster.run(["scontrol", "show", "config"]),
                      re.M)
        return m and m.group(1) == (value or "none")

    wait_for(reported, 30, f"slurmctld to report PrivateData={value}")


def start(cluster, user: str | None = None) -> Exporter:
    args = exporter_args(cluster)
    if user:
        # setpriv execs the exporter in place (runuser would stay its parent and turn the
        # SIGTERM of stop() into its own exit status).
        e = Exporter("setpriv", [f"--reuid={user}", f"--regid={user}", "--init-groups", "--",
                                 exporter_binary(), *args], cluster.env)
    else:
        e = Exporter(exporter_binary(), args, cluster.env)
    e.wait_listening(timeout=30)
    return e


def test_slurmuser_sees_every_job_and_notices_a_reconfigure(cluster, private_jobs):
    _, original = private_jobs
    set_private_data(cluster, original, None)
    e = start(cluster)
    try:
        wait_for(lambda: e.scrape().value("slurm_exporter_private_data", kind="jobs") == 0, 30,
                 "private_data{kind=jobs} 0")
        set_private_data(cluster, original, "jobs")
        s = wait_for(lambda: (lambda s: s if s.value("slurm_exporter_private_data", kind="jobs")
                              == 1 else None)(e.scrape()), 30,
                     "private_data{kind=jobs} 1 after scontrol reconfigure")
        expected = len(cluster.squeue())  # squeue as root: every job
        assert expected >= 2
        wait_for(lambda: total_jobs(e.scrape()) == expected, 30,
                 f"sum of slurm_jobs == {expected} (squeue as root)")
        log = e.log_text()
        assert "hides other users' jobs" not in log, log[-2000:]
        assert "need no password" in log, log[-2000:]
        assert log.count("need no password") == 1  # once per change, not per poll
        assert s.value("slurm_exporter_private_data", kind="usage") == 0
    finally:
        e.stop()


def test_an_unprivileged_user_is_warned_and_the_gauge_says_so(cluster, private_jobs):
    _, original = private_jobs
    set_private_data(cluster, original, "jobs")
    e = start(cluster, UNPRIVILEGED)
    try:
        s = wait_for(lambda: (lambda s: s if s.get("slurm_exporter_private_data") else None)(
            e.scrape()), 30, "the private_data gauge")
        assert s.value("slurm_exporter_private_data", kind="jobs") == 1
        wait_for(lambda: "hides other users' jobs" in e.log_text(), 30, "the PrivateData warning")
        log = e.log_text()
        assert "adminlevel=operator" in log and "SlurmUser (root)" in log, log[-2000:]
        # What it sees: none of alice's and bob's jobs (carol has none), while root sees them.
        assert len(cluster.squeue()) >= 2
        assert total_jobs(e.scrape()) == 0
        assert e.scrape().value("slurm_up") == 1
    finally:
        e.stop()


def test_aggregate_users_sums_the_user_label_away(cluster, private_jobs):
    _, original = private_jobs
    set_private_data(cluster, original, "jobs")
    e = Exporter(exporter_binary(), exporter_args(cluster, extra=("--metrics.aggregate-users",)),
                 cluster.env)
    e.wait_listening(timeout=30)
    try:
        expected = len(cluster.squeue())
        s = wait_for(lambda: (lambda s: s if total_jobs(s) == expected else None)(e.scrape()), 30,
                     f"sum of slurm_jobs == {expected}")
        assert "username=" not in s.text
        per_state = s.get("slurm_user_state_total") or {}
        assert per_state and all(set(dict(k)) == {"state"} for k in per_state), per_state
        assert sum(per_state.values()) == expected
    finally:
        e.stop()
