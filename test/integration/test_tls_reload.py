# SPDX-License-Identifier: GPL-2.0-or-later
"""SIGHUP reloads the whole --web.config.file the way smallstep's cert-renewer drives it
(`step ca renew` renames new files over the old, then `systemctl reload` sends SIGHUP): new
connections get the new certificate, a keep-alive connection opened before keeps working, a
client scraping every 100 ms sees no failure, and a broken file keeps the old config with one
clear error. Certificates are made at test time by the openssl CLI."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import ssl
import threading
import time
from pathlib import Path

import pytest

from harness import wait_for
from test_tls import HOST, Pki, bcrypt_hash, client_context, https_get, pki, tls_yaml  # noqa: F401


def renew_like_step(pki: Pki, key_text: str | None = None) -> int:
    """A new certificate (new serial) and key for server.crt/.key, written beside them and
    renamed over them, certificate first, as `step ca renew` does. `key_text` replaces the new
    key's content (a broken key). Returns the new serial."""
    _, _, serial = pki.issue("renewed", "serverAuth")
    if key_text is not None:
        (pki.dir / "renewed.key").write_text(key_text)
    os.replace(pki.dir / "renewed.crt", pki.dir / "server.crt")
    os.replace(pki.dir / "renewed.key", pki.dir / "server.key")
    return serial


class Scraper:
    """Scrapes /metrics on a fresh TLS connection every 100 ms on its own thread; records the
    server certificate's serial of every success and every failure."""

    def __init__(self, port: int, ctx: ssl.SSLContext, headers: dict[str, str] | None = None):
        self.port, self.ctx, self.headers = port, ctx, headers or {}
        self.serials: list[int] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                status, _, body, serial = https_get(self.port, self.ctx, headers=self.headers)
                if status != 200 or "slurm_up" not in body:
                    self.failures.append(f"status {status}")
                self.serials.append(serial)
            except Exception as ex:  # noqa: BLE001 - every failure counts
                self.failures.append(repr(ex))
            self._stop.wait(0.1)

    def __enter__(self) -> "Scraper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def report(self, what: str) -> str:
        total = len(self.serials) + len(self.failures)
        line = f"{what}: {total} scrapes, {len(self.failures)} failed"
        print(line)
        return line


def keep_alive(port: int, ctx: ssl.SSLContext, headers: dict[str, str] | None = None):
    """A connection with one answered request on it; returns it and its certificate serial."""
    conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=20)
    conn.request("GET", "/metrics", headers=headers or {})
    r = conn.getresponse()
    assert r.status == 200 and r.read()
    return conn, int(conn.sock.getpeercert()["serialNumber"], 16)


def ask(conn: http.client.HTTPSConnection, headers: dict[str, str] | None = None) -> int:
    conn.request("GET", "/metrics", headers=headers or {})
    r = conn.getresponse()
    r.read()
    return r.status


def start(exporter, d: Path, yaml: str):
    (d / "web.yml").write_text(yaml)
    e = exporter(extra_args=(f"--web.config.file={d / 'web.yml'}",))
    return e, int(e.address.rsplit(":", 1)[1])


def reload_and_wait(e, message: str) -> str:
    """SIGHUP as `systemctl reload` sends it; returns the log line `message` that answers it."""
    before = len(e.log())
    e.proc.send_signal(signal.SIGHUP)
    line = wait_for(lambda: next((l for l in e.log()[before:] if message in l), None), 10,
                    f"'{message}' after SIGHUP")
    assert e.proc.poll() is None, "SIGHUP ended the exporter"
    return line


def auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_sighup_serves_the_renewed_certificate_without_a_failed_scrape(pki, exporter):
    _, _, first = pki.issue("server", "serverAuth")
    e, port = start(exporter, pki.dir, tls_yaml())
    ctx = client_context(pki)
    kept, kept_serial = keep_alive(port, ctx)
    assert kept_serial == first
    with Scraper(port, ctx) as s:
        time.sleep(1)
        second = renew_like_step(pki)
        line = reload_and_wait(e, "reloaded web config")
        # Every connection made after the reload gets the new certificate at once (the
        # on-change check would wait for the files to settle first).
        assert https_get(port, ctx)[3] == second
        time.sleep(1)
    s.report("certificate renewal")
    assert f"file={pki.dir / 'web.yml'}" in line and "tls=true" in line
    assert not s.failures, f"{len(s.failures)} failed scrapes: {s.failures[:5]}"
    assert s.serials[0] == first and s.serials[-1] == second
    assert set(s.serials) == {first, second}
    # The keep-alive connection still works, on the certificate it was opened with.
    assert ask(kept) == 200 and int(kept.sock.getpeercert()["serialNumber"], 16) == first
    kept.close()


