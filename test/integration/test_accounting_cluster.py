# SPDX-License-Identifier: GPL-2.0-or-later
"""The accounting cluster itself (scripts/slurm-cluster.sh with SLURM_TEST_ACCOUNTING=1): a real
slurmdbd on MariaDB with the association tree, QOS and limits the script creates, jobs that pend
on those limits with Slurm's own reasons, usage and fairshare that differ between users, and
slurmdbd and MariaDB that can be stopped and started again. The exporter's accounting
collectors are proven against this cluster; this file proves the cluster is what they assume."""

from __future__ import annotations

from accounting import (PENDING_REASONS, RUNNING_ROLES, assoc_mgr_usage, sacctmgr_assocs,
                        sshare_rows)
from harness import MIB, wait_for


def test_the_association_tree_and_limits(accounting_cluster):
    c = accounting_cluster
    a = sacctmgr_assocs(c)
    accounts = {k[0] for k in a if not k[1]}
    assert {"root", "physics", "astro", "hep", "chem"} <= accounts
    # Two levels below root: physics > astro, physics > hep.
    assert a[("astro", "")]["parent"] == "physics"
    assert a[("hep", "")]["parent"] == "physics"
    assert a[("physics", "")]["parent"] == "root"
    # Users in several accounts.
    assert {acct for acct, user in a if user == "alice"} == {"astro", "chem"}
    assert {acct for acct, user in a if user == "bob"} == {"astro", "hep"}
    assert {acct for acct, user in a if user == "carol"} == {"chem", "hep"}
    # Limits on CPUs, memory, GPUs, jobs and submits, for accounts and users.
    astro = a[("astro", "")]
    assert astro["grp_tres"] == {"cpu": 8, "mem": 16000 * MIB, "gres/gpu": 2}
    assert (astro["grp_jobs"], astro["grp_submit"], astro["max_jobs"]) == (4, 12, 3)
    assert a[("hep", "")]["grp_tres"] == {"cpu": 6, "mem": 4000 * MIB}
    assert a[("chem", "")]["grp_tres"] == {"cpu": 2}
    assert a[("astro", "bob")]["max_jobs"] == 1
    assert a[("hep", "carol")]["grp_tres"] == {"cpu": 4}
    defaults = dict(line.split("|") for line in c.run(
        ["sacctmgr", "-n", "-P", "show", "user", "format=User,DefaultAccount"]).split())
    assert defaults["alice"] == "astro" and defaults["bob"] == "hep" and defaults["carol"] == "chem"
    qos = {line.split("|")[0]: line.split("|")[1:] for line in c.run(
        ["sacctmgr", "-n", "-P", "show", "qos", "format=Name,Priority,MaxJobsPU,GrpJobs"]).split()}
    assert qos["high"] == ["100", "1", ""]
    assert qos["low"] == ["10", "", "4"]


def test_jobs_pend_on_their_limits(accounting_cluster):
    c = accounting_cluster
    jobs = c.accounting_jobs

    def reasons():
        rows = {r.job_id: r for r in c.squeue()}
        return {role: (rows[jobs[role]].state, rows[jobs[role]].reason) for role in jobs}

    expected = {**{role: ("PENDING", reason) for role, reason in PENDING_REASONS.items()},
                **{role: ("RUNNING", "None") for role in RUNNING_ROLES}}
    wait_for(lambda: reasons() == expected, 60, "the accounting jobs to run or pend on limits")
    # The association manager counts them: chem's 2-CPU limit is full, astro's GPUs too.
    usage = assoc_mgr_usage(c)
    assert usage[("chem", "")]["tres"]["cpu"] == (2, 2)
    assert usage[("astro", "")]["tres"]["gres/gpu"] == (2, 2)
    assert usage[("hep", "")]["tres"]["mem"][0] == 4000 * MIB


def test_usage_and_fairshare_differ_between_users(accounting_cluster):
    c = accounting_cluster

    def differ():
        rows = sshare_rows(c)
        users = {k: v for k, v in rows.items() if k[1] and k[1] != "root"}
        fairshares = {v["fairshare"] for v in users.values()}
        usages = {v["raw_usage"] for v in users.values()}
        return len(fairshares) >= 3 and len(usages) >= 3 and rows[("astro", "alice")]["raw_usage"]

    # priority/multifactor recomputes fairshare every PriorityCalcPeriod (1 minute).
    wait_for(differ, 150, "sshare to show usage and fairshare that differ between users")


def test_slurmdbd_and_mariadb_stop_and_start(accounting_cluster):
    c = accounting_cluster
    sacctmgr = ["sacctmgr", "-n", "-P", "show", "cluster", "format=Cluster"]
    assert "testcluster" in c.run(sacctmgr)
    c.stop_dbd()
    try:
        assert c.run(sacctmgr, check=False, timeout=60).strip() == ""
        assert "is UP" in c.run(["scontrol", "ping"])  # slurmctld keeps working without slurmdbd
        assert c.squeue()
    finally:
        c.start_dbd()
    assert "testcluster" in c.run(sacctmgr)
    c.stop_db()
    try:
        out = c.run(sacctmgr, check=False, timeout=60)
        assert "testcluster" not in out
    finally:
        c.start_db()
    wait_for(lambda: "testcluster" in c.run(sacctmgr, check=False, timeout=60), 60,
             "slurmdbd to reconnect to MariaDB")
