# SPDX-License-Identifier: GPL-2.0-or-later
"""A malformed slurm.conf: at start it is a clear error and exit 2 (libslurm's slurm_init would
exit the process itself, so a forked child parses it first); one that becomes bad while the
exporter runs, and an `scontrol reconfigure` meanwhile, never end the running exporter."""

from __future__ import annotations

import time

import pytest

from harness import (POLL_LIMIT, Exporter, exporter_args, exporter_binary, sanitizer_report,
                     wait_for)

BAD_LINE = "NoSuchSlurmKey=1\n"


def private_conf(cluster, name: str) -> "Path":
    conf = cluster.dir / f"slurm-{name}.conf"
    conf.write_text(cluster.conf.read_text())
    return conf


def args_with_conf(cluster, conf, backend: str) -> list[str]:
    return [a if not a.startswith("--slurm.conf=") else f"--slurm.conf={conf}"
            for a in exporter_args(cluster, extra=(f"--backend={backend}",))]


def test_a_malformed_slurm_conf_at_start_is_exit_2_naming_it(cluster):
    conf = private_conf(cluster, "bad-at-start")
    conf.write_text(conf.read_text() + BAD_LINE)
    e = Exporter(exporter_binary(), args_with_conf(cluster, conf, "libslurm"),
                 dict(cluster.env, SLURM_CONF=str(conf)))
    try:
        rc = e.wait_exit(30)
        time.sleep(0.2)  # let the pumps drain
        log = e.log_text()
        assert rc == 2, f"exit {rc}:\n{log}"
        assert f"Slurm configuration {conf} is not valid" in log, log
        assert "NoSuchSlurmKey" in log, log
        assert not sanitizer_report(e.log()), log
    finally:
        e.stop()


@pytest.mark.parametrize("backend", ("libslurm", "cli"))
def test_slurm_conf_turning_bad_while_running_never_ends_the_exporter(cluster, backend):
    conf = private_conf(cluster, f"turns-bad-{backend}")
    good = conf.read_text()
    e = Exporter(exporter_binary(), args_with_conf(cluster, conf, backend),
                 dict(cluster.env, SLURM_CONF=str(conf)))
    try:
        e.wait_listening()
        assert e.scrape().value("slurm_up") == 1
        conf.write_text(good + BAD_LINE)  # an admin's bad edit
        cluster.run(["scontrol", "reconfigure"])  # with the cluster's own (good) file
        # libslurm read the file once at start; sinfo reads it at every run and fails.
        expected = 1 if backend == "libslurm" else 0
        wait_for(lambda: e.scrape().value("slurm_up") == expected, 30,
                 f"{backend}: slurm_up {expected} with the bad file", interval=POLL_LIMIT + 0.2)
        for _ in range(3):
            time.sleep(POLL_LIMIT + 0.2)
            s = e.scrape()
            assert e.proc.poll() is None, f"{backend}: exited:\n{e.log_text()}"
            assert s.value("slurm_up") == expected, e.log_text()
        conf.write_text(good)
        deadline = time.monotonic() + 30
        while e.scrape().value("slurm_up") != 1 and time.monotonic() < deadline:
            time.sleep(POLL_LIMIT + 0.2)
        assert e.scrape().value("slurm_up") == 1
        assert e.proc.poll() is None
    finally:
        e.stop()
    assert e.proc.returncode == 0, e.log_text()
    assert not sanitizer_report(e.log()), e.log_text()
