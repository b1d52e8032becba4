# SPDX-License-Identifier: GPL-2.0-or-later
"""Job tracing end to end on a live cluster: a real sbatch job of an ordinary user runs its
command under the packaged agent (scripts/prometheus-slurm-exporter-trace), the job's figures
appear in /metrics under rivosinc's names while it runs (checked against what the job itself
does: 64 MiB resident, 16 MiB written, a busy CPU; against the test's own reading of the job's
processes in /proc; and against Slurm's CPU and memory allocation and user), and vanish
-trace.rate seconds after it ends. Bad and hostile samples get a 4xx with the reason; a flood of
job ids stays within the store's bound; TLS and basic auth of the web config cover /trace as
/metrics (the agent posts through them); a traced job id Slurm does not know is shown on /trace
but never exported; without -trace.enabled there is no /trace.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness import (PROJECT_ROOT, SECOND_USER, Exporter, exporter_args, exporter_binary,
                     run_exporter, wait_for)
from test_tls import Pki, bcrypt_hash

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


def raw_exchange(port: int, request: bytes, read_timeout: float = 10) -> tuple[bytes, float]:
    """Sends `request` as is on a fresh connection; returns what comes back (until the server
    closes or `read_timeout` passes) and the seconds until its first byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        t0 = time.monotonic()
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything
        data, first = b"", float("inf")
        try:
            while chunk := s.recv(65536):
                first = min(first, time.monotonic() - t0)
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return data, first


def test_bad_samples_get_400_with_the_reason(exporter):
    url = exporter.base_url + "/trace"
    assert post(url, b"{not json") == (400, "400 bad trace sample: body is not valid JSON\n")
    assert post(url, b'{"pid": 3}') == (400, "400 bad trace sample: job_id is missing\n")
    assert post(url, b'{"job_id": 0}') == (400, "400 bad trace sample: job_id is 0\n")
    assert post(url, b"") == (400, "400 bad trace sample: body is not valid JSON\n")
    assert post(url, b"[1, 2]") == (400, "400 bad trace sample: body is not a JSON object\n")
    assert post(url, b'{"job_id": "12"}') == (400, "400 bad trace sample: job_id is not an integer\n")
    assert post(url, b'{"job_id": 4294967296}') == \
        (400, "400 bad trace sample: job_id is out of range (1..4294967295)\n")
    assert post(url, b'{"job_id": 7, "mem": -1}') == \
        (400, "400 bad trace sample: mem must be a finite number >= 0\n")
    assert post(url, b'{"job_id": 7, "cpus": "lots"}') == \
        (400, "400 bad trace sample: cpus is not a number\n")
    assert post(url, b'{"job_id": 7, "username": "a\\nb"}') == \
        (400, "400 bad trace sample: username holds a control character\n")
    assert post(url, b'{"job_id": 7, "hostname": "' + b"h" * 300 + b'"}') == \
        (400, "400 bad trace sample: hostname is longer than 256 bytes\n")
    # Deep nesting within the size limit: a clear 400, no crash.
    assert post(url, b"[" * 4000)[0] == 400
    assert post(url, b'{"job_id": 7, "x": ' + b"[" * 1900 + b"]" * 1900 + b"}") == (200, "")
    status, body = post(url, b'{"job_id": 5, "username": "' + b"u" * 6000 + b'"}')
    assert status == 413, body  # larger than the exporter takes at all (4 KiB), and says so
    assert body == "413 request entity too large: the body limit is 4096 bytes\n", body
    assert exporter.proc.poll() is None


