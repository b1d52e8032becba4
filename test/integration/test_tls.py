# SPDX-License-Identifier: GPL-2.0-or-later
"""TLS, mTLS, basic auth and custom headers from --web.config.file, with certificates made at
test time by the openssl CLI: protocol versions, plain HTTP to the TLS port, client certificates,
401s, and certificate rotation under continuous scraping."""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest

from harness import exporter_binary, run_exporter, wait_for

HOST = "127.0.0.1"


def run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A CA, server certificates for 127.0.0.1 (IP SAN) and client certificates, made by openssl."""

    def __init__(self, d: Path):
        self.dir = d
        self.serial = 1000
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA",
            cwd=d)
        self.ca = d / "ca.crt"

    def issue(self, name: str, usage: str, ca: str = "ca", san: str = f"IP:{HOST}") -> tuple[Path, Path, int]:
        """Writes <name>.crt/.key signed by <ca>; returns their paths and the serial."""
        self.serial += 1
        ext = self.dir / f"{name}.ext"
        ext.write_text(f"subjectAltName={san}\nextendedKeyUsage={usage}\n")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=self.dir)
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey",
            f"{ca}.key", "-set_serial", str(self.serial), "-days", "1", "-extfile", ext.name,
            "-out", f"{name}.crt", cwd=self.dir)
        return self.dir / f"{name}.crt", self.dir / f"{name}.key", self.serial


@pytest.fixture
def pki(tmp_path) -> Pki:
    return Pki(tmp_path)


def bcrypt_hash(user: str, password: str) -> str:
    out = subprocess.run(["htpasswd", "-nbB", "-C", "5", user, password], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().split(":", 1)[1]


def client_context(pki: Pki, min_v=ssl.TLSVersion.TLSv1_2, max_v=ssl.TLSVersion.MAXIMUM_SUPPORTED,
                   cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.minimum_version = min_v
    ctx.maximum_version = max_v
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def https_get(port: int, ctx: ssl.SSLContext, path: str = "/metrics",
              headers: dict[str, str] | None = None):
    """One request on a fresh connection: (status, headers, body, server certificate serial)."""
    conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read().decode()
        serial = int(conn.sock.getpeercert()["serialNumber"], 16)
        return resp.status, dict(resp.getheaders()), body, serial
    finally:
        conn.close()


def start_tls_exporter(exporter, tmp: Path, yaml: str):
    cfg = tmp / "web.yml"
    cfg.write_text(yaml)
    e = exporter(extra_args=(f"--web.config.file={cfg}",))
    assert "tls=true" in e.log_text()
    return e, int(e.address.rsplit(":", 1)[1])


def tls_yaml(extra: str = "") -> str:
    # Relative paths: resolved against the config file's directory.
    return f"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n{extra}"


def test_tls12_and_tls13_scrapes_succeed_and_tls11_is_refused(pki, exporter):
    pki.issue("server", "serverAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml())
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        status, _, body, _ = https_get(port, client_context(pki, v, v))
        assert status == 200 and "slurm_up 1" in body, f"{v}: {status}\n{body[:500]}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is the point here
        old = client_context(pki, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer TLS 1.1 at all
    before = len(e.log())
    with pytest.raises((ssl.SSLError, ConnectionError)):
        https_get(port, old)
    wait_for(lambda: any("tls handshake failed" in l for l in e.log()[before:]), 5,
             "the refused TLS 1.1 handshake to be logged at debug")
    assert https_get(port, client_context(pki))[0] == 200


def test_plain_http_to_the_tls_port_fails_cleanly(pki, exporter):
    pki.issue("server", "serverAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml())
    for _ in range(3):
        with socket.create_connection((HOST, port), timeout=10) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while chunk := s.recv(4096):
                    data += chunk
            except ConnectionResetError:
                pass
            assert not data.startswith(b"HTTP/"), f"plain HTTP was answered: {data[:200]!r}"
    assert https_get(port, client_context(pki))[0] == 200
    assert e.proc.poll() is None


def test_a_silent_client_is_closed_after_the_handshake_timeout(pki, exporter):
    pki.issue("server", "serverAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml())
    start = time.monotonic()
    with socket.create_connection((HOST, port), timeout=30) as silent:
        # Others are served while the silent connection waits in its handshake.
        assert https_get(port, client_context(pki))[0] == 200
        try:
            data = silent.recv(4096)
        except ConnectionResetError:
            data = b""
        waited = time.monotonic() - start
    assert data == b"", f"unexpected bytes {data[:100]!r}"
    # Closed by the 10 s read timeout: not before it, and not much later (the timer fires on
    # the I/O thread, which nothing else keeps busy here).
    assert 10 - 0.5 <= waited < 10 + 2, \
        f"the silent connection was closed after {waited:.1f}s (read timeout is 10s)"
    # The log is read by a pump thread: give it a moment to see the line.
    wait_for(lambda: any("tls handshake failed" in l for l in e.log()), 5,
             "a 'tls handshake failed' log line")


def test_mtls_requires_a_client_certificate_from_the_ca(pki, exporter):
    pki.issue("server", "serverAuth")
    client = pki.issue("client", "clientAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml(
        "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"))
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        assert https_get(port, client_context(pki, v, v, cert=client[:2]))[0] == 200
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            https_get(port, client_context(pki, v, v))
    # A certificate from another CA is refused too.
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=other",
        cwd=pki.dir)
    stranger = pki.issue("stranger", "clientAuth", ca="other")
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
        https_get(port, client_context(pki, cert=stranger[:2]))
    assert https_get(port, client_context(pki, cert=client[:2]))[0] == 200
    assert e.proc.poll() is None


@pytest.mark.parametrize("mode, none_ok, stranger_ok", [
    ("RequestClientCert", True, True),
    ("RequireAnyClientCert", False, True),
    ("VerifyClientCertIfGiven", True, False),
])
def test_the_other_client_auth_types(pki, exporter, mode, none_ok, stranger_ok):
    pki.issue("server", "serverAuth")
    client = pki.issue("client", "clientAuth")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=other",
        cwd=pki.dir)
    stranger = pki.issue("stranger", "clientAuth", ca="other")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml(
        f"  client_auth_type: {mode}\n  client_ca_file: ca.crt\n"))
    assert https_get(port, client_context(pki, cert=client[:2]))[0] == 200
    for cert, ok in ((None, none_ok), (stranger[:2], stranger_ok)):
        if ok:
            assert https_get(port, client_context(pki, cert=cert))[0] == 200, (mode, cert)
        else:
            with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
                https_get(port, client_context(pki, cert=cert))
    assert e.proc.poll() is None


def test_basic_auth_and_custom_headers(pki, exporter):
    pki.issue("server", "serverAuth")
    yaml = tls_yaml() + (f"basic_auth_users:\n  prom: {bcrypt_hash('prom', 'pa:ss word')}\n"
                         "http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
    e, port = start_tls_exporter(exporter, pki.dir, yaml)
    ctx = client_context(pki)
    good = "Basic " + base64.b64encode(b"prom:pa:ss word").decode()
    bad = "Basic " + base64.b64encode(b"prom:wrong").decode()
    for path in ("/metrics", "/"):
        for headers in ({}, {"Authorization": bad}):
            status, h, body, _ = https_get(port, ctx, path, headers)
            assert status == 401, f"{path} {headers}: {status}"
            assert h.get("WWW-Authenticate") == 'Basic realm="prometheus-slurm-exporter"'
            assert h.get("X-Frame-Options") == "deny"
            assert "slurm_up" not in body
    status, h, body, _ = https_get(port, ctx, "/metrics", {"Authorization": good})
    assert status == 200 and "slurm_up 1" in body
    assert h.get("X-Frame-Options") == "deny"
    assert "WWW-Authenticate" not in h
    log = e.log_text()
    assert "pa:ss word" not in log and good.split()[1] not in log and bad.split()[1] not in log


def test_certificate_rotation_under_continuous_scraping(pki, exporter):
    _, _, first = pki.issue("server", "serverAuth")
    e, port = start_tls_exporter(exporter, pki.dir, tls_yaml())
    ctx = client_context(pki)
    # A keep-alive connection opened before the rotation keeps working after it.
    kept = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=20)
    kept.request("GET", "/metrics")
    assert kept.getresponse().read() and int(kept.sock.getpeercert()["serialNumber"], 16) == first

    serials: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def scrape_loop():
        while not stop.is_set():
            try:
                status, _, _, serial = https_get(port, ctx)
                if status != 200:
                    failures.append(f"status {status}")
                serials.append(serial)
            except Exception as ex:  # noqa: BLE001 - every failure counts
                failures.append(repr(ex))

    t = threading.Thread(target=scrape_loop)
    t.start()
    try:
        time.sleep(1.5)
        # Renewal the way a timer does it: new files written beside, then renamed over the old.
        _, _, second = pki.issue("renewed", "serverAuth")
        os.replace(pki.dir / "renewed.crt", pki.dir / "server.crt")
        os.replace(pki.dir / "renewed.key", pki.dir / "server.key")
        wait_for(lambda: serials and serials[-1] == second, 10, "new connections to see the new certificate")
        time.sleep(1.5)
        # A broken certificate keeps the previous one and is logged once.
        (pki.dir / "server.crt").write_text("-----BEGIN CERTIFICATE-----\ngarbage\n")
        time.sleep(3)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not failures, f"{len(failures)} failed scrapes of {len(serials) + len(failures)}: {failures[:5]}"
    assert len(serials) > 20, f"only {len(serials)} scrapes"
    assert serials[0] == first and serials[-1] == second
    assert first in serials and second in serials
    kept.request("GET", "/metrics")
    r = kept.getresponse()
    assert r.status == 200 and r.read()
    kept.close()
    log = e.log()
    assert sum("reloaded TLS certificate" in l for l in log) >= 1
    broken = [l for l in log if "cannot reload TLS certificate" in l]
    assert len(broken) == 1, "\n".join(broken)
    assert "level=error" in broken[0]


@pytest.mark.parametrize("yaml, named", [
    ("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  bogus: 1\n",
     '{cfg}:4: unknown key "bogus" in tls_server_config'),
    ("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
     "cannot read cert_file {dir}/missing.crt: No such file or directory"),
    ("http_server_config:\n  headers:\n    Content-Type: x\n",
     '{cfg}:3: HTTP header "Content-Type" can not be configured'),
])
def test_a_bad_web_config_exits_2_with_one_clear_line(cluster, tmp_path, yaml, named):
    cfg = tmp_path / "web.yml"
    cfg.write_text(yaml)
    p = run_exporter([f"--web.config.file={cfg}", f"--slurm.conf={cluster.conf}",
                      "--web.listen-address=127.0.0.1:0"], env=cluster.env)
    assert p.returncode == 2, p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    named = named.format(cfg=cfg, dir=tmp_path)
    assert len(lines) == 1 and named in lines[0], p.stderr
