#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The accounting benchmark (issue 21): the cost per poll of the fairshare, limits, qos and
slurmdbd collectors on a big association tree. Run by hand as root (not part of the test suite),
under the cluster lock when others run tests:

  flock -o /tmp/se-cluster.lock /usr/bin/python3 scripts/bench-accounting.py \
      [--accounts 200] [--users 10] [--runs 15] [--build build] [--keep]

It starts the accounting cluster of scripts/slurm-cluster.sh (SLURM_TEST_ACCOUNTING=1: MariaDB,
slurmdbd, the test tree), adds ACCOUNTS accounts (under physics and chem, each with GrpTRES, GrpJobs
and GrpSubmit limits) and USERS users in every one of them (ACCOUNTS x USERS user associations),
waits until slurmctld's association manager has them, then measures, as medians over RUNS:
the Slurm commands the CLI backend runs (and rivosinc's `sacctmgr show assoc`) timed alone, and
each accounting collector's slurm_exporter_collector_duration_seconds (its load included) on both
backends with every accounting collector on, plus the number of series each one exports."""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTORS = ("fairshare", "fairshare_users", "limits", "limits_users", "qos", "slurmdbd")


def free_block(count: int) -> int:
    for base in range(29817, 60000, 64):
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    sys.exit("bench-accounting: no free port block")


def timed(env: dict, argv: list[str], runs: int) -> float:
    """Median wall seconds of running argv (its output read and dropped)."""
    times = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t)
    return statistics.median(times)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
        return r.read().decode()


def collector_values(text: str, family: str) -> dict[str, float]:
    out = {}
    for m in re.finditer(rf'^{family}{{collector="([^"]+)"}} (\S+)$', text, re.M):
        out[m.group(1)] = float(m.group(2))
    return out


# The families each collector exports (prefixes), to count its series.
SERIES = {
    "fairshare": ("slurm_fairshare_account_", "slurm_account_fairshare"),
    "fairshare_users": ("slurm_fairshare_user_",),
    "limits": ("slurm_assoc_", "slurm_account_cpu_limit", "slurm_account_mem_limit",
               "slurm_account_job_alloc_limit", "slurm_account_job_limit"),
    "limits_users": ("slurm_user_assoc_",),
    "qos": ("slurm_qos_",),
    "slurmdbd": ("slurm_slurmdbd_",),
}


def series(text: str, prefixes: tuple[str, ...]) -> int:
    return sum(1 for line in text.splitlines()
               if line and not line.startswith("#") and line.startswith(prefixes))


def family_counts(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[{ ]", line, maxsplit=1)[0]
            if name.startswith(tuple(p for ps in SERIES.values() for p in ps)):
                out[name] = out.get(name, 0) + 1
    return out


def report_differences(texts: dict[str, str]) -> None:
    """The accounting families whose series counts differ between the backends."""
    a, b = (family_counts(t) for t in texts.values())
    diff = {f: (a.get(f, 0), b.get(f, 0)) for f in sorted(set(a) | set(b))
            if a.get(f, 0) != b.get(f, 0)}
    print(f"series per family, {' vs '.join(texts)}: "
          f"{diff if diff else 'the same in every accounting family'}", flush=True)
    if diff:
        names = list(texts)
        lines = [{ln.rsplit(" ", 1)[0]: ln for ln in t.splitlines()
                  if ln and not ln.startswith("#") and re.split(r"[{ ]", ln, maxsplit=1)[0] in diff}
                 for t in texts.values()]
        for i, j in ((0, 1), (1, 0)):
            only = [lines[i][k] for k in lines[i] if k not in lines[j]][:5]
            print(f"  only {names[i]} (first 5): {only}", flush=True)


def measure_exporter(binary: str, conf: Path, backend: str, runs: int) -> dict:
    port = free_block(1)
    args = [binary, f"--web.listen-address=127.0.0.1:{port}", f"--slurm.conf={conf}",
            "--slurm.poll-limit=1", f"--backend={backend}", "--slurm.cli-timeout=60",
            *(f"--collector.{c}" for c in COLLECTORS)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                text = scrape(port)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"bench-accounting: exporter ({backend}) did not serve")
                time.sleep(0.2)
        durations = {c: [] for c in COLLECTORS}
        for _ in range(runs):
            time.sleep(1.1)  # past the poll limit: every scrape is a fresh poll
            text = scrape(port)
            ok = collector_values(text, "slurm_exporter_collector_success")
            for c in COLLECTORS:
                if ok.get(c) != 1:
                    raise SystemExit(f"bench-accounting: {backend} collector {c} success "
                                     f"{ok.get(c)}")
            d = collector_values(text, "slurm_exporter_collector_duration_seconds")
            for c in COLLECTORS:
                durations[c].append(d[c])
        return {"durations": {c: statistics.median(v) for c, v in durations.items()},
                "series": {c: series(text, p) for c, p in SERIES.items()},
                "bytes": len(text.encode()), "text": text}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--recheck", type=int, default=0,
                    help="seconds to wait, then compare the backends' series again (after "
                         "slurmctld's next PriorityCalcPeriod)")
    a = ap.parse_args()
    binary = str(Path(a.build) / "prometheus-slurm-exporter")
    cluster = Path(tempfile.mkdtemp(prefix="slurm-bench-acct-"))
    env = dict(os.environ, SLURM_TEST_ACCOUNTING="1",
               SLURM_TEST_PORT_BASE=str(free_block(32)), SLURM_CONF=str(cluster / "slurm.conf"))
    script = str(ROOT / "scripts" / "slurm-cluster.sh")
    t = time.monotonic()
    subprocess.run(["bash", script, "start", str(cluster)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"accounting cluster up in {time.monotonic() - t:.0f} s ({cluster})", flush=True)
    try:
        half = a.accounts // 2
        accounts = [f"ba{i:05d}" for i in range(a.accounts)]
        users = [f"bu{i:05d}" for i in range(a.users)]
        t = time.monotonic()
        for parent, names in (("physics", accounts[:half]), ("chem", accounts[half:])):
            for i in range(0, len(names), 100):
                subprocess.run(["sacctmgr", "-i", "add", "account", ",".join(names[i:i + 100]),
                                f"Parent={parent}", "Fairshare=10",
                                "GrpTRES=cpu=64,mem=128000M", "GrpJobs=20", "GrpSubmit=100",
                                "MaxJobs=10"],
                               env=env, check=True, stdout=subprocess.DEVNULL)
        for i in range(0, len(accounts), 50):
            subprocess.run(["sacctmgr", "-i", "add", "user", ",".join(users),
                            "Account=" + ",".join(accounts[i:i + 50]), "MaxJobs=4"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        want = a.accounts * a.users
        deadline = time.monotonic() + 600
        while True:
            out = subprocess.run(["scontrol", "show", "assoc_mgr", "flags=assoc"], env=env,
                                 check=True, capture_output=True, text=True).stdout
            have = len(re.findall(r"UserName=bu\d", out))
            if have >= want:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"bench-accounting: assoc_mgr has {have} of {want}")
            time.sleep(2)
        total = len(re.findall(r"^ClusterName=", out, re.M))
        print(f"tree: {a.accounts} accounts x {a.users} users = {want} new user associations, "
              f"{total} associations in slurmctld's assoc_mgr; built in "
              f"{time.monotonic() - t:.0f} s", flush=True)
        cmds = {
            "sshare -a -n -P -o Account,User,RawShares,NormShares,RawUsage,NormUsage,"
            "EffectvUsage,FairShare,LevelFS":
                ["sshare", "-a", "-n", "-P", "-o", "Account,User,RawShares,NormShares,RawUsage,"
                 "NormUsage,EffectvUsage,FairShare,LevelFS"],
            "scontrol show assoc_mgr flags=assoc,qos":
                ["scontrol", "show", "assoc_mgr", "flags=assoc,qos"],
            "sacctmgr show stats": ["sacctmgr", "show", "stats"],
            "sacctmgr -P -n show assoc (rivosinc)":
                ["sacctmgr", "-P", "-n", "show", "assoc",
                 "format=Account,User,GrpCPU,GrpMem,GrpJobs,GrpSubmit"],
        }
        for name, argv in cmds.items():
            print(f"command {name}: {timed(env, argv, max(3, a.runs // 3)) * 1000:.1f} ms",
                  flush=True)
        texts = {}
        for backend in ("libslurm", "cli"):
            r = measure_exporter(binary, cluster / "slurm.conf", backend, a.runs)
            texts[backend] = r["text"]
            print(f"{backend}: exposition {r['bytes']} bytes", flush=True)
            for c in COLLECTORS:
                print(f"  {c:16} {r['durations'][c] * 1000:8.1f} ms  {r['series'][c]:7} series",
                      flush=True)
        report_differences(texts)
        if a.recheck:
            time.sleep(a.recheck)
            texts = {b: measure_exporter(binary, cluster / "slurm.conf", b, 1)["text"]
                     for b in ("libslurm", "cli")}
            print(f"after {a.recheck} s more:", end=" ")
            report_differences(texts)
    finally:
        if not a.keep:
            subprocess.run(["bash", script, "stop", str(cluster), "--purge"], env=env,
                           stdout=subprocess.DEVNULL)
            shutil.rmtree(cluster, ignore_errors=True)


if __name__ == "__main__":
    main()