def test_oversized_bodies_are_refused_before_they_are_read(exporter):
    port = int(exporter.base_url.rsplit(":", 1)[1])
    # A huge Content-Length and no body: refused at once, not waited for.
    reply, first = raw_exchange(
        port, b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000"
              b"\r\nContent-Type: application/json\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert first < 5  # answered, not left to the read timeout (30 s)
    # A chunked body that grows past the limit.
    chunk = b"{" + b" " * 1500
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    reply, _ = raw_exchange(port, b"POST /trace HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                  b"chunked\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert exporter.get("/trace")[0] == 200  # still serving


def test_a_flood_of_job_ids_stays_within_the_store_bound(cluster):
    """10,000 jobs at most: 12,000 made-up job ids posted fast, with a rate long enough that
    none expires, leave exactly 10,000 on the page (the oldest went), and the memory figure."""
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, extra=("-trace.enabled", "-trace.rate=3600",
                                               "-web.log-level=info")),
                 cluster.env)
    try:
        e.wait_listening(timeout=30)
        port = int(e.base_url.rsplit(":", 1)[1])
        rss_before = e.scrape().value("process_resident_memory_bytes")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        first, count = 5_000_000, 12_000
        for i in range(count):
            sample = {"job_id": first + i, "pid": 100 + i, "cpus": 1.5, "mem": 1e9, "threads": 3,
                      "read_bytes": 0, "write_bytes": 0, "username": "u" * 200,
                      "hostname": "h" * 200}
            conn.request("POST", "/trace", body=json.dumps(sample),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, (i, r.status)
        conn.close()
        status, page, _ = e.get("/trace")
        assert status == 200
        rows = page.count("<tr><td>")
        assert rows == 10_000
        assert f"<td>{first + count - 1}</td>" in page  # the newest stays
        assert f"<td>{first}</td>" not in page  # the stalest made room
        rss_after = e.scrape().value("process_resident_memory_bytes")
        print(f"store full (10,000 jobs, 200-byte labels): RSS {rss_before / 2**20:.1f} -> "
              f"{rss_after / 2**20:.1f} MiB; /trace page {len(page) / 2**20:.1f} MiB")
    finally:
        e.stop()


def test_a_traced_job_id_slurm_does_not_know_is_not_exported(exporter):
    url = exporter.base_url + "/trace"
    sample = {"job_id": 987654, "pid": 1, "cpus": 50, "mem": 1, "threads": 1, "read_bytes": 0,
              "write_bytes": 0, "username": "ghost", "hostname": "nowhere"}
    assert post(url, json.dumps(sample).encode()) == (200, "")
    status, page, _ = exporter.get("/trace")
    assert status == 200 and "<td>987654</td>" in page and "<td>ghost</td>" in page
    time.sleep(1.5)  # past the poll limit: the next scrape polls with the sample stored
    assert job_series(exporter.scrape(), "987654") == {}


def agent_copy() -> Path:
    """The agent where an ordinary user's job can run it (the checkout may not be readable)."""
    d = Path(tempfile.mkdtemp(prefix="se-trace-agent-"))
    d.chmod(0o755)
    dest = d / "prometheus-slurm-exporter-trace"
    shutil.copyfile(AGENT, dest)
    dest.chmod(0o755)
    return dest


def proc_tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc (the test's own reading, not the agent's)."""
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            parent[int(name)] = int(stat[stat.rfind(")") + 2:].split()[1])
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in parent and pid not in out:
            out.append(pid)
            todo.extend(p for p, pp in parent.items() if pp == pid)
    return out


def status_field(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def io_field(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/io")


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = f[f.rfind(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total


def test_a_real_job_under_the_agent_appears_while_it_runs_and_vanishes_after(cluster, exporter):
    cluster.script("ensure-user", SECOND_USER)
    user = pwd.getpwnam(SECOND_USER)
    agent = agent_copy()
    url = exporter.base_url + "/trace"
    out = Path(f"/tmp/se-traced-job-{os.getpid()}.out")
    out.unlink(missing_ok=True)
    job_id = cluster.sbatch(
        "-w", "node2", "-c", "2", "--mem=500", "--job-name=traced", f"--output={out}",
        f"--wrap=exec python3 {agent} --endpoint {url} --sample-rate 1 -- "
        f"python3 -c \"{WORKLOAD}\"", user=SECOND_USER)

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
    for name, series in s.items():
        assert len(series) == 1, (name, series)
    one = {name: next(iter(series.items())) for name, series in s.items()}
    # Slurm's side: what the job asked for, and what scontrol says it got.
    job = cluster.run(["scontrol", "-o", "show", "job", job_id])
    assert f" UserId={SECOND_USER}(" in job and " NumCPUs=2 " in job, job
    assert one["slurm_job_cpu_alloc"][1] == 2
    assert one["slurm_job_mem_alloc"][1] == 500 * MIB
    # The agent's side, with rivosinc's labels; the pid is the job's command (the test reads
    # its environment and owner itself).
    labels, pid = one["slurm_proc_pid"]
    pid = int(pid)
    assert dict(labels) == {"jobid": job_id, "hostname": socket.gethostname()}
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert f"SLURM_JOB_ID={job_id}".encode() in environ
    assert status_field(pid, "Uid").split()[0] == str(user.pw_uid)
    assert "python3" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    labels, mem = one["slurm_proc_mem_usage"]
    assert dict(labels) == {"jobid": job_id, "username": SECOND_USER}
    # Resident memory of the command's tree as the test reads it (VmRSS), the busy loop holds
    # it steady: the sample agrees within 4 MiB.
    tree_pids = proc_tree(pid)
    rss = sum(int(status_field(p, "VmRSS").split()[0]) * 1024 for p in tree_pids)
    assert 64 * MIB <= mem < 1024 * MIB
    assert abs(mem - rss) <= 4 * MIB, (mem, rss)
    threads = sum(int(status_field(p, "Threads")) for p in tree_pids)
    assert one["slurm_proc_threadcount"][1] == threads
    written = sum(io_field(p, "write_bytes") for p in tree_pids)
    assert one["slurm_proc_write_bytes"][1] == written >= 16 * MIB
    assert one["slurm_proc_read_bytes"][1] == sum(io_field(p, "read_bytes") for p in tree_pids)
    # The busy loop, one thread: the test's own CPU reading and the agent's agree that it is
    # busy (a shared test machine gives it anything between a bit and 100 %), and neither is
    # above one CPU.
    t0, ticks0 = time.monotonic(), cpu_ticks(tree_pids)
    time.sleep(2)
    own = 100.0 * (cpu_ticks(tree_pids) - ticks0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
    agent_cpu = wait_for(lambda: (job_series(exporter.scrape(), job_id).get("slurm_proc_cpu_usage")
                                  or {None: 0}).popitem()[1] or None,
                         timeout=30, what="the busy loop's CPU usage")
    print(f"job {job_id}: rss {mem / MIB:.1f} MiB (test read {rss / MIB:.1f}), cpu agent "
          f"{agent_cpu:.0f} % / test {own:.0f} %, wrote {written / MIB:.1f} MiB")
    assert own > 5 and agent_cpu > 5
    assert own <= 110 and agent_cpu <= 110
    status, page, _ = exporter.get("/trace")
    assert status == 200 and f"<td>{job_id}</td>" in page and f"<td>{SECOND_USER}</td>" in page

    # The job ends; its last sample is at most 1 s older than its end.
    def ended():
        out = cluster.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"]).strip()
        return out if out and out not in ("RUNNING", "COMPLETING", "PENDING") else None

    state = wait_for(ended, timeout=90, what=f"job {job_id} to end", interval=0.2)
    assert state == "COMPLETED", out.read_text(errors="replace") if out.exists() else state
    end = time.monotonic()
    # Slurm still lists the finished job (MinJobAge): it is the sample's age that removes it.
    wait_for(lambda: job_series(exporter.scrape(), job_id) == {}, timeout=RATE + 6,
             what=f"job {job_id}'s series to vanish after -trace.rate={RATE}s", interval=0.25)
    gone_after = time.monotonic() - end
    assert gone_after <= RATE + 1 + 1 + 2  # rate + sample interval + poll limit + slack
    assert cluster.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"]).strip() == \
        "COMPLETED"
    print(f"series gone {gone_after:.1f} s after the job ended (-trace.rate={RATE})")
    assert out.read_text(errors="replace").strip() == ""  # the agent complained of nothing
    out.unlink(missing_ok=True)
    shutil.rmtree(agent.parent)
    Path(f"/tmp/se-trace-job-{job_id}.bin").unlink(missing_ok=True)


def test_tls_and_basic_auth_cover_the_trace_path(cluster, tmp_path):
    """With a web config of TLS and basic auth, /trace is behind both: a POST without the
    password gets 401 and stores nothing; the agent, given an https://user:password@ endpoint
    and the CA, posts through them and its job's series are scraped over TLS."""
    pki = Pki(tmp_path)
    pki.issue("server", "serverAuth")
    password = "s3cret:trace"
    cfg = tmp_path / "web.yml"
    cfg.write_text("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                   f"basic_auth_users:\n  tracer: '{bcrypt_hash('tracer', password)}'\n")
    job_id = cluster.sbatch("-w", "node1", "-c", "1", "--mem=100")
    e = Exporter(exporter_binary(),
                 exporter_args(cluster, extra=("-trace.enabled", f"-trace.rate={RATE}",
                                               f"--web.config.file={cfg}")),
                 cluster.env)
    try:
        e.wait_listening(timeout=30)
        port = int(e.address.rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=str(pki.ca))
        auth = "Basic " + base64.b64encode(f"tracer:{password}".encode()).decode()

        def request(method: str, path: str, body: bytes | None = None,
                    headers: dict[str, str] | None = None) -> tuple[int, str]:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                r = conn.getresponse()
                return r.status, r.read().decode()
            finally:
                conn.close()

        sample = json.dumps({"job_id": int(job_id), "pid": 77, "username": "intruder",
                             "hostname": "x"}).encode()
        assert request("POST", "/trace", sample)[0] == 401
        assert request("POST", "/trace", sample, {"Authorization": "Basic dHJhY2VyOm5v"})[0] == 401
        assert request("GET", "/trace")[0] == 401
        status, page = request("GET", "/trace", headers={"Authorization": auth})
        assert status == 200 and "intruder" not in page
        # Plain HTTP to the TLS port gets no answer at all.
        reply, _ = raw_exchange(port, b"POST /trace HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                      b"%d\r\n\r\n%s" % (len(sample), sample), read_timeout=5)
        assert not reply.startswith(b"HTTP/"), reply[:200]

        endpoint = f"https://tracer:{password.replace(':', '%3A')}@127.0.0.1:{port}/trace"
        agent = subprocess.run(
            ["/usr/bin/python3", str(AGENT), "--endpoint", endpoint, "--cafile", str(pki.ca),
             "--jobid", job_id, "--sample-rate", "0.5", "--",
             "/usr/bin/python3", "-c", "import time; time.sleep(3)"],
            capture_output=True, text=True, timeout=60)
        assert agent.returncode == 0 and agent.stderr == "", agent.stderr
        status, page = request("GET", "/trace", headers={"Authorization": auth})
        assert status == 200 and f"<td>{job_id}</td>" in page
        assert "intruder" not in page
        status, text = request("GET", "/metrics", headers={"Authorization": auth})
        assert status == 200
        assert f'slurm_proc_pid{{jobid="{job_id}",hostname="{socket.gethostname()}"}}' in text
    finally:
        e.stop()
        cluster.run(["scancel", job_id], check=False)


def test_without_trace_enabled_there_is_no_trace_path(cluster):
    e = Exporter(exporter_binary(), exporter_args(cluster), cluster.env)
    try:
        e.wait_listening(timeout=30)
        assert post(e.base_url + "/trace", b'{"job_id": 1}')[0] == 405  # only GET/HEAD anywhere
        assert e.get("/trace")[0] == 404
    finally:
        e.stop()


def test_a_trace_path_that_is_already_served_exits_2(cluster):
    for taken in ("/metrics", "/-/healthy", "/-/ready"):
        p = run_exporter(exporter_args(cluster, extra=("-trace.enabled", f"-trace.path={taken}")),
                         cluster.env)
        assert p.returncode == 2, (taken, p.stderr)
        assert f"-trace.path {taken} is already served" in p.stderr, p.stderr
