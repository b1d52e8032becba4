# SPDX-License-Identifier: GPL-2.0-or-later
"""/metrics with gzip against the real binary and cluster: a client that sends Accept-Encoding: gzip
gets the same text, compressed (Content-Encoding: gzip), as a client that does not; both get
Vary: Accept, Accept-Encoding; HEAD announces the length of the matching GET; a new snapshot is
compressed anew."""

from __future__ import annotations

import gzip
import http.client
import time

from harness import Scrape


def request(e, method: str = "GET", headers: dict[str, str] | None = None):
    host, port = e.address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, "/metrics", headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


GZIP = {"Accept-Encoding": "gzip"}


def test_gzip_and_identity_bodies_are_the_same_text(cluster, workload, exporter):
    # A long poll limit: every request below is served from one snapshot.
    e = exporter(extra_args=("--slurm.poll-limit=600",))
    status, plain_headers, plain = request(e)
    assert status == 200
    assert "content-encoding" not in plain_headers
    assert plain_headers.get("vary") == "Accept, Accept-Encoding"
    assert int(plain_headers["content-length"]) == len(plain)

    status, gz_headers, gz = request(e, headers=GZIP)
    assert status == 200
    assert gz_headers.get("content-encoding") == "gzip"
    assert gz_headers.get("vary") == "Accept, Accept-Encoding"
    assert gz_headers.get("content-type") == plain_headers.get("content-type")
    assert int(gz_headers["content-length"]) == len(gz)
    assert gz[:2] == b"\x1f\x8b", "not a gzip stream"
    assert len(gz) < len(plain) / 3, f"{len(gz)} compressed vs {len(plain)} plain bytes"
    assert gzip.decompress(gz) == plain

    # The text is the real thing, not an empty or error body.
    scrape = Scrape(plain.decode())
    assert scrape.value("slurm_up") == 1
    assert scrape.value("slurm_jobs_pending") is not None

    # A client that refuses gzip, or asks only for other codings, gets identity.
    for refuse in ("gzip;q=0", "br, deflate", "identity"):
        status, headers, body = request(e, headers={"Accept-Encoding": refuse})
        assert status == 200 and "content-encoding" not in headers, refuse
        assert body == plain, refuse


def test_head_announces_the_length_of_the_matching_get(cluster, exporter):
    e = exporter(extra_args=("--slurm.poll-limit=600",))
    _, _, plain = request(e)
    _, _, gz = request(e, headers=GZIP)
    status, headers, body = request(e, "HEAD", headers=GZIP)
    assert status == 200 and body == b""
    assert headers.get("content-encoding") == "gzip"
    assert headers.get("vary") == "Accept, Accept-Encoding"
    assert int(headers["content-length"]) == len(gz)
    status, headers, body = request(e, "HEAD")
    assert status == 200 and body == b""
    assert "content-encoding" not in headers
    assert int(headers["content-length"]) == len(plain)


def test_a_new_snapshot_is_compressed_anew(cluster, exporter):
    # Poll limit 1 s: each round below waits for a new snapshot, whose exporter families
    # (durations) differ from the previous one's.
    e = exporter(extra_args=("--slurm.poll-limit=1",))
    seen: list[bytes] = []
    for _ in range(3):
        time.sleep(1.2)
        for _attempt in range(5):
            _, headers, gz = request(e, headers=GZIP)
            _, _, plain = request(e)
            assert headers.get("content-encoding") == "gzip"
            text = gzip.decompress(gz)
            if text == plain:  # both from one snapshot (a poll may fall between the two)
                break
        else:
            raise AssertionError("gzip and identity bodies never matched within one snapshot")
        assert text not in seen, "a new snapshot was served from the old compressed body"
        seen.append(text)
        assert Scrape(text.decode()).value("slurm_up") == 1
