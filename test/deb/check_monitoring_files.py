# SPDX-License-Identifier: GPL-2.0-or-later
"""Static checks of the Prometheus and Grafana files the Debian package ships (deb/prometheus,
deb/grafana); ctest runs each check as its own test. The live checks (the real Prometheus
evaluating every rule and every dashboard query) are in test/integration/test_deb_package.py.

Usage: python3 check_monitoring_files.py alerts-tested|dashboard|prometheus-config  (from anywhere)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

DEB = Path(__file__).resolve().parents[2] / "deb"


def alerts_tested() -> list[str]:
    """Every alert of the shipped rules has a promtool unit test where it fires and one where it
    must not (yet)."""
    rules = yaml.safe_load((DEB / "prometheus" / "slurm-alerts.rules.yml").read_text())
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    tests = yaml.safe_load((DEB / "prometheus" / "tests" / "slurm-alerts.test.yml").read_text())
    fires, silent = set(), set()
    for t in tests["tests"]:
        for case in t.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else silent).add(case["alertname"])
    problems = []
    for a in alerts:
        if a not in fires:
            problems.append(f"{a}: no promtool test case in which it fires")
        if a not in silent:
            problems.append(f"{a}: no promtool test case in which it must stay silent")
    for a in sorted((fires | silent) - set(alerts)):
        problems.append(f"{a}: tested but not in slurm-alerts.rules.yml")
    print(f"{len(alerts)} alerts, each tested firing and silent" if not problems else "")
    return problems


def prometheus_config() -> list[str]:
    """The shipped prometheus.yml: job `slurm`, file_sd from /etc/prometheus/file_sd, the
    port-stripping relabelling, and `promtool check config` passes with the shipped rule files in
    the places its rule_files name (a temp dir stands in for /etc/prometheus/rules)."""
    text = (DEB / "prometheus" / "prometheus.yml").read_text()
    cfg = yaml.safe_load(text)
    problems = []
    jobs = [j for j in cfg["scrape_configs"] if j["job_name"] == "slurm"]
    if len(jobs) != 1:
        return ["prometheus.yml: no single job `slurm`"]
    job = jobs[0]
    files = [f for sd in job.get("file_sd_configs", []) for f in sd["files"]]
    if files != ["/etc/prometheus/file_sd/slurm_targets.yaml"]:
        problems.append(f"file_sd_configs read {files}")
    strip = {"source_labels": ["instance"], "regex": r"([^:]+):\d+", "target_label": "instance",
             "replacement": "${1}"}
    if strip not in job.get("relabel_configs", []):
        problems.append(f"no relabelling {strip} in {job.get('relabel_configs')}")
    targets = yaml.safe_load((DEB / "prometheus" / "slurm_targets.yaml").read_text())
    for group in targets:
        labels = group.get("labels", {})
        if len(group["targets"]) != 1 or not group["targets"][0].endswith(":9092"):
            problems.append(f"slurm_targets.yaml: want one target on port 9092: {group}")
        if set(labels) != {"job", "instance", "cluster", "role"} or \
                labels.get("role") != "slurm-controller" or labels.get("job") != "slurm":
            problems.append(f"slurm_targets.yaml: labels {labels}")
    with tempfile.TemporaryDirectory() as tmp:
        for f in cfg.get("rule_files", []):
            if not f.startswith("/etc/prometheus/rules/"):
                problems.append(f"rule file {f} is not under /etc/prometheus/rules/")
                continue
            shutil.copy(DEB / "prometheus" / Path(f).name, Path(tmp) / Path(f).name)
        text = text.replace("/etc/prometheus/rules/", tmp + "/")
        (Path(tmp) / "prometheus.yml").write_text(text)
        check = subprocess.run(["promtool", "check", "config", str(Path(tmp) / "prometheus.yml")],
                               capture_output=True, text=True, timeout=60)
        print(check.stdout + check.stderr)
        if check.returncode != 0:
            problems.append("promtool check config failed")
    return problems


def dashboard() -> list[str]:
    """The dashboard is importable: unique panel ids, every panel queries the ${datasource}
    variable, refIds unique per panel, panels inside the 24-column grid and not overlapping."""
    dash = json.loads((DEB / "grafana" / "slurm-dashboard.json").read_text())
    problems = []
    names = [v["name"] for v in dash["templating"]["list"]]
    if "datasource" not in names:
        problems.append("no datasource variable: the dashboard would be tied to one data source")
    ids: set[int] = set()
    cells: dict[tuple[int, int], str] = {}
    queries = 0
    for p in dash["panels"]:
        title = p.get("title", "?")
        if p["id"] in ids:
            problems.append(f"{title}: duplicate panel id {p['id']}")
        ids.add(p["id"])
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            problems.append(f"{title}: outside the 24-column grid ({g})")
        for dx in range(g["w"]):
            for dy in range(g["h"]):
                cell = (g["x"] + dx, g["y"] + dy)
                if cell in cells:
                    problems.append(f"{title}: overlaps {cells[cell]} at {cell}")
                    break
                cells[cell] = title
            else:
                continue
            break
        if p["type"] == "row":
            continue
        targets = p.get("targets", [])
        if not targets:
            problems.append(f"{title}: no query")
        refs = [t["refId"] for t in targets]
        if len(set(refs)) != len(refs):
            problems.append(f"{title}: duplicate refIds {refs}")
        for t in [p, *targets]:
            if t.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"{title}: does not use the ${{datasource}} variable")
        for t in targets:
            queries += 1
            if "{" in t["expr"] and "$cluster" not in t["expr"]:
                problems.append(f"{title}: {t['expr']} ignores the cluster variable")
    print(f"{len(dash['panels'])} panels, {queries} queries")
    return problems


if __name__ == "__main__":
    checks = {"alerts-tested": alerts_tested, "dashboard": dashboard,
              "prometheus-config": prometheus_config}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(checks)}")
    found = checks[sys.argv[1]]()
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
