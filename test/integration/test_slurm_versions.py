# SPDX-License-Identifier: GPL-2.0-or-later
"""The exporter on a Slurm release other than Debian's (SLURM_PREFIX=/opt/slurm/<version>, built by
scripts/build-slurm.sh): build_info names the release on both backends, and an exporter built
against an older libslurm (EXPORTER_BIN_OLD, e.g. Debian's 22.05 build) that slurmctld no longer
serves says "version mismatch" in one log line and serves slurm_up 0. Skipped without
SLURM_PREFIX."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import SLURM_PREFIX, Exporter, exporter_args, exporter_binary, wait_for

pytestmark = pytest.mark.skipif(not SLURM_PREFIX, reason="SLURM_PREFIX is not set")


def release_of_prefix() -> str:
    """The release in SLURM_PREFIX, from its slurm_version.h (sinfo --version may want a
    slurm.conf first: 25.05+ try a configless DNS lookup without one)."""
    text = (Path(SLURM_PREFIX) / "include/slurm/slurm_version.h").read_text()
    m = re.search(r"#define SLURM_VERSION_NUMBER 0x([0-9a-fA-F]{6})", text)
    assert m, text
    n = int(m.group(1), 16)
    return f"{n >> 16}.{(n >> 8) & 0xff:02d}.{n & 0xff}"


@pytest.mark.parametrize("backend", ["libslurm", "cli"])
def test_build_info_names_the_release(cluster, exporter, backend):
    e = exporter(("--backend=cli",) if backend == "cli" else ())
    version = release_of_prefix()

    def info():
        s = e.scrape()
        return s.value("slurm_up") == 1 and s.get("slurm_exporter_build_info")

    got = wait_for(info, 30, "slurm_up 1 and build_info")
    labels = [dict(k) for k in got]
    assert labels and labels[0]["slurm_version"] == version, labels
    if backend == "libslurm":
        # The controller's release is logged once it answered.
        wait_for(lambda: "Slurm versions" in e.log_text(), 30, "the 'Slurm versions' log line")
        assert f"slurmctld={version}" in e.log_text()


def test_an_old_libslurm_says_version_mismatch(cluster):
    old = os.environ.get("EXPORTER_BIN_OLD", "")
    if not old:
        pytest.skip("EXPORTER_BIN_OLD (an exporter built against an older libslurm) is not set")
    if int(release_of_prefix().split(".")[0]) < 24:
        pytest.skip("slurmctld before 24.11 still serves 22.05 clients")
    conf = cluster.conf.read_text()
    if "MetricsType=" in conf:
        pytest.skip("a pre-25.11 client cannot read a slurm.conf with MetricsType")
    e = Exporter(old, exporter_args(cluster), cluster.env)
    try:
        e.wait_listening(timeout=30)
        try:
            # The exporter polls when scraped.
            wait_for(lambda: e.get(timeout=30)[0] and "version mismatch" in e.log_text(), 60,
                     "a version mismatch log line")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nexporter log:\n{e.log_text()[-3000:]}") from None
        s = e.scrape()
        assert s.value("slurm_up") == 0
        lines = [line for line in e.log() if 'msg="version mismatch"' in line]
        assert len(lines) == 1, lines
        assert "build the exporter against the controller's Slurm release" in lines[0]
    finally:
        e.stop()


def test_old_commands_say_version_mismatch(cluster):
    """The cli backend running Debian's 22.05 commands against a slurmctld that no longer serves
    them (24.11 and newer) names the cause instead of only 'no SlurmctldHost answered'."""
    if not os.access("/usr/bin/sinfo", os.X_OK) or SLURM_PREFIX.rstrip("/") == "/usr":
        pytest.skip("no second set of Slurm commands in /usr/bin")
    # With the cluster's SLURM_CONF: without a slurm.conf 22.05's sinfo tries a configless DNS
    # lookup and prints no version, which would skip this test on every release.
    done = subprocess.run(["/usr/bin/sinfo", "--version"], env=cluster.env, capture_output=True,
                          text=True)
    old = done.stdout
    assert done.returncode == 0 and old, f"/usr/bin/sinfo --version failed: {done.stderr}"
    new = release_of_prefix()
    # Debian's sinfo says "slurm-wlm 22.05.8", SchedMD's "slurm 22.05.8".
    if not re.match(r"slurm(-wlm)? 22\.", old) or int(new.split(".")[0]) < 24:
        pytest.skip(f"{old.strip()} may still talk to slurmctld {new}")
    if "MetricsType=" in cluster.conf.read_text():
        pytest.skip("a pre-25.11 client cannot read a slurm.conf with MetricsType")
    args = [a for a in exporter_args(cluster) if not a.startswith("--slurm.bin-dir")]
    e = Exporter(exporter_binary(), [*args, "--backend=cli", "--slurm.bin-dir=/usr/bin"],
                 cluster.env)
    try:
        e.wait_listening(timeout=30)
        try:
            # The exporter polls when scraped.
            wait_for(lambda: e.get(timeout=30)[0] and "version mismatch" in e.log_text(), 60,
                     "a version mismatch log line")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nexporter log:\n{e.log_text()[-3000:]}") from None
        assert e.scrape().value("slurm_up") == 0
        lines = [line for line in e.log() if 'msg="version mismatch"' in line]
        assert len(lines) == 1, lines
        # 26.05 answers HTTP (read as "Insane message length"), 24.11 and 25.05 in their own
        # protocol (which 22.05's commands reject: "Incompatible versions").
        assert "22.05" in lines[0], lines[0]
        assert re.search("Insane message length|Incompatible versions", lines[0]), lines[0]
    finally:
        e.stop()
