# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures the CLI backend's input from a live cluster of one Slurm release, for the parser unit
tests (test/slurm/fixtures/versions/<version>/). Runs only when SLURM_CAPTURE_FIXTURES names the
output directory, e.g.

    SLURM_PREFIX=/opt/slurm/26.05.3 SLURM_CAPTURE_FIXTURES=test/slurm/fixtures/versions/26.05 \\
      python3 -m pytest -p no:cacheprovider test/integration/test_capture_fixtures.py

Every command runs as the CLI backend runs it (env -i, LC_ALL=C, SLURM_TIME_FORMAT=standard, the
release's bin directory) on the suite's workload (conftest.py): running, pending, held, array,
GPU and other-user jobs; drained, draining, down and never-started nodes; reservations. The
accounting collectors' commands (sshare, scontrol show assoc_mgr, sacctmgr show stats) run on the
accounting cluster (slurmdbd on MariaDB) into <version>/accounting/ (`-k accounting` captures
only those). The command lines are written to COMMANDS.md next to the outputs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from accounting import PENDING_REASONS, RUNNING_ROLES
from harness import SLURM_PREFIX, wait_for

OUT = os.environ.get("SLURM_CAPTURE_FIXTURES", "")

# The CLI backend's argument lists (src/slurm/cli_*.cpp, include/slurm_exporter/slurm/cli_parse.hpp).
SINFO_NODE_FIELDS = ("NodeList:|,StateLong:|,StateComplete:|,CPUsState:|,Memory:|,FreeMem:|,"
                     "CPUsLoad:|,Weight:|,AllocMem:|,Features:|,TimeStamp:|,UserLong:|,Gres:|,"
                     "GresUsed:|,Partition:|,Reason:|")
SQUEUE_FIELDS = ("JobID:|,UserName:|,Account:|,Partition:|,State:|,Reason:|,NumCPUs:|,"
                 "tres-alloc:|,SubmitTime:|,EligibleTime:|,StartTime:|,tres-per-job:|,"
                 "tres-per-node:|,tres-per-socket:|,tres-per-task:|,NumNodes:|,NumTasks:\x1f,"
                 "Feature:|")
COMMANDS = {
    "sinfo_version.txt": ["sinfo", "--version"],
    "sinfo_nodes.txt": ["sinfo", "-N", "-h", "-a", "-O", SINFO_NODE_FIELDS],
    "sinfo_partitions.txt": ["sinfo", "-h", "-a", "-o", "%R"],
    "scontrol_nodes.txt": ["scontrol", "-d", "-o", "show", "node"],
    "scontrol_partitions.txt": ["scontrol", "-a", "-o", "show", "partition"],
    "squeue.txt": ["squeue", "-h", "-r", "-a", "-O", SQUEUE_FIELDS],
    "scontrol_jobs.txt": ["scontrol", "-d", "-o", "show", "job"],
    "sdiag.txt": ["sdiag"],
    "licenses.txt": ["scontrol", "show", "licenses", "-o"],
    "reservations.txt": ["scontrol", "show", "reservation", "-o"],
    "ping.txt": ["scontrol", "ping"],
}


# The accounting collectors' commands (cli_backend.cpp: load_shares, load_assoc_mgr,
# load_dbd_stats), on the accounting cluster: in <version>/accounting/.
SSHARE_FIELDS = ("Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,"
                 "LevelFS")
ACCOUNTING_COMMANDS = {
    "sshare.txt": ["sshare", "-a", "-n", "-P", "-o", SSHARE_FIELDS],
    "assoc_mgr.txt": ["scontrol", "show", "assoc_mgr", "flags=assoc,qos"],
    "sacctmgr_stats.txt": ["sacctmgr", "show", "stats"],
}


def capture(cluster, out: Path, commands: dict[str, list[str]], what: str) -> None:
    """Runs each command as the CLI backend does; writes its output and COMMANDS.md to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    bin_dir = f"{SLURM_PREFIX}/bin" if SLURM_PREFIX else "/usr/bin"
    env = {"LC_ALL": "C", "SLURM_TIME_FORMAT": "standard", "SLURM_CONF": str(cluster.conf),
           "PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin"}
    lines = [f"# CLI fixtures of one live {what}", "",
             f"Slurm from `{SLURM_PREFIX or 'Debian (PATH)'}`, cluster `scripts/slurm-cluster.sh"
             f" start` with " + ("SLURM_TEST_ACCOUNTING=1 (MariaDB, slurmdbd, the script's "
                                 "association tree and its jobs)" if "accounting" in what else
                                 "SLURM_TEST_DEAD_NODES=1 and the integration suite's workload "
                                 "(test/integration/conftest.py)") +
             ", captured by test/integration/test_capture_fixtures.py."
             " Every command ran as `env -i LC_ALL=C SLURM_TIME_FORMAT=standard "
             f"SLURM_CONF=<dir>/slurm.conf {bin_dir}/<command> …`.", "",
             "| file | command |", "| --- | --- |"]
    for name, argv in commands.items():
        p = subprocess.run([f"{bin_dir}/{argv[0]}", *argv[1:]], env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, f"{argv} exited {p.returncode}: {p.stderr}"
        (out / name).write_text(p.stdout)
        shown = " ".join(f'"{a}"' if "|" in a or "%" in a else a for a in argv)
        lines.append(f"| `{name}` | `{shown}` |")
    (out / "COMMANDS.md").write_text("\n".join(lines) + "\n")


@pytest.mark.skipif(not OUT, reason="SLURM_CAPTURE_FIXTURES is not set")
def test_capture_cli_fixtures(cluster, workload):
    capture(cluster, Path(OUT), COMMANDS, "cluster")


@pytest.mark.skipif(not OUT, reason="SLURM_CAPTURE_FIXTURES is not set")
def test_capture_accounting_fixtures(accounting_cluster):
    c = accounting_cluster
    jobs = c.accounting_jobs

    def settled():  # the script's jobs run or pend on their limits (the fixtures' key values)
        rows = {r.job_id: r for r in c.squeue()}
        return (all(rows[jobs[r]].state == "RUNNING" for r in RUNNING_ROLES) and
                all(rows[jobs[r]].reason == why for r, why in PENDING_REASONS.items()))

    wait_for(settled, 60, "the accounting jobs to run or pend on their limits")
    capture(accounting_cluster, Path(OUT) / "accounting", ACCOUNTING_COMMANDS,
            "accounting cluster")
