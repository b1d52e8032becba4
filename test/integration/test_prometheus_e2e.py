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

from harness import PROJECT_ROOT, distinct_nodes, free_port, wait_for
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


class AcceptRecorder:
    """A tiny HTTP target that records the Accept header of each scrape and answers 0.0.4."""

    def __init__(self):
        import http.server
        import threading
        seen = self.accepts = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.headers.get("Accept", ""))
                body = b"# TYPE recorder_up gauge\nrecorder_up 1\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_prometheus_scrapes_openmetrics(cluster, exporter, prometheus):
    # Debian's Prometheus (2.42) has no scrape_protocols setting yet: it asks for OpenMetrics
    # 1.0.0 first by default, which the recorder target shows; the exporter answers that Accept
    # with OpenMetrics, and Prometheus ingests it (target up, counters and unknowns queryable).
    e = exporter()
    recorder = AcceptRecorder()
    try:
        prom = prometheus(
            f"  - job_name: slurm\n    static_configs:\n      - targets: ['{e.address}']\n"
            f"  - job_name: recorder\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{recorder.port}']\n")
        wait_for(lambda: recorder.accepts, 30, "a scrape of the recorder", interval=0.5)
    finally:
        recorder.close()
    accept = recorder.accepts[0]
    assert accept.startswith("application/openmetrics-text;version=1.0.0"), accept
    req = urllib.request.Request(f"http://{e.address}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers["Content-Type"] == \
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        om = r.read().decode()
    assert om.endswith("# EOF\n")
    assert "# TYPE slurm_cpus_total unknown\n" in om
    assert "# TYPE process_cpu_seconds counter\n" in om

    def target_up():
        active = api(prom, "targets")["activeTargets"]
        t = next((t for t in active if t["labels"]["job"] == "slurm"), None)
        return t if t and t["health"] == "up" else None

    wait_for(target_up, 60, "the slurm target up", interval=1)
    expected = sum(n.total_cpus for n in distinct_nodes(cluster.sinfo()))

    def queried():
        cpus = api(prom, "query", query='slurm_cpus_total{job="slurm"}')["result"]
        cpu_s = api(prom, "query", query='process_cpu_seconds_total{job="slurm"}')["result"]
        if cpus and float(cpus[0]["value"][1]) == expected and cpu_s:
            return cpus, cpu_s
        return None

    wait_for(queried, 30, "slurm_cpus_total and process_cpu_seconds_total in Prometheus",
             interval=1)


def test_prometheus_queries_every_vpenso_name(cluster, workload, exporter, prometheus):
    # --compat=vpenso: a real Prometheus ingests every vpenso family name (the list captured from
    # vpenso's source, test/fixtures/vpenso_895c7c6_names.txt), every query of Grafana dashboard
    # 4323 (both revisions NVIDIA DeepOps ships, test/fixtures/grafana_4323_queries.txt) returns
    # data, and the sums agree with sinfo.
    fixture = PROJECT_ROOT / "test/fixtures/vpenso_895c7c6_names.txt"
    names = [l.split()[1] for l in fixture.read_text().splitlines() if l.startswith("metric ")]
    assert len(names) == 62
    # slurm_account_fairshare needs accounting (slurmdbd): test_accounting checks it against sshare.
    names.remove("slurm_account_fairshare")
    e = exporter(("--compat=vpenso",))
    prom = prometheus(f"  - job_name: slurm\n    static_configs:\n"
                      f"      - targets: ['{e.address}']\n")
    present: set[str] = set()

    def all_present():
        result = api(prom, "query",
                     query='count by (__name__) ({job="slurm",__name__=~"slurm_.+"})')["result"]
        present.update(r["metric"]["__name__"] for r in result)
        return not [n for n in names if n not in present]

    try:
        wait_for(all_present, 60, "every vpenso name in Prometheus", interval=1)
    except AssertionError as err:
        raise AssertionError(f"{err}; missing: {[n for n in names if n not in present]}") from None
    nodes = distinct_nodes(cluster.sinfo())
    want_cpus = sum(n.total_cpus for n in nodes)

    def one(query: str) -> float:
        result = api(prom, "query", query=query)["result"]
        assert len(result) == 1, (query, result)
        return float(result[0]["value"][1])

    queries = PROJECT_ROOT / "test/fixtures/grafana_4323_queries.txt"
    exprs = [l.split(" ", 1)[1] for l in queries.read_text().splitlines() if l.startswith("v")]
    assert len(exprs) == 60
    empty = [q for q in dict.fromkeys(exprs)
             if not api(prom, "query", query=q)["result"]]
    assert not empty, f"dashboard 4323 queries without data: {empty}"
    # Its "Total Nodes": every node in one of those seven states (the workload's are).
    states = {n.name: n.state for n in nodes}
    total_nodes = sum(1 for st in states.values()
                      if st.startswith(("alloc", "down", "drain", "idle", "mix", "comp", "maint")))
    assert one("slurm_nodes_alloc + slurm_nodes_down + slurm_nodes_drain + slurm_nodes_idle + "
               "slurm_nodes_mix + slurm_nodes_comp + slurm_nodes_maint") == total_nodes
    assert one("slurm_gpus_alloc + slurm_gpus_idle + slurm_gpus_other") == \
        one("slurm_gpus_total")
    # The shapes dashboards use: sums over the node-state families, ratios, per-node sums.
    assert one('slurm_cpus_alloc{job="slurm"} + slurm_cpus_idle{job="slurm"} + '
               'slurm_cpus_other{job="slurm"}') == want_cpus
    assert one('sum(slurm_node_cpu_total{job="slurm"})') == want_cpus
    assert one('sum(slurm_partition_cpus_total{job="slurm"})') >= want_cpus
    assert one('count(slurm_node_mem_total{job="slurm"})') == len(nodes)
    ratio = one('slurm_cpus_alloc{job="slurm"} / slurm_cpus_total{job="slurm"}')
    assert 0 <= ratio <= 1
    assert one('slurm_nodes_alloc{job="slurm"} + slurm_nodes_comp{job="slurm"} + '
               'slurm_nodes_down{job="slurm"} + slurm_nodes_drain{job="slurm"} + '
               'slurm_nodes_err{job="slurm"} + slurm_nodes_fail{job="slurm"} + '
               'slurm_nodes_idle{job="slurm"} + slurm_nodes_maint{job="slurm"} + '
               'slurm_nodes_mix{job="slurm"} + slurm_nodes_resv{job="slurm"}') in \
        range(1, len(nodes) + 1)
