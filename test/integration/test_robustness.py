# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile HTTP traffic against the real exporter while a well-behaved client keeps scraping:
malformed request lines, huge headers, 1,000 concurrent idle connections (twice the server's
max_connections), abrupt disconnects mid-request, random bytes, slowloris headers, and TLS garbage
on a TLS port. The good client must never fail, memory must stay bounded and the connections must
be closed afterwards. Everything targets 127.0.0.1; every loop is bounded in count and time."""

from __future__ import annotations

import os
import random
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from harness import Exporter, binary_sanitized, exporter_binary, http_get, wait_for
from test_tls import Pki, client_context, https_get, start_tls_exporter, tls_yaml

HOST = "127.0.0.1"
GOOD_TIMEOUT = 5.0
IDLE_CONNECTIONS = 1000
MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def sanitized_bound(mib: int) -> int:
    """An RSS bound for the exporter under test. A sanitized build (-DSLURM_EXPORTER_SANITIZE=ON,
    what scripts/test.sh runs) pads every heap block with redzones and rounds it up to ASan's size
    classes (small blocks take about twice their size), keeps shadow memory (1/8 of the heap) and
    holds up to 16 MiB of freed blocks in its quarantine (harness.SANITIZER_ENV), so the same
    traffic costs about twice the memory plus the quarantine. A leak still grows past it."""
    return mib * 2 + 16 if binary_sanitized(exporter_binary()) else mib


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.fixture(autouse=True)
def enough_fds():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# The hostile connections come from 8 other loopback addresses (other clients for the
# exporter's per-client cap of 128, like attackers on other hosts), round-robin, so that 1,000 of
# them still exceed max_connections (512); the good client has 127.0.0.1 to itself.
HOSTILE_SOURCES = [f"127.0.0.{2 + i}" for i in range(8)]
_next_source = iter(range(1 << 62))


def connect(port: int) -> socket.socket:
    source = HOSTILE_SOURCES[next(_next_source) % len(HOSTILE_SOURCES)]
    return socket.create_connection((HOST, port), timeout=5, source_address=(source, 0))


def send_and_close(port: int, data: bytes, read: bool = True, reset: bool = False) -> None:
    try:
        with connect(port) as s:
            s.sendall(data)
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if read:
                s.settimeout(3)
                try:
                    s.recv(4096)
                except OSError:
                    pass
    except OSError:
        pass  # the server may close hostile connections at once: that is allowed


class Storm:
    """Runs hostile workers in threads and counts what they tried."""

    def __init__(self, port: int):
        self.port = port
        self.tried = 0
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.stop = threading.Event()

    def count(self, n: int = 1) -> None:
        with self.lock:
            self.tried += n

    def spawn(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def malformed(self) -> None:
        lines = [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"GET /metrics HTTP/1.1\r\nHost\r\n\r\n", b"\r\n\r\n\r\n",
                 b"POST /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                 b"GET " + b"/a" * 5000 + b" HTTP/1.1\r\n\r\n", b"GET /\x00\xff HTTP/1.1\r\n\r\n"]
        for i in range(300):
            if self.stop.is_set():
                return
            send_and_close(self.port, lines[i % len(lines)])
            self.count()

    def huge_headers(self) -> None:
        for i in range(60):
            if self.stop.is_set():
                return
            big = b"X-Big: " + b"a" * (16 * 1024) + b"\r\n"
            send_and_close(self.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
            many = b"".join(b"X-H%d: %s\r\n" % (j, b"b" * 100) for j in range(200))
            send_and_close(self.port, b"GET /metrics HTTP/1.1\r\n" + many + b"\r\n")
            self.count(2)

    def abrupt(self) -> None:
        for i in range(300):
            if self.stop.is_set():
                return
            send_and_close(self.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Ag", read=False,
                           reset=i % 2 == 0)
            self.count()

    def random_bytes(self) -> None:
        rnd = random.Random(7)
        for _ in range(200):
            if self.stop.is_set():
                return
            send_and_close(self.port, rnd.randbytes(rnd.randint(1, 8192)), reset=rnd.random() < .3)
            self.count()

    def slowloris(self, seconds: float) -> None:
        try:
            s = connect(self.port)
        except OSError:
            return
        self.count()
        request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
        end = time.monotonic() + seconds
        try:
            for b in request:
                if time.monotonic() > end or self.stop.is_set():
                    break
                s.sendall(bytes([b]))
                time.sleep(1)
        except OSError:
            pass  # closed by the server (read timeout or eviction): expected
        finally:
            s.close()

    def idle_flood(self, hold: float) -> None:
        socks = []
        for _ in range(IDLE_CONNECTIONS):
            try:
                socks.append(connect(self.port))
            except OSError:
                pass
            self.count()
        end = time.monotonic() + hold
        while time.monotonic() < end and not self.stop.is_set():
            time.sleep(0.2)
        for s in socks:
            s.close()

    def join(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, end - time.monotonic()))
        self.stop.set()
        for t in self.threads:
            t.join(5)


def good_client(url_get, stop: threading.Event, results: list, errors: list) -> None:
    while not stop.is_set() and len(results) < 2000:
        start = time.monotonic()
        try:
            status, body = url_get()
            ok = status == 200 and "slurm_up" in body
            (results if ok else errors).append(f"status {status} after "
                                               f"{time.monotonic() - start:.2f}s")
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(f"{exc!r} after {time.monotonic() - start:.2f}s")
        time.sleep(0.1)


def run_storm(pid: int, port: int, url_get, workers: list, duration: float,
              storm_class: type = Storm, rss_bound_mib: int = 8, keep_alive_conn=None) -> dict:
    """The storm's workers against the exporter while two good clients scrape every 0.1 s: one
    reconnecting each time (url_get), one over ONE keep-alive connection (keep_alive_conn, an
    http.client connection, opened before the storm)."""
    rss_before = rss_bytes(pid)
    fds_before = fd_count(pid)
    stop = threading.Event()
    results: list[str] = []
    errors: list[str] = []
    keep_times: list[float] = []
    g = threading.Thread(target=good_client, args=(url_get, stop, results, errors), daemon=True)
    g.start()
    k = threading.Thread(target=keep_alive_scraper,
                         args=(keep_alive_conn, {}, stop, keep_times, errors, 0.1), daemon=True)
    k.start()
    time.sleep(0.5)  # the keep-alive connection is open and proven before the storm
    storm = storm_class(port)
    peak_rss = rss_before
    peak_fds = fds_before
    for name, args in workers:
        storm.spawn(getattr(storm, name), *args)
    end = time.monotonic() + duration
    while any(t.is_alive() for t in storm.threads) and time.monotonic() < end:
        peak_rss = max(peak_rss, rss_bytes(pid))
        peak_fds = max(peak_fds, fd_count(pid))
        time.sleep(0.2)
    storm.join(5)
    stop.set()
    g.join(GOOD_TIMEOUT + 5)
    k.join(GOOD_TIMEOUT + 5)
    keep_alive_conn.close()
    figures = dict(tried=storm.tried, good_ok=len(results), keep_alive_ok=len(keep_times),
                   keep_alive_max_s=round(max(keep_times, default=0), 3),
                   good_failed=len(errors),
                   rss_before_mib=rss_before / MIB, peak_rss_mib=peak_rss / MIB,
                   rss_after_mib=rss_bytes(pid) / MIB, fds_before=fds_before, peak_fds=peak_fds)
    sys.stderr.write(f"hostile-traffic figures: {figures}\n")
    assert not errors, f"{len(errors)} good scrapes failed (of {len(results) + len(errors)}): " \
                       f"{errors[:10]}\n{figures}"
    assert len(results) >= 10 and len(keep_times) >= 10, f"too few good scrapes ran: {figures}"
    assert rss_bytes(pid) < rss_before + sanitized_bound(rss_bound_mib) * MIB, \
        f"memory grew: {figures}"
    # Every hostile connection is closed: the server's fds return to (near) the baseline.
    wait_for(lambda: fd_count(pid) <= fds_before + 3, 30,
             f"the exporter's fds back to {fds_before} (now {fd_count(pid)}): {figures}")
    return figures


def test_hostile_traffic_never_fails_the_good_scraper(cluster, exporter):
    e: Exporter = exporter()
    port = int(e.address.rsplit(":", 1)[1])
    assert e.scrape().value("slurm_up") == 1

    def get():
        status, body, _ = http_get(e.base_url + "/metrics", timeout=GOOD_TIMEOUT)
        return status, body

    workers = [("idle_flood", (8.0,)), ("malformed", ()), ("huge_headers", ()), ("abrupt", ()),
               ("random_bytes", ())] + [("slowloris", (12.0,))] * 20
    import http.client
    # A plain connection costs ~4 KiB (the session, Beast's parser, the read buffer): the 512
    # that max_connections allows took 2.1 MiB here (11.2 -> 13.3 MiB, plain build). The bound
    # is that with room for the allocator, not a leak allowance (a leak of 4 KiB a connection
    # over the 1,940 tried would pass it only barely; LeakSanitizer sees smaller ones).
    figures = run_storm(e.proc.pid, port, get, workers, duration=60, rss_bound_mib=8,
                        keep_alive_conn=http.client.HTTPConnection(HOST, port, timeout=GOOD_TIMEOUT))
    assert figures["tried"] >= IDLE_CONNECTIONS + 900
    assert e.proc.poll() is None, f"exporter exited:\n{e.log_text()}"
    # Still correct afterwards.
    assert e.scrape().value("slurm_up") == 1


def test_tls_garbage_on_the_tls_port(cluster, exporter, tmp_path):
    pki = Pki(tmp_path)
    pki.issue("server", "serverAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml())
    ctx = client_context(pki)

    def get():
        status, _, body, _ = https_get(port, ctx)
        return status, body

    # A truncated ClientHello header, then garbage records, plaintext HTTP, and idle handshakes.
    hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
    garbage = [hello, hello + os.urandom(500), bytes([0x17, 0x03, 0x03, 0xff, 0xff]) + os.urandom(64),
               b"GET /metrics HTTP/1.1\r\n\r\n", os.urandom(3000)]

    class TlsStorm(Storm):
        def tls_garbage(self) -> None:
            for i in range(300):
                if self.stop.is_set():
                    return
                send_and_close(self.port, garbage[i % len(garbage)], reset=i % 3 == 0)
                self.count()

        def idle_handshakes(self) -> None:
            socks = []
            for _ in range(600):
                try:
                    socks.append(connect(self.port))
                except OSError:
                    pass
                self.count()
            # Held long enough for the good client to scrape at least 10 times through the storm;
            # a sanitized exporter does each TLS handshake several times slower.
            time.sleep(12 if binary_sanitized(exporter_binary()) else 4)
            for s in socks:
                s.close()

    # A TLS connection costs ~90 KiB (OpenSSL's SSL object and Asio's two 17 KiB stream
    # buffers), so the 512 connections max_connections allows take ~48 MiB; glibc keeps the
    # heap afterwards. Measured (plain build): 11.7 MiB before, 60.7 at the first storm's peak,
    # 17.3 to 71.0 after the storms. The bound (64 MiB over the RSS before each storm) is that
    # cap plus a third, not a leak allowance.
    import http.client

    def keep_alive():
        return http.client.HTTPSConnection(HOST, port, context=ctx, timeout=GOOD_TIMEOUT)

    first = run_storm(e.proc.pid, port, get, [("tls_garbage", ()), ("idle_handshakes", ())],
                      duration=40, storm_class=TlsStorm, rss_bound_mib=64,
                      keep_alive_conn=keep_alive())
    # More storms of idle handshakes, each holding ~512 connections at once. The peak RSS of a storm
    # is that working set plus what the allocator kept: it rises a little over the first storms
    # (fragmentation), then levels off (seen, plain build: 58, 68, 68, 71, 74, 76, 76 MiB; ASan:
    # 152, 152, 156, 162, 153, 161, 165 MiB). A leak per connection (600 a storm) would set a
    # new high every storm. RSS after a storm is no measure: it depends on when the allocator
    # hands pages back (ASan every 5 s, seen anywhere from 107 to 155 MiB after the same storm).
    peaks = [first["peak_rss_mib"]]
    for _ in range(3):
        f = run_storm(e.proc.pid, port, get, [("idle_handshakes", ())], duration=30,
                      storm_class=TlsStorm, rss_bound_mib=64, keep_alive_conn=keep_alive())
        peaks.append(f["peak_rss_mib"])
    # The step catches a connection that keeps its buffers (~90 KiB, 53 MiB a storm) or anything
    # over ~20 KiB (plain) / ~40 KiB (ASan, where freed chunks wait in the 16 MiB quarantine) a
    # connection. Smaller leaks are LeakSanitizer's to find when the exporter exits: the CI suite
    # runs the ASan build and the harness fails the test on any sanitizer report.
    step = 24 if binary_sanitized(exporter_binary()) else 12
    assert peaks[-1] - max(peaks[:-1]) < step, f"peak RSS keeps rising storm after storm: {peaks} MiB"
    assert https_get(port, ctx)[0] == 200


# --- Basic auth under attack: a wrong-password flood and unread responses -------------------

AUTH_ATTACK_ADDRESSES = [f"127.0.0.{10 + i}" for i in range(4)]  # 4 attacking clients
AUTH_ATTACK_PER_ADDRESS = 200      # connections each opens at once: over the per-client cap
                                   # (128), and together over max_connections (512)
AUTH_ATTACK_PIPELINED = 20         # wrong-password requests pipelined on each connection
UNREAD_ADDRESS = "127.0.0.30"
UNREAD_CONNECTIONS = 100           # TLS, valid credentials, never read their responses
UNREAD_PIPELINED = 200             # /metrics requests each: megabytes the socket cannot hold
SCRAPE_LIMIT = 1.0                 # the issue's bound on every good scrape, in seconds
SCRAPE_EVERY = 0.5


def _tls_connect(port: int, ctx, source: str):
    raw = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0))
    return ctx.wrap_socket(raw, server_hostname=HOST)


def _request(auth: str) -> bytes:
    return (f"GET /metrics HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\r\n").encode()


def _wrong_password_flood(port: int, ca: str, source: str, seed: int, seconds: float) -> None:
    """One attacking client: opens AUTH_ATTACK_PER_ADDRESS TLS connections, each pipelining
    distinct wrong passwords and never reading, or (three in four) half a request, then waits:
    those hold connection slots, the others the bcrypt queue. Closes them after a while and
    starts over."""
    import base64
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    rnd = random.Random(seed)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        socks = []
        for n in range(AUTH_ATTACK_PER_ADDRESS):
            try:
                s = _tls_connect(port, ctx, source)
                burst = b"".join(_request("Basic " + base64.b64encode(
                    f"prom:wrong{rnd.getrandbits(64)}".encode()).decode())
                    for _ in range(AUTH_ATTACK_PIPELINED))
                if n % 4:  # headers never finished: holds a slot until evicted or timed out
                    burst = f"GET /metrics HTTP/1.1\r\nHost: {HOST}\r\n".encode()
                s.settimeout(2)
                s.sendall(burst)
                socks.append(s)
            except OSError:
                pass  # closed by the server (a cap or eviction): allowed
        time.sleep(2)
        for s in socks:
            s.close()


def _unread_responses(port: int, ca: str, auth: str, seconds: float) -> None:
    """Valid credentials, UNREAD_PIPELINED /metrics requests per connection, never read."""
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    socks = []
    for _ in range(UNREAD_CONNECTIONS):
        try:
            s = _tls_connect(port, ctx, UNREAD_ADDRESS)
            s.settimeout(2)
            s.sendall(_request(auth) * UNREAD_PIPELINED)
            socks.append(s)
        except OSError:
            pass
    time.sleep(seconds)
    for s in socks:
        s.close()


def keep_alive_scraper(conn, headers: dict, stop: threading.Event, times: list, errors: list,
                       every: float) -> None:
    """Like Prometheus: ONE keep-alive connection (`conn`, an http.client connection) for every
    scrape. A scrape that fails or that needs a new connection (the server closed the idle one)
    is an error."""
    first_sock = None
    try:
        while not stop.is_set():
            start = time.monotonic()
            try:
                conn.request("GET", "/metrics", headers=headers)
                resp = conn.getresponse()
                body = resp.read().decode()
                took = time.monotonic() - start
                first_sock = first_sock or conn.sock
                if conn.sock is not first_sock:
                    errors.append(f"keep-alive: a new connection after {len(times)} scrapes")
                if resp.status != 200 or "slurm_up" not in body:
                    errors.append(f"keep-alive: status {resp.status} after {took:.2f}s")
                times.append(took)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(f"keep-alive: {exc!r} after {time.monotonic() - start:.2f}s")
                conn.close()
            stop.wait(every)
    finally:
        conn.close()


def _reconnecting_scraper(port: int, ctx, auth: str, stop: threading.Event, times: list,
                          errors: list) -> None:
    while not stop.is_set():
        start = time.monotonic()
        try:
            status, _, body, _ = https_get(port, ctx, "/metrics", {"Authorization": auth})
            took = time.monotonic() - start
            if status != 200 or "slurm_up" not in body:
                errors.append(f"reconnecting: status {status} after {took:.2f}s")
            times.append(took)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"reconnecting: {exc!r} after {time.monotonic() - start:.2f}s")
        stop.wait(SCRAPE_EVERY)


def _latency(times: list) -> dict:
    ordered = sorted(times)
    return dict(n=len(ordered), max=round(ordered[-1], 3),
                p99=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3))


def test_wrong_passwords_and_unread_responses_never_delay_either_scraper(cluster, exporter,
                                                                          tmp_path):
    """The issue-20 attack: hundreds of TLS connections pipelining wrong passwords (bcrypt at cost
    10) and 100 authenticated connections that never read a multi-megabyte answer, while two
    Prometheus-like clients scrape: one over ONE keep-alive connection, one reconnecting each time.
    Every scrape of both must succeed within SCRAPE_LIMIT, the keep-alive connection must never
    be closed, and memory must stay bounded."""
    import base64
    pki = Pki(tmp_path)
    pki.issue("server", "serverAuth")
    # Cost 10 for the attack: each wrong password costs the exporter ~60 ms of bcrypt.
    hashed = subprocess.run(["htpasswd", "-nbB", "-C", "10", "prom", "secret"], check=True,
                            capture_output=True, text=True).stdout.strip().split(":", 1)[1]
    users = f"basic_auth_users:\n  prom: {hashed}\n"
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml(users))
    ctx = client_context(pki)
    auth = "Basic " + base64.b64encode(b"prom:secret").decode()
    assert https_get(port, ctx, "/metrics", {"Authorization": auth})[0] == 200  # bcrypt once
    pid = e.proc.pid
    rss_before = rss_bytes(pid)
    fds_before = fd_count(pid)

    storm_seconds = 20.0
    # The attackers run in their own processes, so that their Python work does not delay the
    # good clients' threads (the GIL) and what is measured is the exporter.
    me = [sys.executable, __file__]
    attack_args = [me + ["flood", str(port), str(pki.ca), addr, str(i), str(storm_seconds)]
                   for i, addr in enumerate(AUTH_ATTACK_ADDRESSES)]
    attack_args.append(me + ["unread", str(port), str(pki.ca), auth, str(storm_seconds)])
    stop = threading.Event()
    keep_times: list[float] = []
    fresh_times: list[float] = []
    errors: list[str] = []
    import http.client
    keep_conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=10)
    good = [threading.Thread(target=keep_alive_scraper,
                             args=(keep_conn, {"Authorization": auth}, stop, keep_times, errors,
                                   SCRAPE_EVERY), daemon=True),
            threading.Thread(target=_reconnecting_scraper,
                             args=(port, ctx, auth, stop, fresh_times, errors), daemon=True)]
    for g in good:
        g.start()
    time.sleep(1)  # the keep-alive connection is open and idle before the storm starts
    attackers = [subprocess.Popen(a) for a in attack_args]
    peak_rss, peak_fds = rss_before, fds_before
    end = time.monotonic() + storm_seconds
    while time.monotonic() < end:
        peak_rss = max(peak_rss, rss_bytes(pid))
        peak_fds = max(peak_fds, fd_count(pid))
        time.sleep(0.2)
    stop.set()
    for g in good:
        g.join(15)
    for a in attackers:
        try:
            a.wait(15)
        except subprocess.TimeoutExpired:
            a.kill()
            a.wait()
    log = e.log_text()
    figures = dict(keep_alive=_latency(keep_times) if keep_times else None,
                   reconnecting=_latency(fresh_times) if fresh_times else None,
                   rss_before_mib=round(rss_before / MIB, 1), peak_rss_mib=round(peak_rss / MIB, 1),
                   fds_before=fds_before, peak_fds=peak_fds,
                   answered_503=log.count("too many bcrypt checks queued"),
                   evicted=log.count("closing one waiting for a request"),
                   capped=log.count("too many connections from this client"))
    sys.stderr.write(f"auth-attack figures: {figures}\n")
    assert not errors, f"{len(errors)} good scrapes failed: {errors[:10]}\n{figures}"
    # Both scraped all along (every SCRAPE_EVERY), each scrape within SCRAPE_LIMIT.
    assert len(keep_times) >= storm_seconds / SCRAPE_EVERY / 2, figures
    assert len(fresh_times) >= storm_seconds / SCRAPE_EVERY / 2, figures
    slow = [t for t in keep_times + fresh_times if t >= SCRAPE_LIMIT]
    assert not slow, f"{len(slow)} scrapes took {SCRAPE_LIMIT}s or more: {figures}"
    # The defences were really exercised: the bcrypt queue overflowed and connections were
    # evicted or capped.
    assert figures["answered_503"] > 0 and figures["evicted"] + figures["capped"] > 0, figures
    assert peak_rss < rss_before + sanitized_bound(AUTH_ATTACK_RSS_MIB) * MIB, figures
    wait_for(lambda: fd_count(pid) <= fds_before + 3, 40,
             f"the exporter's fds back to {fds_before} (now {fd_count(pid)}): {figures}")
    assert e.proc.poll() is None, f"exporter exited:\n{e.log_text()}"


# The peak: up to 512 TLS connections at ~90 KiB each (see test_tls_garbage_on_the_tls_port)
# plus the unread ones' queued response; measured 15.0 -> 61.3 MiB (plain build).
AUTH_ATTACK_RSS_MIB = 64


if __name__ == "__main__":  # the attacker processes of the auth-attack test
    if sys.argv[1] == "flood":
        _wrong_password_flood(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]),
                              float(sys.argv[6]))
    else:
        _unread_responses(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]))
