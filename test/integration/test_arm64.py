# SPDX-License-Identifier: GPL-2.0-or-later
"""The arm64 exporter (cross-built by `scripts/build-deb.sh --arch arm64`), run under
qemu-aarch64-static against the live cluster, serves the same families and values as the amd64
exporter, on both backends: a differential run like test_backends.py's, with its comparison.

The arm64 binary comes from ARM64_DEB (the package: its /usr/bin/prometheus-slurm-exporter) or
ARM64_EXPORTER_BIN; without either the tests are skipped (scripts/test.sh gives ARM64_DEB).
qemu runs it with -L on the sysroot of Debian's arm64 packages (SLURM_EXPORTER_SYSROOT, else the
one scripts/arm64-sysroot.sh has cached), which also holds the arm64 Slurm plugins libslurm loads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import POLL_LIMIT, PROJECT_ROOT, Exporter, Scrape, exporter_args, exporter_binary
from test_backends import AGES, WAITS, identical_scrapes

EM_AARCH64 = 183  # e_machine of an ELF file for arm64
QEMU = "qemu-aarch64-static"

# Checked before any fixture, so that no cluster is started for nothing.
pytestmark = pytest.mark.skipif(
    not (os.environ.get("ARM64_DEB") or os.environ.get("ARM64_EXPORTER_BIN")),
    reason="no arm64 exporter given: set ARM64_DEB to the .deb of `scripts/build-deb.sh --arch "
           "arm64` (or ARM64_EXPORTER_BIN to a binary); scripts/test.sh does")


def elf_machine(path: Path) -> int:
    with open(path, "rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


@pytest.fixture(scope="module")
def arm64_binary():
    """The arm64 exporter: from the package (ARM64_DEB) or as a file (ARM64_EXPORTER_BIN)."""
    deb, binary = os.environ.get("ARM64_DEB"), os.environ.get("ARM64_EXPORTER_BIN")
    scratch = None
    if deb:
        scratch = Path(tempfile.mkdtemp(prefix="arm64-deb-"))
        subprocess.run(["dpkg-deb", "-x", deb, str(scratch)], check=True, timeout=60)
        binary = str(scratch / "usr/bin/prometheus-slurm-exporter")
    path = Path(binary)
    assert path.is_file() and os.access(path, os.X_OK), f"not an executable: {path}"
    assert elf_machine(path) == EM_AARCH64, f"{path} is not an aarch64 binary"
    try:
        yield path
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def qemu_prefix(arm64_binary) -> list[str]:
    """qemu-aarch64-static -L <the sysroot's root>: runs arm64 programs without binfmt_misc."""
    qemu = shutil.which(QEMU)
    assert qemu, f"{QEMU} not found (apt-get install qemu-user-static; scripts/install-deps.sh)"
    sysroot = os.environ.get("SLURM_EXPORTER_SYSROOT")
    if not sysroot:
        p = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "arm64-sysroot.sh")],
                           env={**os.environ, "ARM64_SYSROOT_OFFLINE": "1"},
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"no arm64 sysroot: {p.stderr}"
        sysroot = p.stdout.strip().splitlines()[-1]
    root = Path(sysroot) / "root"
    assert (root / "usr/lib/aarch64-linux-gnu/slurm-wlm/auth_munge.so").is_file(), \
        f"{root} has no arm64 Slurm plugins (scripts/arm64-sysroot.sh makes it)"
    return [qemu, "-L", str(root)]


def start(cmd: list[str], cluster, *extra: str) -> Exporter:
    e = Exporter(cmd[0], [*cmd[1:], *exporter_args(cluster, extra=extra)], cluster.env)
    e.wait_listening(timeout=60)
    return e


@pytest.fixture(params=["libslurm", "cli"])
def pair(request, cluster, workload, arm64_binary, qemu_prefix):
    """The amd64 and the arm64 exporter on one backend, both with the opt-in node collector."""
    extra = (f"--backend={request.param}", "--collector.node")
    amd64 = start([exporter_binary()], cluster, *extra)
    try:
        arm64 = start([*qemu_prefix, str(arm64_binary)], cluster, *extra)
    except BaseException:
        amd64.stop()
        raise
    try:
        yield request.param, amd64, arm64
    finally:
        arm64.stop()
        amd64.stop()


def test_arm64_under_qemu_serves_what_amd64_serves(cluster, pair):
    backend, amd64, arm64 = pair
    # The arm64 process really is qemu running the aarch64 binary.
    assert Path(os.readlink(f"/proc/{arm64.proc.pid}/exe")).name == QEMU
    a, b, la = identical_scrapes(cluster, amd64, arm64, ("amd64", "arm64"), timeout=60)
    sa, sb = Scrape(a), Scrape(b)
    # Ages and the wait histogram's sums move with each exporter's poll time: within a poll.
    for fam in AGES:
        ages_a, ages_b = sa.get(fam), sb.get(fam)
        assert ages_a and ages_a.keys() == ages_b.keys(), (ages_a, ages_b)
        for k, v in ages_a.items():
            assert abs(v - ages_b[k]) <= POLL_LIMIT + 5, (fam, k, v, ages_b[k])
    counts = sa.get("slurm_pending_job_wait_seconds_count")
    assert counts and any(counts.values()), counts
    sums_a, sums_b = sa.get(WAITS[0]), sb.get(WAITS[0])
    for k, n in counts.items():
        assert abs(sums_a[k] - sums_b[k]) <= n * (POLL_LIMIT + 5), (k, sums_a[k], sums_b[k])
    # Same version; the build info differs only where it must.
    info_a, info_b = sa.get("slurm_exporter_build_info"), sb.get("slurm_exporter_build_info")
    assert info_a and info_b
    version = lambda info: {dict(k).get("version") for k in info}
    assert version(info_a) == version(info_b)
    # The comparison covered the real thing: the workload's values, on the asked-for backend.
    assert "slurm_up 1" in la
    assert any(l.startswith("slurm_jobs_running ") and not l.endswith(" 0") for l in la)
    assert any(l.startswith("slurm_node_info{") for l in la)
    assert 'slurm_license_used{license="matlab"} 4' in la
    assert f'backend="{backend}"' in a and f'backend="{backend}"' in b
