# SPDX-License-Identifier: GPL-2.0-or-later
"""The accounting tests' own reading of sshare, sacctmgr and `scontrol show assoc_mgr` (written
independently of the exporter's C++ parsers), and the roles of the accounting cluster."""

from __future__ import annotations

import math
import re

from harness import MIB, Cluster

SSHARE_FIELDS = ("Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,"
                 "LevelFS")

# Job roles of scripts/slurm-cluster.sh's accounting mode -> the reason they pend with.
PENDING_REASONS = {
    "gpu_pend": "AssocGrpGRES",
    "chem_pend": "AssocGrpCpuLimit",
    "hep_pend": "AssocGrpMemLimit",
    "bob_pend": "AssocMaxJobsLimit",
    "qos_pend": "QOSMaxJobsPerUserLimit",
}
RUNNING_ROLES = ("gpu_run", "chem_run", "hep_run", "bob_run", "qos_run")


def _num(text: str) -> float | None:
    if text == "":
        return None
    if text == "inf":
        return math.inf
    return float(text)


def sshare_rows(c: Cluster) -> dict[tuple[str, str], dict[str, float | None]]:
    """(account, user) -> sshare's numbers; user "" is the account line."""
    out = {}
    text = c.run(["sshare", "-a", "-n", "-P", "-o", SSHARE_FIELDS])
    for line in text.splitlines():
        if not line.strip():
            continue
        f = line.split("|")
        assert len(f) == 9, line
        out[(f[0].strip(), f[1])] = {
            "raw_shares": None if f[2] in ("", "parent") else float(f[2]),
            "norm_shares": _num(f[3]), "raw_usage": _num(f[4]), "norm_usage": _num(f[5]),
            "effective_usage": _num(f[6]), "fairshare": _num(f[7]), "level_fs": _num(f[8]),
        }
    return out


def _tres(text: str) -> dict[str, float]:
    """sacctmgr's "cpu=8,gres/gpu=2,mem=16000M" -> numbers, mem in bytes."""
    units = {"K": 1024, "M": MIB, "G": MIB * 1024, "T": MIB * 1024 ** 2}
    out = {}
    for item in filter(None, text.split(",")):
        name, value = item.split("=", 1)
        if name == "mem":
            factor = units.get(value[-1], None)
            out[name] = float(value[:-1]) * factor if factor else float(value) * MIB
        else:
            out[name] = float(value)
    return out


def sacctmgr_assocs(c: Cluster) -> dict[tuple[str, str], dict]:
    """(account, user) -> the configured limits sacctmgr shows."""
    fields = "Account,User,ParentName,GrpJobs,GrpSubmit,GrpTRES,MaxJobs,MaxSubmit"
    out = {}
    for line in c.run(["sacctmgr", "-n", "-P", "show", "assoc", f"format={fields}"]).splitlines():
        if not line.strip():
            continue
        acct, user, parent, grp_jobs, grp_submit, grp_tres, max_jobs, max_submit = line.split("|")
        out[(acct, user)] = {
            "parent": parent, "grp_jobs": _num(grp_jobs), "grp_submit": _num(grp_submit),
            "grp_tres": _tres(grp_tres), "max_jobs": _num(max_jobs),
            "max_submit": _num(max_submit)}
    return out


def assoc_mgr_usage(c: Cluster) -> dict[tuple[str, str], dict]:
    """(account, user) -> GrpTRES used (mem in bytes), GrpJobs used, GrpSubmitJobs used, from
    `scontrol show assoc_mgr flags=assoc`."""
    out: dict[tuple[str, str], dict] = {}
    key = None
    for line in c.run(["scontrol", "show", "assoc_mgr", "flags=assoc"]).splitlines():
        m = re.match(r"ClusterName=\S+ Account=(\S+) UserName=(\S*)", line)
        if m:
            key = (m.group(1), re.sub(r"\(\d+\)$", "", m.group(2)))
            out[key] = {"tres": {}}
            continue
        if key is None:
            continue
        for k, limit, used in re.findall(r"(GrpJobs|GrpSubmitJobs|MaxJobs|MaxSubmitJobs)="
                                         r"(N|\d+)\(([\d.]+)\)", line):
            out[key][k] = (None if limit == "N" else float(limit), float(used))
        m = re.match(r"\s+GrpTRES=(.*)$", line)
        if m:
            for name, limit, used in re.findall(r"([^,=]+)=(N|\d+)\(([\d.]+)\)", m.group(1)):
                factor = MIB if name == "mem" else 1
                out[key]["tres"][name] = (None if limit == "N" else float(limit) * factor,
                                          float(used) * factor)
    return out
