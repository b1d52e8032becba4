# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end with a real Prometheus (Debian's /usr/bin/prometheus): it scrapes the exporter over
HTTPS (CA from the openssl CLI) with basic auth; the target is up and a PromQL query returns
sinfo's CPU total. A second job with a wrong password shows the target down with a 401."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from harness import distinct_nodes, free_port, wait_for
from test_tls import Pki, bcrypt_hash, start_tls_exporter, tls_yaml

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def api(port: int, path: str, **params: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as r:
        doc = json.load(r)
    assert doc.get("status") == "success", doc
    return doc["data"]


@pytest.fixture
def prometheus(tmp_path):
    """Factory: starts Prometheus with a scrape config; killed at teardown."""
    procs: list[subprocess.Popen] = []

    def start(scrape_configs: str) -> int:
        port = free_port()
        cfg = tmp_path / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                       f"scrape_configs:\n{scrape_configs}")
        check = subprocess.run(["promtool", "check", "config", str(cfg)], capture_output=True,
                               text=True, timeout=30)
        assert check.returncode == 0, f"promtool check config:\n{check.stdout}{check.stderr}"
        log = open(tmp_path / "prometheus.log", "w")
        p = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}",
                              f"--storage.tsdb.path={tmp_path / 'data'}",
                              f"--web.listen-address=127.0.0.1:{port}"],
                             stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        procs.append(p)

        def ready():
            assert p.poll() is None, "prometheus exited:\n" + (tmp_path / "prometheus.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(ready, 60, "prometheus to be ready")
        return port

    yield start
    for p in procs:
        p.kill()
        p.wait(timeout=10)


def test_prometheus_scrapes_over_https_with_basic_auth(cluster, exporter, prometheus, tmp_path):
    pki = Pki(tmp_path)
    pki.issue("server", "serverAuth")
    users = f"basic_auth_users:\n  prom: {bcrypt_hash('prom', 'scrape-secret')}\n"
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml() + users)

    def job(name: str, password: str) -> str:
        return (f"  - job_name: {name}\n    scheme: https\n"
                f"    tls_config:\n      ca_file: {pki.ca}\n"
                f"    basic_auth:\n      username: prom\n      password: {password}\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")

    prom = prometheus(job("slurm", "scrape-secret") + job("wrong", "not-the-password"))

    def targets():
        active = api(prom, "targets")["activeTargets"]
        by_job = {t["labels"]["job"]: t for t in active}
        if by_job.get("slurm", {}).get("health") == "up" and \
                by_job.get("wrong", {}).get("health") == "down":
            return by_job
        return None

    by_job = wait_for(targets, 60, "the slurm target up and the wrong-password target down",
                      interval=1)
    assert by_job["slurm"]["scrapeUrl"].startswith("https://")
    assert "401" in by_job["wrong"]["lastError"], by_job["wrong"]

    expected = sum(n.total_cpus for n in distinct_nodes(cluster.sinfo()))

    def cpus():
        result = api(prom, "query", query='slurm_cpus_total{job="slurm"}')["result"]
        return result if result and float(result[0]["value"][1]) == expected else None

    result = wait_for(cpus, 30, f"slurm_cpus_total == {expected} in Prometheus", interval=1)
    assert len(result) == 1, result
    up = api(prom, "query", query='slurm_up{job="slurm"}')["result"]
    assert up and float(up[0]["value"][1]) == 1, up
