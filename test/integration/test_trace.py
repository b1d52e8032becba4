# SPDX-License-Identifier: GPL-2.0-or-later
"""Job tracing end to end on a live cluster: a real sbatch job runs its command under the packaged
agent (scripts/prometheus-slurm-exporter-trace), the job's figures appear in /metrics under
rivosinc's names while it runs (checked against what the job itself does: 64 MiB resident,
16 MiB written, a busy CPU, Slurm's own CPU and memory allocation), and vanish -trace.rate
seconds after it ends. Bad samples get 400 with the reason; a traced job id Slurm does not know
is shown on /trace but never exported; without -trace.enabled there is no /trace.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness import PROJECT_ROOT, Exporter, exporter_args, exporter_binary, wait_for

AGENT = PROJECT_ROOT / "scripts" / "prometheus-slurm-exporter-trace"
RATE = 4  # -trace.rate of the exporter under test, seconds
MIB = 1 << 20

# The job's command: 64 MiB resident (bytes written into, so the pages are really there),
# 16 MiB written to a file and flushed, then 25 s of busy CPU.
WORKLOAD = (
    "import os, time\n"
    "x = b'\\x01' * (64 << 20)\n"
    "with open('/tmp/se-trace-job-%s.bin' % os.environ['SLURM_JOB_ID'], 'wb') as f:\n"
    "    f.write(os.urandom(16 << 20)); f.flush(); os.fsync(f.fileno())\n"
    "t = time.time()\n"
    "while time.time() - t < 25: pass\n"
)


def post(url: str, body: bytes) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def exporter(cluster):
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, extra=("-trace.enabled", f"-trace.rate={RATE}")),
                 cluster.env)
    e.wait_listening(timeout=30)
    yield e
    e.stop()


def job_series(scrape, job_id: str) -> dict[str, dict]:
    """Every series of the trace families that carries jobid=job_id, by family."""
    out = {}
    for name in ("slurm_job_mem_alloc", "slurm_job_cpu_alloc", "slurm_proc_pid",
                 "slurm_proc_cpu_usage", "slurm_proc_mem_usage", "slurm_proc_threadcount",
                 "slurm_proc_write_bytes", "slurm_proc_read_bytes"):
        for labels, v in (scrape.get(name) or {}).items():
            if dict(labels).get("jobid") == job_id:
                out.setdefault(name, {})[labels] = v
    return out


def test_bad_samples_get_400_with_the_reason(exporter):
    url = exporter.base_url + "/trace"
    assert post(url, b"{not json") == (400, "400 bad trace sample: body is not valid JSON\n")
    assert post(url, b'{"pid": 3}') == (400, "400 bad trace sample: job_id is missing\n")
    assert post(url, b'{"job_id": 0}') == (400, "400 bad trace sample: job_id is 0\n")
    status, body = post(url, b'{"job_id": 5, "username": "' + b"u" * 6000 + b'"}')
    assert status == 413, body  # larger than the exporter takes at all (4 KiB)


def test_a_traced_job_id_slurm_does_not_know_is_not_exported(exporter):
    url = exporter.base_url + "/trace"
    sample = {"job_id": 987654, "pid": 1, "cpus": 50, "mem": 1, "threads": 1, "read_bytes": 0,
              "write_bytes": 0, "username": "ghost", "hostname": "nowhere"}
    assert post(url, json.dumps(sample).encode()) == (200, "")
    status, page, _ = exporter.get("/trace")
    assert status == 200 and "<td>987654</td>" in page and "<td>ghost</td>" in page
    time.sleep(1.5)  # past the poll limit: the next scrape polls with the sample stored
    assert job_series(exporter.scrape(), "987654") == {}


def test_a_real_job_under_the_agent_appears_while_it_runs_and_vanishes_after(cluster, exporter):
    url = exporter.base_url + "/trace"
    out = cluster.dir / "traced-job.out"
    job_id = cluster.sbatch(
        "-w", "node2", "-c", "2", "--mem=500", "--job-name=traced", f"--output={out}",
        f"--wrap=exec python3 {AGENT} --endpoint {url} --sample-rate 1 -- "
        f"python3 -c \"{WORKLOAD}\"")

    def running_figures():
        s = job_series(exporter.scrape(), job_id)
        mem = s.get("slurm_proc_mem_usage", {})
        wrote = s.get("slurm_proc_write_bytes", {})
        if (len(s) == 8 and mem and min(mem.values()) >= 64 * MIB and wrote
                and min(wrote.values()) >= 16 * MIB):
            return s
        return None

    try:
        s = wait_for(running_figures, timeout=60,
                     what=f"job {job_id}'s traced figures in /metrics")
    except AssertionError as e:
        job_out = out.read_text(errors="replace") if out.exists() else "<no output file>"
        raise AssertionError(f"{e}\njob output:\n{job_out}") from None
    one = {name: next(iter(series.items())) for name, series in s.items()}
    # Slurm's side: what the job asked for.
    assert one["slurm_job_cpu_alloc"][1] == 2
    assert one["slurm_job_mem_alloc"][1] == 500 * MIB
    # The agent's side, with rivosinc's labels.
    labels, pid = one["slurm_proc_pid"]
    assert dict(labels) == {"jobid": job_id, "hostname": dict(labels)["hostname"]}
    assert dict(labels)["hostname"] and pid > 1
    labels, mem = one["slurm_proc_mem_usage"]
    assert dict(labels) == {"jobid": job_id, "username": "root"}
    assert 64 * MIB <= mem < 1024 * MIB
    assert one["slurm_proc_threadcount"][1] >= 1
    assert one["slurm_proc_write_bytes"][1] >= 16 * MIB
    assert one["slurm_proc_read_bytes"][1] >= 0
    # The busy loop: some CPU (a shared test machine gives it anything between a bit and 100 %).
    wait_for(lambda: (job_series(exporter.scrape(), job_id).get("slurm_proc_cpu_usage") or
                      {None: 0}).popitem()[1] > 5,
             timeout=30, what="the busy loop's CPU usage")
    status, page, _ = exporter.get("/trace")
    assert status == 200 and f"<td>{job_id}</td>" in page

    # The job ends; its last sample is at most 1 s older than its end.
    def ended():
        out = cluster.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"]).strip()
        return out if out and out not in ("RUNNING", "COMPLETING", "PENDING") else None

    state = wait_for(ended, timeout=90, what=f"job {job_id} to end", interval=0.2)
    assert state == "COMPLETED"
    end = time.monotonic()
    # Slurm still lists the finished job (MinJobAge): it is the sample's age that removes it.
    wait_for(lambda: job_series(exporter.scrape(), job_id) == {}, timeout=RATE + 6,
             what=f"job {job_id}'s series to vanish after -trace.rate={RATE}s", interval=0.25)
    gone_after = time.monotonic() - end
    assert gone_after <= RATE + 1 + 1 + 2  # rate + sample interval + poll limit + slack
    assert cluster.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"]).strip() == \
        "COMPLETED"
    print(f"series gone {gone_after:.1f} s after the job ended (-trace.rate={RATE})")
    Path(f"/tmp/se-trace-job-{job_id}.bin").unlink(missing_ok=True)


def test_without_trace_enabled_there_is_no_trace_path(cluster):
    e = Exporter(exporter_binary(), exporter_args(cluster), cluster.env)
    try:
        e.wait_listening(timeout=30)
        assert post(e.base_url + "/trace", b'{"job_id": 1}')[0] == 405  # only GET/HEAD anywhere
        assert e.get("/trace")[0] == 404
    finally:
        e.stop()