def test_a_broken_new_key_keeps_the_old_certificate_and_says_why(pki, exporter):
    _, _, first = pki.issue("server", "serverAuth")
    e, port = start(exporter, pki.dir, tls_yaml())
    ctx = client_context(pki)
    kept, _ = keep_alive(port, ctx)
    with Scraper(port, ctx) as s:
        time.sleep(1)
        renew_like_step(pki, key_text="-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
        line = reload_and_wait(e, "cannot reload web config")
        assert https_get(port, ctx)[3] == first
        time.sleep(1)
        # Fixed files and another SIGHUP: the new certificate is served.
        third = renew_like_step(pki)
        reload_and_wait(e, "reloaded web config")
        assert https_get(port, ctx)[3] == third
        time.sleep(0.5)
    s.report("broken key, then fixed")
    assert "level=error" in line
    assert f"file={pki.dir / 'web.yml'}" in line
    assert f"cannot load key_file {pki.dir / 'server.key'}" in line, line
    assert sum("cannot reload web config" in l for l in e.log()) == 1
    assert not s.failures, f"{len(s.failures)} failed scrapes: {s.failures[:5]}"
    assert s.serials[0] == first and s.serials[-1] == third
    assert ask(kept) == 200
    kept.close()


def test_sighup_applies_a_basic_auth_users_change(pki, exporter):
    pki.issue("server", "serverAuth")
    prom, old, new = (bcrypt_hash(u, f"{u}-pw") for u in ("prom", "old", "new"))
    e, port = start(exporter, pki.dir,
                    tls_yaml() + f"basic_auth_users:\n  prom: {prom}\n  old: {old}\n")
    ctx = client_context(pki)
    kept, _ = keep_alive(port, ctx, auth("prom", "prom-pw"))
    kept_old, _ = keep_alive(port, ctx, auth("old", "old-pw"))
    assert https_get(port, ctx, headers=auth("new", "new-pw"))[0] == 401
    with Scraper(port, ctx, auth("prom", "prom-pw")) as s:
        time.sleep(1)
        tmp = pki.dir / "web.yml.tmp"
        tmp.write_text(tls_yaml() + f"basic_auth_users:\n  prom: {prom}\n  new: {new}\n")
        os.replace(tmp, pki.dir / "web.yml")
        line = reload_and_wait(e, "reloaded web config")
        assert https_get(port, ctx, headers=auth("new", "new-pw"))[0] == 200
        assert https_get(port, ctx, headers=auth("old", "old-pw"))[0] == 401
        time.sleep(1)
    s.report("basic-auth users change")
    assert "basic_auth_users=2" in line
    assert not s.failures, f"{len(s.failures)} failed scrapes: {s.failures[:5]}"
    assert len(s.serials) > 10
    # Open connections stay open; each request is checked against the users now configured.
    assert ask(kept, auth("prom", "prom-pw")) == 200
    assert ask(kept_old, auth("old", "old-pw")) == 401
    kept.close()
    kept_old.close()


def test_a_broken_web_config_keeps_the_old_users(pki, exporter):
    pki.issue("server", "serverAuth")
    prom = bcrypt_hash("prom", "prom-pw")
    e, port = start(exporter, pki.dir, tls_yaml() + f"basic_auth_users:\n  prom: {prom}\n")
    ctx = client_context(pki)
    (pki.dir / "web.yml").write_text(tls_yaml() + "basic_auth_users:\n  prom: [\n")
    line = reload_and_wait(e, "cannot reload web config")
    assert f"file={pki.dir / 'web.yml'}" in line and f"{pki.dir / 'web.yml'}:" in line.split("err=")[1]
    assert https_get(port, ctx, headers=auth("prom", "prom-pw"))[0] == 200
    assert https_get(port, ctx)[0] == 401


def sighup_handled(pid: int) -> bool:
    """Whether the process ignores or catches SIGHUP (bit 0 of SigIgn/SigCgt): no process can do
    that before its main() runs, so the test waits for it instead of racing the loader."""
    fields = dict(l.split(":\t", 1) for l in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":\t" in l)
    return bool((int(fields["SigIgn"], 16) | int(fields["SigCgt"], 16)) & 1)


def test_sighup_never_kills_also_at_start_and_without_a_web_config(exporter):
    e = exporter(wait=False)
    wait_for(lambda: sighup_handled(e.proc.pid), 10, "main() to ignore SIGHUP", interval=0.001)
    # From the start of main() until the listener is up, and after.
    sent = 0
    while not any("msg=listening" in l for l in e.log()) and e.proc.poll() is None:
        e.proc.send_signal(signal.SIGHUP)
        sent += 1
        time.sleep(0.01)
    print(f"SIGHUPs during start-up: {sent}")
    assert e.proc.poll() is None, f"SIGHUP during start-up ended the exporter:\n{e.log_text()}"
    e.wait_listening(timeout=20)
    reload_and_wait(e, "nothing to reload")
    assert e.proc.poll() is None
    assert e.get()[0] == 200
