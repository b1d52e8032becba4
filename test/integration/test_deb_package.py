# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package from .deb to a Prometheus target that is up with correct values, all through
the package's own files: scripts/build-deb.sh builds it (lintian must report no errors), dpkg
installs it (user, files, permissions, conffile, enabled unit), `systemd-analyze verify/security`
check the unit, the installed binary runs as slurm-exporter with the default file's ARGS against
the test cluster (and a second one against the accounting cluster, for the accounting
queries), Debian's Prometheus scrapes them with the shipped scrape config (file_sd) and
rules, every PromQL expression of the shipped Grafana dashboard runs against that Prometheus,
an upgrade keeps an edited conffile and a purge leaves nothing behind.

Runs as root (dpkg). DEB_PACKAGE=path/to/prometheus-slurm-exporter_*.deb skips the build (handy
while iterating); ctest builds it. Systemd is not PID 1 here, so the unit is checked offline and
the binary is started directly, with setpriv dropping to the unit's user.
"""

from __future__ import annotations

import json
import grp
import os
import pwd
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from harness import PROJECT_ROOT, Exporter, Scrape, distinct_nodes, free_port, wait_for

PACKAGE = "prometheus-slurm-exporter"
USER = "slurm-exporter"
SHARE = Path("/usr/share/prometheus-slurm-exporter")
DEFAULT_FILE = Path("/etc/default/prometheus-slurm-exporter")
UNIT = Path("/lib/systemd/system/prometheus-slurm-exporter.service")
UNIT_LINK = Path("/etc/systemd/system/multi-user.target.wants/prometheus-slurm-exporter.service")
# Alias=slurm-exporter.service: the name admins and cert-renewer@slurm-exporter use.
ALIAS_LINK = Path("/etc/systemd/system/slurm-exporter.service")
EXAMPLES = Path("/usr/share/doc/prometheus-slurm-exporter/examples")
BINARY = Path("/usr/bin/prometheus-slurm-exporter")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

# Families the dashboard and the rules use that the exporter does not export yet (issues 4 and 5
# add them). A dashboard expression may return no data only if it uses one of these; the test
# fails if one of them IS exported, so this list must shrink as they land.
NOT_YET_EXPORTED: set[str] = set()  # every family the files use is exported


def run(cmd: list[str], check: bool = True, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def installed_version() -> str | None:
    p = run(["dpkg-query", "-W", "-f=${Status} ${Version}", PACKAGE], check=False)
    if p.returncode != 0 or not p.stdout.startswith("install ok installed"):
        return None
    return p.stdout.split()[-1]


def purge() -> None:
    if run(["dpkg-query", "-W", PACKAGE], check=False).returncode == 0:
        run(["dpkg", "--purge", PACKAGE])


def api(port: int, path: str, **params: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            doc = json.load(r)
    except urllib.error.HTTPError as e:  # a bad query answers 400 with a JSON error
        doc = json.load(e)
    return doc


# --------------------------------------------------------------------------------------- fixtures


class Build:
    def __init__(self, deb: Path, lintian: str):
        self.deb = deb
        self.lintian = lintian


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    """The .deb from scripts/build-deb.sh (or DEB_PACKAGE) and what lintian said about it."""
    if os.environ.get("DEB_PACKAGE"):
        deb = Path(os.environ["DEB_PACKAGE"])
        lintian = run(["lintian", "--allow-root", "--info", str(deb)], check=False,
                      timeout=600).stdout
        return Build(deb, lintian)
    out = tmp_path_factory.mktemp("deb")
    p = run(["bash", str(PROJECT_ROOT / "scripts" / "build-deb.sh")], check=False, timeout=1500,
            env={**os.environ, "OUT_DIR": str(out)})
    assert p.returncode == 0, f"build-deb.sh failed:\n{p.stdout}\n{p.stderr}"
    deb = Path(p.stdout.strip().splitlines()[-1])
    assert deb.is_file() and deb.parent == out, p.stdout
    return Build(deb, (out / "lintian.txt").read_text())


@pytest.fixture(scope="module")
def package(build):
    """The package installed by dpkg -i on a machine that had neither it nor its user; purged at
    the end whatever happens."""
    purge()  # a leftover of an interrupted run
    assert run(["getent", "passwd", USER], check=False).returncode != 0, \
        f"user {USER} exists before the package is installed"
    run(["dpkg", "-i", str(build.deb)], timeout=300)
    yield build
    purge()


class Stack:
    """The installed exporter (as slurm-exporter, the default file's ARGS) and Prometheus with
    the shipped configuration and rules."""

    def __init__(self):
        self.exporter: Exporter | None = None
        self.exporter_port = 0
        # The same installed exporter against the accounting cluster (slurmdbd), so that the
        # dashboard's and the rules' accounting queries have data too.
        self.accounting: Exporter | None = None
        self.accounting_port = 0
        self.prometheus: subprocess.Popen | None = None
        self.prom_port = 0
        self.config = ""

    def stop(self):
        if self.prometheus and self.prometheus.poll() is None:
            self.prometheus.kill()
            self.prometheus.wait(timeout=10)
        if self.exporter:
            self.exporter.stop()
        if self.accounting:
            self.accounting.stop()


def default_args() -> list[str]:
    """ARGS of the default file, split as systemd splits an unquoted $ARGS (on whitespace)."""
    env = run(["bash", "-c", 'set -a; . "$1"; printf %s "$ARGS"', "bash", str(DEFAULT_FILE)])
    return env.stdout.split()


def readable_by_user(path: Path) -> None:
    """The cluster's temp dir is private to root: let slurm-exporter read slurm.conf, as it can
    read /etc/slurm/slurm.conf on a controller."""
    for d in [path.parent, *path.parent.parents]:
        if d == Path("/"):
            break
        d.chmod((d.stat().st_mode & 0o7777) | 0o005)
    path.chmod((path.stat().st_mode & 0o7777) | 0o044)


@pytest.fixture(scope="module")
def stack(package, cluster, workload, accounting_cluster, tmp_path_factory):
    s = Stack()
    tmp = tmp_path_factory.mktemp("stack")
    try:
        readable_by_user(cluster.conf)
        s.exporter_port = free_port()
        # The default file's ARGS, then only the listen address moved to loopback and a free port
        # (the last value of a flag wins); SLURM_CONF as the default file documents it.
        args = ["--reuid", USER, "--regid", USER, "--init-groups", "--no-new-privs",
                "--bounding-set=-all", "--", str(BINARY), *default_args(),
                f"-web.listen-address=127.0.0.1:{s.exporter_port}"]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SLURM_CONF": str(cluster.conf)}
        s.exporter = Exporter("/usr/bin/setpriv", args, env)
        s.exporter.wait_listening(timeout=30)
        readable_by_user(accounting_cluster.conf)
        s.accounting_port = free_port()
        acct_args = [*args, "--collector.slurmdbd",
                     f"-web.listen-address=127.0.0.1:{s.accounting_port}"]
        s.accounting = Exporter("/usr/bin/setpriv", acct_args,
                                {**env, "SLURM_CONF": str(accounting_cluster.conf)})
        s.accounting.wait_listening(timeout=30)

        # The shipped Prometheus configuration, only its /etc paths and intervals changed.
        cfg = yaml.safe_load((SHARE / "prometheus.yml").read_text())
        (tmp / "rules").mkdir()
        (tmp / "file_sd").mkdir()
        rule_files = []
        for f in cfg["rule_files"]:
            copy = tmp / "rules" / Path(f).name
            shutil.copy(SHARE / Path(f).name, copy)
            rule_files.append(str(copy))
        cfg["rule_files"] = rule_files
        cfg["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
        (job,) = [j for j in cfg["scrape_configs"] if j["job_name"] == "slurm"]
        job.update(scrape_interval="1s", scrape_timeout="1s")
        (sd,) = job["file_sd_configs"]
        assert sd["files"] == ["/etc/prometheus/file_sd/slurm_targets.yaml"], sd
        sd["files"] = [str(tmp / "file_sd" / "slurm_targets.yaml")]
        # The shipped targets example with its first controller pointed at our exporter.
        targets = yaml.safe_load((SHARE / "slurm_targets.yaml").read_text())
        first = targets[0]
        first["targets"] = [f"127.0.0.1:{s.exporter_port}"]
        first["labels"]["instance"] = f"127.0.0.1:{s.exporter_port}"
        second = {"targets": [f"127.0.0.1:{s.accounting_port}"],
                  "labels": {**first["labels"], "instance": f"127.0.0.1:{s.accounting_port}",
                             "cluster": "accounting"}}
        (tmp / "file_sd" / "slurm_targets.yaml").write_text(yaml.safe_dump([first, second]))
        config = tmp / "prometheus.yml"
        config.write_text(yaml.safe_dump(cfg))
        s.config = str(config)
        run(["promtool", "check", "config", str(config)], timeout=60)

        s.prom_port = free_port()
        log = open(tmp / "prometheus.log", "w")
        s.prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{s.prom_port}"],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp)

        def ready():
            assert s.prometheus.poll() is None, \
                "prometheus exited:\n" + (tmp / "prometheus.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{s.prom_port}/-/ready",
                                            timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(ready, 60, "prometheus to be ready")
        yield s
    finally:
        s.stop()


# ------------------------------------------------------------------------------------------ tests


def test_lintian_reports_no_errors(build):
    tags = [line for line in build.lintian.splitlines() if re.match(r"^[EWIPXN]: ", line)]
    print("lintian:\n" + "\n".join(tags))
    errors = [t for t in tags if t.startswith("E: ")]
    assert not errors, "\n".join(errors)


def test_package_metadata(build):
    fields = {f: run(["dpkg-deb", "-f", str(build.deb), f]).stdout.strip()
              for f in ("Package", "Version", "Architecture", "Depends")}
    cmake_version = re.search(r"project\([^)]*VERSION ([0-9.]+)",
                              (PROJECT_ROOT / "CMakeLists.txt").read_text()).group(1)
    assert fields["Package"] == PACKAGE
    assert fields["Version"] == cmake_version
    assert build.deb.name == f"{PACKAGE}_{cmake_version}_{fields['Architecture']}.deb"
    # dpkg-shlibdeps found the libslurm the binary links (Debian 12: libslurm38).
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert any(re.match(r"libslurm38\b", d) for d in depends), fields["Depends"]
    assert "adduser" in depends, fields["Depends"]
    control = Path(run(["mktemp", "-d"]).stdout.strip())
    try:
        run(["dpkg-deb", "-e", str(build.deb), str(control)])
        conffiles = (control / "conffiles").read_text().split()
        assert conffiles == [str(DEFAULT_FILE)], conffiles
    finally:
        shutil.rmtree(control)


def test_install_creates_user_files_and_enables_unit(package):
    assert installed_version() is not None
    user = pwd.getpwnam(USER)
    group = grp.getgrnam(USER)
    assert user.pw_gid == group.gr_gid
    assert user.pw_uid < 1000, f"{USER} is not a system user: uid {user.pw_uid}"
    assert user.pw_shell in ("/usr/sbin/nologin", "/bin/false"), user.pw_shell
    assert user.pw_dir == "/nonexistent" and not Path(user.pw_dir).exists()

    expected = {
        BINARY: 0o755, UNIT: 0o644, DEFAULT_FILE: 0o644,
        Path("/usr/share/man/man1/prometheus-slurm-exporter.1.gz"): 0o644,
        SHARE / "prometheus.yml": 0o644, SHARE / "slurm_targets.yaml": 0o644,
        SHARE / "slurm-alerts.rules.yml": 0o644, SHARE / "slurm-recording.rules.yml": 0o644,
        SHARE / "slurm-dashboard.json": 0o644,
        EXAMPLES / "cert-renewer@slurm-exporter.service.d" / "override.conf": 0o644,
        EXAMPLES / "web-config-step-ca.yml": 0o644,
    }
    for path, mode in expected.items():
        st = path.stat()
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode, 0, 0), \
            f"{path}: mode {st.st_mode & 0o7777:o} owner {st.st_uid}:{st.st_gid}"
    # No file of the package is writable by the exporter's user.
    for line in run(["dpkg", "-L", PACKAGE]).stdout.splitlines():
        p = Path(line)
        if p.exists() and not p.is_symlink():
            assert p.stat().st_uid != user.pw_uid, f"{p} is owned by {USER}"
    # deb-systemd-helper enabled the unit for boot (systemd need not run for that).
    assert UNIT_LINK.is_symlink() and UNIT_LINK.resolve() == UNIT.resolve(), UNIT_LINK
    # `systemctl status slurm-exporter` resolves through the alias link made on enable.
    assert ALIAS_LINK.is_symlink() and ALIAS_LINK.resolve() == UNIT.resolve(), ALIAS_LINK
    unit = UNIT.read_text()
    for line in ("User=slurm-exporter", "EnvironmentFile=-/etc/default/prometheus-slurm-exporter",
                 "ExecStart=/usr/bin/prometheus-slurm-exporter $ARGS", "Restart=on-failure",
                 "ExecReload=/bin/kill -HUP $MAINPID", "Alias=slurm-exporter.service"):
        assert line in unit.splitlines(), f"{line!r} missing from the unit"
    assert re.search(r'^ARGS=".*-web\.listen-address=:9092\b', DEFAULT_FILE.read_text(), re.M)


def test_man_page_documents_every_flag(package):
    man = run(["man", "-P", "cat", "-l", "/usr/share/man/man1/prometheus-slurm-exporter.1.gz"],
              env={**os.environ, "MANWIDTH": "200", "LC_ALL": "C.UTF-8"}).stdout
    usage = run([str(BINARY), "-help"]).stdout
    flags = set(re.findall(r"^\s+-{1,2}([a-z][a-z0-9.\-]*)", usage, re.M))
    flags -= {"collector.<name>", "no-collector.<name>"}
    assert len(flags) >= 10, usage
    man_flat = man.replace("\u2010", "-").replace("\u2212", "-")
    missing = sorted(f for f in flags if not re.search(r"-" + re.escape(f) + r"\b", man_flat))
    assert not missing, f"flags of -help missing from the man page: {missing}"


def test_systemd_analyze_verify_and_security(package):
    verify = run(["systemd-analyze", "verify", str(UNIT)], check=False)
    assert verify.returncode == 0, f"systemd-analyze verify:\n{verify.stdout}{verify.stderr}"
    assert UNIT.name not in verify.stdout + verify.stderr, verify.stdout + verify.stderr
    sec = run(["systemd-analyze", "security", "--offline=yes", str(UNIT)], check=False)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", sec.stdout)
    assert m, sec.stdout + sec.stderr
    print(f"systemd-analyze security: {m.group(1)} {m.group(2)}")
    assert float(m.group(1)) <= 4.0 and m.group(2) in ("PERFECT", "SAFE", "OK"), m.group(0)


def test_installed_binary_as_slurm_exporter_reports_the_cluster(stack, cluster):
    pid = stack.exporter.proc.pid
    status = Path(f"/proc/{pid}/status").read_text()
    uid = pwd.getpwnam(USER).pw_uid
    assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.M), status
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M)
    scrape = stack.exporter.scrape()
    assert scrape.value("slurm_up") == 1, stack.exporter.log_text()
    expected = sum(n.total_cpus for n in distinct_nodes(cluster.sinfo()))
    assert scrape.value("slurm_cpus_total") == expected
    # It runs with the default file's ARGS (only the listen address appended).
    cmdline = Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:-1]
    assert cmdline[0] == str(BINARY)
    assert cmdline[1:-1] == default_args() and default_args(), cmdline


def test_prometheus_scrapes_through_shipped_config(stack, cluster):
    port = stack.prom_port

    def target_up():
        active = api(port, "targets")["data"]["activeTargets"]
        return [t for t in active if t["labels"].get("job") == "slurm" and t["health"] == "up"
                and t["labels"].get("cluster") == "example"]

    (target,) = wait_for(target_up, 60, "the slurm target to be up", interval=1)
    labels = target["labels"]
    # The relabelling stripped the port from instance; the file_sd labels arrived.
    assert labels["instance"] == "127.0.0.1", labels
    assert target["scrapeUrl"] == f"http://127.0.0.1:{stack.exporter_port}/metrics"
    assert labels["cluster"] == "example" and labels["role"] == "slurm-controller", labels

    expected = sum(n.total_cpus for n in distinct_nodes(cluster.sinfo()))

    def cpus():
        r = api(port, "query", query='slurm_cpus_total{job="slurm",cluster="example"}')["data"]["result"]
        return r if r and float(r[0]["value"][1]) == expected else None

    (series,) = wait_for(cpus, 30, f"slurm_cpus_total == {expected}", interval=1)
    assert series["metric"]["instance"] == "127.0.0.1", series

    # The recording rules ran on those series.
    def recorded():
        r = api(port, "query", query='cluster:slurm_cpus_total:max{cluster="example"}')["data"]["result"]
        return r if r and float(r[0]["value"][1]) == expected else None

    (rec,) = wait_for(recorded, 30, "cluster:slurm_cpus_total:max", interval=1)
    assert rec["metric"] == {"__name__": "cluster:slurm_cpus_total:max", "cluster": "example"}

    # Every shipped rule was loaded and evaluates without error.
    def rules_evaluated():
        groups = api(port, "rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return rules if rules and all(r.get("lastEvaluation", "").startswith("20")
                                      for r in rules) else None

    rules = wait_for(rules_evaluated, 30, "every rule evaluated", interval=1)
    shipped = [r for f in ("slurm-recording.rules.yml", "slurm-alerts.rules.yml")
               for g in yaml.safe_load((SHARE / f).read_text())["groups"] for r in g["rules"]]
    assert len(rules) == len(shipped)
    bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not bad, bad
    # The exporter is up and reaches slurmctld: neither alert about it is active.
    alerts = api(port, "alerts")["data"]["alerts"]
    assert not [a for a in alerts if a["labels"]["alertname"] in
                ("SlurmExporterDown", "SlurmControllerUnreachable")], alerts


def dashboard_expressions() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of the shipped dashboard, variables substituted as
    Grafana would with every variable at All."""
    dash = json.loads((SHARE / "slurm-dashboard.json").read_text())
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append((p.get("title", ""), t["expr"]))
            walk(p.get("panels", []))

    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", v["definition"])
            assert m, v["definition"]
            out.append((f"variable {v['name']}", f"group by ({m.group(2)}) ({m.group(1)})"))
    subst = {"$cluster": ".*", "$partition": ".*", "$__rate_interval": "1m", "$__interval": "15s"}
    result = []
    for title, expr in out:
        for k, val in subst.items():
            expr = expr.replace(k, val)
        assert "$" not in expr, f"{title}: unsubstituted variable in {expr}"
        result.append((title, expr))
    return result


def metric_names(expr: str) -> set[str]:
    """Metric (and recording rule) names in a PromQL expression, histogram series also by their
    family name (slurm_job_wait_seconds_bucket -> slurm_job_wait_seconds)."""
    names = set(re.findall(r"\b([a-z_]*:?slurm_[a-z0-9_:]+)\b", expr))
    return names | {re.sub(r"_(bucket|count|sum)$", "", n) for n in names}


def test_not_yet_exported_list_is_honest(stack):
    scrape = stack.exporter.scrape()
    exported = {n for n in scrape.types} | {
        re.sub(r"_(bucket|count|sum|created)$", "", n) for n in scrape.types}
    landed = sorted(NOT_YET_EXPORTED & exported)
    assert not landed, (f"{landed} are exported now: remove them from NOT_YET_EXPORTED so the "
                        "dashboard test requires their data")


def test_every_metric_the_files_name_is_exported_or_listed(stack):
    """A misspelt name in a dashboard query or a rule would otherwise pass as 'not exported yet'
    or hide in an expression that returns data through its other operand."""
    types = {**stack.exporter.scrape().types, **stack.accounting.scrape().types}
    known = set(types) | {re.sub(r"_(bucket|count|sum)$", "", n) for n in types}
    rule_exprs, recorded = [], set()
    for f in ("slurm-recording.rules.yml", "slurm-alerts.rules.yml"):
        for g in yaml.safe_load((SHARE / f).read_text())["groups"]:
            for r in g["rules"]:
                rule_exprs.append((r.get("record") or r["alert"], r["expr"]))
                if "record" in r:
                    recorded.add(r["record"])
    unknown = []
    for title, expr in dashboard_expressions() + rule_exprs:
        for name in metric_names(expr) - known - recorded - NOT_YET_EXPORTED:
            if re.sub(r"_(bucket|count|sum)$", "", name) not in NOT_YET_EXPORTED:
                unknown.append(f"{title}: {name}")
    assert not unknown, "names neither exported, recorded nor in NOT_YET_EXPORTED:\n" + \
        "\n".join(sorted(set(unknown)))


def test_every_dashboard_query_parses_and_returns_data(stack):
    port = stack.prom_port
    exprs = dashboard_expressions()
    assert len(exprs) >= 40, len(exprs)
    # Two minutes of 1 s scrapes are not needed: rate() over 1m needs two samples, and the
    # recording rules one evaluation. Wait until a rate query answers.
    wait_for(lambda: api(port, "query", query='rate(scrape_samples_scraped{job="slurm"}[1m])')
             ["data"]["result"], 60, "two scrapes for rate()", interval=1)
    problems = []
    allowed_empty = []
    for title, expr in exprs:
        doc = api(port, "query", query=expr)
        if doc.get("status") != "success":
            problems.append(f"{title}: {expr}\n  does not parse/evaluate: {doc.get('error')}")
            continue
        if doc["data"]["result"]:
            continue
        missing = metric_names(expr) & NOT_YET_EXPORTED
        if missing:
            allowed_empty.append(f"{title}: waits for {sorted(missing)}")
        else:
            problems.append(f"{title}: {expr}\n  returns no data")
    print("expressions allowed to return no data yet:\n" + "\n".join(allowed_empty))
    assert not problems, "\n".join(problems)


def test_upgrade_keeps_edited_conffile(package, stack, tmp_path):
    stack.stop()  # the user's processes must end before the purge below
    uid = pwd.getpwnam(USER).pw_uid
    edited = DEFAULT_FILE.read_text().replace("-web.log-level=info", "-web.log-level=debug")
    edited += "# edited by the admin\n"
    DEFAULT_FILE.write_text(edited)
    # The next version: the same package with a higher version (its conffile unchanged).
    tree = tmp_path / "pkg"
    run(["dpkg-deb", "-R", str(package.deb), str(tree)])
    control = tree / "DEBIAN" / "control"
    version = re.search(r"^Version: (\S+)$", control.read_text(), re.M).group(1)
    new_version = version + "+upgrade1"
    control.write_text(control.read_text().replace(f"Version: {version}", f"Version: {new_version}"))
    upgrade = tmp_path / "upgrade.deb"
    run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(upgrade)])
    # No --force-conf*: dpkg must keep the edited file without asking (stdin is /dev/null).
    p = run(["dpkg", "-i", str(upgrade)], timeout=300)
    assert installed_version() == new_version
    assert DEFAULT_FILE.read_text() == edited, p.stdout
    assert not Path(str(DEFAULT_FILE) + ".dpkg-dist").exists()
    assert pwd.getpwnam(USER).pw_uid == uid, "the upgrade re-created the user"


def test_purge_removes_everything(package):
    files = [Path(f) for f in run(["dpkg", "-L", PACKAGE]).stdout.splitlines()]
    owned = [f for f in files if f.is_file() and not str(f).startswith(("/usr/share/doc/",))]
    assert BINARY in owned and DEFAULT_FILE in owned
    run(["dpkg", "--purge", PACKAGE], timeout=300)
    assert run(["dpkg-query", "-W", PACKAGE], check=False).returncode != 0
    left = [str(f) for f in files if f.exists() and f.is_file()]
    assert not left, f"left behind after purge: {left}"
    assert not DEFAULT_FILE.exists() and not UNIT_LINK.exists() and not UNIT_LINK.is_symlink()
    assert not ALIAS_LINK.is_symlink()
    assert not SHARE.exists()
    assert run(["getent", "passwd", USER], check=False).returncode != 0, "user left behind"
    assert run(["getent", "group", USER], check=False).returncode != 0, "group left behind"
    # deb-systemd-helper forgot the unit too.
    state = Path("/var/lib/systemd/deb-systemd-helper-enabled")
    leftovers = [str(p) for p in state.rglob("*prometheus-slurm-exporter*")] if state.exists() else []
    assert not leftovers, leftovers
