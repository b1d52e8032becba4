// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/app/flags.hpp"

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "slurm_exporter/errors.hpp"

namespace {

using slurm_exporter::ConfigError;
using slurm_exporter::app::Config;
using slurm_exporter::app::parse_flags;
using slurm_exporter::app::usage;
using slurm_exporter::log::Level;
using std::chrono::milliseconds;

Config parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_flags(v);
}

// The ConfigError message parse_flags throws for `args`, or "<no error>".
std::string error_of(std::initializer_list<std::string_view> args) {
  try {
    parse(args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("no arguments give the documented defaults", "[flags]") {
  const Config c = parse({});
  CHECK(c.listen_address == ":9092");
  CHECK(c.telemetry_path == "/metrics");
  CHECK(c.log_level == Level::kInfo);
  CHECK(c.poll_limit == milliseconds(10'000));
  CHECK(c.backend == "libslurm");
  CHECK(c.slurm_conf.empty());
  CHECK_FALSE(c.show_version);
  CHECK_FALSE(c.show_help);
}

TEST_CASE("one or two dashes, with '=' or a separate value", "[flags]") {
  for (const auto& args : std::vector<std::vector<std::string_view>>{
           {"-web.listen-address=127.0.0.1:9100"},
           {"--web.listen-address=127.0.0.1:9100"},
           {"-web.listen-address", "127.0.0.1:9100"},
           {"--web.listen-address", "127.0.0.1:9100"},
       }) {
    INFO(args[0]);
    CHECK(parse_flags(args).listen_address == "127.0.0.1:9100");
  }
}

TEST_CASE("every value flag is applied", "[flags]") {
  const Config c = parse({"--web.listen-address=[::1]:9200", "-web.telemetry-path", "/slurm",
                          "--web.log-level=debug", "-slurm.poll-limit=2.5", "--backend", "libslurm",
                          "-slurm.conf=/etc/slurm/slurm.conf"});
  CHECK(c.listen_address == "[::1]:9200");
  CHECK(c.telemetry_path == "/slurm");
  CHECK(c.log_level == Level::kDebug);
  CHECK(c.poll_limit == milliseconds(2'500));
  CHECK(c.backend == "libslurm");
  CHECK(c.slurm_conf == "/etc/slurm/slurm.conf");
}

TEST_CASE("a value may contain '=' and may start with a dash when separate", "[flags]") {
  CHECK(parse({"-slurm.conf=/tmp/a=b.conf"}).slurm_conf == "/tmp/a=b.conf");
  CHECK(parse({"-slurm.conf", "-weird.conf"}).slurm_conf == "-weird.conf");
}

TEST_CASE("the last occurrence of a flag wins", "[flags]") {
  CHECK(parse({"-web.telemetry-path=/a", "--web.telemetry-path=/b"}).telemetry_path == "/b");
}

TEST_CASE("log.level is an alias of web.log-level", "[flags]") {
  CHECK(parse({"-log.level=warn"}).log_level == Level::kWarn);
  CHECK(parse({"--log.level", "error"}).log_level == Level::kError);
  CHECK(parse({"-web.log-level=debug", "-log.level=error"}).log_level == Level::kError);
  CHECK(parse({"-log.level=error", "-web.log-level=debug"}).log_level == Level::kDebug);
  CHECK(parse({"-web.log-level=info"}).log_level == Level::kInfo);
}

TEST_CASE("a bad log level names the flag", "[flags]") {
  CHECK(error_of({"-web.log-level=loud"}) ==
        "invalid value \"loud\" for flag -web.log-level: want debug, info, warn or error");
  CHECK(error_of({"--log.level", "trace"}) ==
        "invalid value \"trace\" for flag -log.level: want debug, info, warn or error");
}

TEST_CASE("slurm.poll-limit takes plain non-negative seconds", "[flags]") {
  CHECK(parse({"-slurm.poll-limit=0"}).poll_limit == milliseconds(0));
  CHECK(parse({"-slurm.poll-limit=0.5"}).poll_limit == milliseconds(500));
  CHECK(parse({"-slurm.poll-limit=10"}).poll_limit == milliseconds(10'000));
  CHECK(parse({"-slurm.poll-limit=2.5"}).poll_limit == milliseconds(2'500));
  CHECK(parse({"-slurm.poll-limit", "30"}).poll_limit == milliseconds(30'000));
  CHECK(parse({"-slurm.poll-limit=.25"}).poll_limit == milliseconds(250));
  CHECK(parse({"-slurm.poll-limit=3."}).poll_limit == milliseconds(3'000));
  CHECK(parse({"-slurm.poll-limit=0.001"}).poll_limit == milliseconds(1));
  CHECK(parse({"-slurm.poll-limit=0.0004"}).poll_limit == milliseconds(0));
  CHECK(parse({"-slurm.poll-limit=0.0005"}).poll_limit == milliseconds(1));
  CHECK(parse({"-slurm.poll-limit=007"}).poll_limit == milliseconds(7'000));
  CHECK(parse({"-slurm.poll-limit=86400"}).poll_limit == milliseconds(86'400'000));
}

TEST_CASE("slurm.poll-limit rejects negatives, units and garbage", "[flags]") {
  CHECK(error_of({"-slurm.poll-limit=-1"}) ==
        "invalid value \"-1\" for flag -slurm.poll-limit: must not be negative");
  CHECK(error_of({"-slurm.poll-limit", "-0.5"}) ==
        "invalid value \"-0.5\" for flag -slurm.poll-limit: must not be negative");
  const std::string want = ": want a plain non-negative number of seconds, e.g. 10 or 0.5";
  for (const std::string_view bad :
       {"x", "5s", "1e3", "nan", "NaN", "inf", "+1", "", ".", "1.2.3", " 1", "1 ", "0x10", "1,5"}) {
    INFO("value: \"" << bad << "\"");
    const std::vector<std::string_view> args{"-slurm.poll-limit", bad};
    std::string message = "<no error>";
    try {
      parse_flags(args);
    } catch (const ConfigError& e) {
      message = e.what();
    }
    CHECK(message ==
          "invalid value \"" + std::string(bad) + "\" for flag -slurm.poll-limit" + want);
  }
  CHECK(error_of({"-slurm.poll-limit=86400.001"}) ==
        "invalid value \"86400.001\" for flag -slurm.poll-limit: must be at most 86400 seconds");
  CHECK(error_of({"-slurm.poll-limit=99999999999999999999999"}) ==
        "invalid value \"99999999999999999999999\" for flag -slurm.poll-limit: must be at most "
        "86400 seconds");
}

TEST_CASE("backend is libslurm or cli; rivosinc's -slurm.cli-fallback selects cli", "[flags]") {
  CHECK(parse({}).backend == "libslurm");
  CHECK(parse({"-backend=libslurm"}).backend == "libslurm");
  CHECK(parse({"-backend=cli"}).backend == "cli");
  CHECK(parse({"-slurm.cli-fallback"}).backend == "cli");
  CHECK(parse({"-slurm.cli-fallback=false"}).backend == "libslurm");
  CHECK(error_of({"--backend", "rest"}) ==
        "invalid value \"rest\" for flag -backend: want libslurm or cli");
  CHECK(error_of({"--backend="}) == "invalid value \"\" for flag -backend: want libslurm or cli");
}

TEST_CASE("CLI backend flags: command paths, bin dir and timeout", "[flags]") {
  const auto c = parse({"-slurm.sinfo-cli=/opt/slurm/bin/sinfo", "--slurm.squeue-cli", "squeue2",
                        "--slurm.bin-dir=/opt/slurm/bin", "-slurm.cli-timeout=2.5"});
  CHECK(c.sinfo_cli == "/opt/slurm/bin/sinfo");
  CHECK(c.squeue_cli == "squeue2");
  CHECK(c.bin_dir == "/opt/slurm/bin");
  CHECK(c.cli_timeout == std::chrono::milliseconds(2500));
  const auto d = parse({});
  CHECK(d.sinfo_cli == "sinfo");
  CHECK(d.squeue_cli == "squeue");
  CHECK(d.bin_dir.empty());
  CHECK(d.cli_timeout == std::chrono::milliseconds(10'000));
  CHECK(error_of({"-slurm.cli-timeout=0"}) ==
        "invalid value \"0\" for flag -slurm.cli-timeout: must be more than 0");
  CHECK(error_of({"-slurm.cli-timeout=3601"}) ==
        "invalid value \"3601\" for flag -slurm.cli-timeout: must be at most 3600 seconds");
  CHECK(error_of({"-slurm.sinfo-cli="}) ==
        "invalid value \"\" for flag -slurm.sinfo-cli: must not be empty");
}

TEST_CASE("web.telemetry-path must be a plain absolute path", "[flags]") {
  CHECK(parse({"-web.telemetry-path=/"}).telemetry_path == "/");
  CHECK(error_of({"-web.telemetry-path=metrics"}) ==
        "invalid value \"metrics\" for flag -web.telemetry-path: must start with '/'");
  CHECK(error_of({"-web.telemetry-path="}) ==
        "invalid value \"\" for flag -web.telemetry-path: must start with '/'");
  CHECK_THAT(error_of({"-web.telemetry-path=/m?x=1"}),
             Catch::StartsWith("invalid value \"/m?x=1\" for flag -web.telemetry-path: must not"));
  CHECK_THAT(error_of({"-web.telemetry-path=/a b"}),
             Catch::StartsWith("invalid value \"/a b\" for flag -web.telemetry-path: must not"));
}

TEST_CASE("empty listen address and slurm.conf are rejected", "[flags]") {
  CHECK(error_of({"-web.listen-address="}) ==
        "invalid value \"\" for flag -web.listen-address: must not be empty");
  CHECK(error_of({"--slurm.conf", ""}) ==
        "invalid value \"\" for flag -slurm.conf: must not be empty");
}

TEST_CASE("version and help are booleans", "[flags]") {
  CHECK(parse({"-version"}).show_version);
  CHECK(parse({"--version"}).show_version);
  CHECK(parse({"--version=true"}).show_version);
  CHECK_FALSE(parse({"--version=false"}).show_version);
  CHECK_FALSE(parse({"-version", "-version=0"}).show_version);
  CHECK(parse({"-help"}).show_help);
  CHECK(parse({"--help"}).show_help);
  CHECK(parse({"-h"}).show_help);
  CHECK(parse({"--h=1"}).show_help);
  CHECK_FALSE(parse({"-help=false"}).show_help);
  CHECK_FALSE(parse({"-help"}).show_version);
}

TEST_CASE("a boolean flag does not take the next argument as its value", "[flags]") {
  CHECK(error_of({"-version", "true"}) == "unexpected argument: true");
  const Config c = parse({"-version", "-web.telemetry-path=/x"});
  CHECK(c.show_version);
  CHECK(c.telemetry_path == "/x");
}

TEST_CASE("a bad boolean value names the flag", "[flags]") {
  CHECK(error_of({"-version=yes"}) ==
        "invalid value \"yes\" for flag -version: want true or false");
  CHECK(error_of({"--help="}) == "invalid value \"\" for flag -help: want true or false");
}

TEST_CASE("an unknown flag is an error", "[flags]") {
  CHECK(error_of({"-foo"}) == "unknown flag: -foo");
  CHECK(error_of({"--foo=1"}) == "unknown flag: -foo");
  CHECK(error_of({"-collectors.nodes"}) == "unknown flag: -collectors.nodes");
  CHECK(error_of({"-Version"}) == "unknown flag: -Version");
}

TEST_CASE("a value flag at the end needs an argument", "[flags]") {
  CHECK(error_of({"-web.listen-address"}) == "flag needs an argument: -web.listen-address");
  CHECK(error_of({"-version", "--slurm.poll-limit"}) ==
        "flag needs an argument: -slurm.poll-limit");
}

TEST_CASE("positional arguments are rejected", "[flags]") {
  CHECK(error_of({"foo"}) == "unexpected argument: foo");
  CHECK(error_of({"-version", "foo"}) == "unexpected argument: foo");
  CHECK(error_of({"-"}) == "unexpected argument: -");
}

TEST_CASE("'--' ends the flags and nothing may follow it", "[flags]") {
  CHECK(parse({"-version", "--"}).show_version);
  CHECK(error_of({"--", "-version"}) == "unexpected argument: -version");
  CHECK(error_of({"--", "foo"}) == "unexpected argument: foo");
}

TEST_CASE("malformed flag syntax is an error", "[flags]") {
  CHECK(error_of({"---version"}) == "bad flag syntax: ---version");
  CHECK(error_of({"-=x"}) == "bad flag syntax: -=x");
  CHECK(error_of({"--=x"}) == "bad flag syntax: --=x");
}

TEST_CASE("usage lists every flag with its default", "[flags]") {
  const std::string text = usage();
  CHECK_THAT(text, Catch::StartsWith("Usage: prometheus-slurm-exporter [flags]\n"));
  for (const std::string_view line :
       {"  -web.listen-address address\n", "  -web.telemetry-path path\n",
        "  -web.log-level level\n", "  -log.level level\n", "  -slurm.poll-limit seconds\n",
        "  -backend name\n", "  -slurm.conf path\n", "  -version\n", "  -help\n", "  -h\n",
        "  -slurm.cli-fallback\n", "  -slurm.sinfo-cli path\n", "  -slurm.squeue-cli path\n",
        "  -slurm.bin-dir dirs\n", "  -slurm.cli-timeout seconds\n"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains(std::string(line)));
  }
  CHECK_THAT(text, Catch::Contains("(default \":9092\")"));
  CHECK_THAT(text, Catch::Contains("(default \"/metrics\")"));
  CHECK_THAT(text, Catch::Contains("(default info)"));
  CHECK_THAT(text, Catch::Contains("(default 10)"));
  CHECK_THAT(text, Catch::Contains("(default \"libslurm\")"));
  CHECK_THAT(text, Catch::Contains("(default false)"));
  // The collectors and the rivosinc aliases come from the collector table.
  for (const auto name : slurm_exporter::collectors::collector_name_list()) {
    CHECK_THAT(text, Catch::Contains("\n  " + std::string(name) + "\n        "));
  }
  CHECK_THAT(text,
             Catch::Contains("  -slurm.collect-diags\n        Alias of -collector.scheduler"));
  CHECK_THAT(text, Catch::Contains("  node\n        per-node families slurm_node_* (one series per "
                                   "node: opt-in) (default disabled)\n"));
}

TEST_CASE("web.config.file takes a non-empty path", "[flags]") {
  CHECK(parse({}).web_config_file.empty());
  CHECK(parse({"--web.config.file=/etc/web.yml"}).web_config_file == "/etc/web.yml");
  CHECK(error_of({"--web.config.file="}) ==
        "invalid value \"\" for flag -web.config.file: must not be empty");
}

TEST_CASE("collector switches: --collector.X / --no-collector.X, with or without =bool",
          "[flags]") {
  const Config d = parse({});
  CHECK(d.collectors.enabled("nodes"));
  CHECK_FALSE(d.collectors.enabled("node"));
  CHECK(d.collectors.enabled("node_reason"));
  CHECK(d.collectors.enabled("jobs"));
  const Config c = parse({"--collector.node", "--no-collector.jobs",
                          "-no-collector.node_reason=false", "-collector.nodes=false"});
  CHECK(c.collectors.enabled("node"));
  CHECK_FALSE(c.collectors.enabled("jobs"));
  CHECK(c.collectors.enabled("node_reason"));
  CHECK_FALSE(c.collectors.enabled("nodes"));
  // A switch never takes the next argument as its value.
  CHECK_THROWS_AS(parse({"--collector.node", "true"}), ConfigError);
  CHECK(parse({"--no-collector.node=0", "--collector.jobs=f"}).collectors.enabled("node"));
  CHECK_FALSE(parse({"--collector.jobs=f"}).collectors.enabled("jobs"));
}

TEST_CASE("an unknown collector exits with the known ones listed", "[flags]") {
  CHECK(error_of({"--collector.gpus"}) ==
        "unknown collector \"gpus\" in flag -collector.gpus; known collectors: "
        "controllers, nodes, node, node_reason, jobs, trace, scheduler, licenses, reservations, "
        "fairshare, fairshare_users, limits, limits_users, qos, slurmdbd, vpenso, private_data, "
        "process");
  CHECK(error_of({"--no-collector.node=maybe"}).find("no-collector.node") != std::string::npos);
  CHECK(usage().find("node_reason") != std::string::npos);
}

TEST_CASE("metrics.exclude takes a valid regular expression", "[flags]") {
  CHECK(parse({}).metrics_exclude.empty());
  CHECK(parse({"-metrics.exclude=^slurm_node_|_mem_"}).metrics_exclude == "^slurm_node_|_mem_");
  CHECK_THAT(error_of({"-metrics.exclude=slurm_(node"}),
             Catch::StartsWith("invalid value \"slurm_(node\" for flag -metrics.exclude: "));
}

TEST_CASE("the rivosinc collect flags switch the controller-side collectors", "[flags]") {
  CHECK(parse({}).collectors.enabled("scheduler"));
  CHECK(parse({}).collectors.enabled("licenses"));
  CHECK_FALSE(parse({"-slurm.collect-diags=false"}).collectors.enabled("scheduler"));
  CHECK_FALSE(parse({"-slurm.collect-licenses=false"}).collectors.enabled("licenses"));
  CHECK(parse({"-no-collector.scheduler", "-slurm.collect-diags"}).collectors.enabled("scheduler"));
  CHECK(parse({"--no-collector.licenses", "--slurm.collect-licenses"})
            .collectors.enabled("licenses"));
  // rivosinc's -slurm.collect-limits switches the limits collector (on by default: cheap).
  CHECK(parse({"-slurm.collect-limits"}).collectors.enabled("limits"));
  CHECK_FALSE(parse({"-slurm.collect-limits=false"}).collectors.enabled("limits"));
  CHECK(parse({"-slurm.collect-limits"}).collectors.enabled("scheduler"));
  CHECK_FALSE(parse({"--no-collector.reservations"}).collectors.enabled("reservations"));
  CHECK_FALSE(parse({"--collector.controllers=false"}).collectors.enabled("controllers"));
  CHECK_THAT(error_of({"-slurm.collect-diags=maybe"}),
             Catch::StartsWith("invalid value \"maybe\" for flag -slurm.collect-diags"));
}

TEST_CASE("rivosinc's tracing flags -trace.enabled, -trace.path and -trace.rate", "[flags]") {
  const Config d = parse({});
  CHECK_FALSE(d.trace_enabled);
  CHECK_FALSE(d.collectors.enabled("trace"));
  CHECK(d.trace_path == "/trace");
  CHECK(d.trace_rate == std::chrono::seconds(10));
  const Config c = parse({"-trace.enabled", "-trace.path=/t", "-trace.rate", "30"});
  CHECK(c.trace_enabled);
  CHECK(c.collectors.enabled("trace"));
  CHECK(c.trace_path == "/t");
  CHECK(c.trace_rate == std::chrono::seconds(30));
  CHECK_FALSE(parse({"-trace.enabled=false"}).collectors.enabled("trace"));
  // rivosinc's zero and empty values mean its defaults.
  CHECK(parse({"-trace.rate=0"}).trace_rate == std::chrono::seconds(10));
  CHECK(parse({"-trace.path="}).trace_path == "/trace");
  CHECK_THROWS_WITH(parse({"-trace.rate=-1"}), Catch::Contains("want whole seconds"));
  CHECK_THROWS_WITH(parse({"-trace.rate=86401"}), Catch::Contains("want whole seconds"));
  CHECK_THROWS_WITH(parse({"-trace.rate=1.5"}), Catch::Contains("-trace.rate"));
  CHECK_THROWS_WITH(parse({"-trace.path=trace"}), Catch::Contains("must start with '/'"));
}

namespace {
// The environment of the rivosinc-variable tests: a fixed table.
std::vector<std::pair<std::string, std::string>> g_env;
const char* fake_env(const char* name) {
  for (const auto& [k, v] : g_env) {
    if (k == name) return v.c_str();
  }
  return nullptr;
}
Config parse_env(std::vector<std::pair<std::string, std::string>> env,
                 std::initializer_list<std::string_view> args) {
  g_env = std::move(env);
  const std::vector<std::string_view> v(args);
  return parse_flags(v, fake_env);
}
}  // namespace

TEST_CASE("rivosinc's variables: POLL_LIMIT, CLI_TIMEOUT, LOGLEVEL; a flag wins") {
  using std::chrono::milliseconds;
  const Config c =
      parse_env({{"POLL_LIMIT", "2.5"}, {"CLI_TIMEOUT", "7"}, {"LOGLEVEL", "debug"}}, {});
  CHECK(c.poll_limit == milliseconds(2500));
  CHECK(c.cli_timeout == milliseconds(7000));
  CHECK(c.log_level == Level::kDebug);
  const Config f = parse_env({{"POLL_LIMIT", "2.5"}, {"LOGLEVEL", "debug"}},
                             {"-slurm.poll-limit=4", "-web.log-level=error"});
  CHECK(f.poll_limit == milliseconds(4000));
  CHECK(f.log_level == Level::kError);
  CHECK(parse_env({}, {}).poll_limit == milliseconds(10'000));
  for (const char* var : {"POLL_LIMIT", "CLI_TIMEOUT", "LOGLEVEL"}) {
    INFO(var);
    try {
      parse_env({{var, "ten"}}, {});
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find(std::string("environment variable ") + var) == 0);
    }
  }
  // A bad variable is an error even when the flag would override it (rivosinc fails too).
  CHECK_THROWS_AS(parse_env({{"POLL_LIMIT", "x"}}, {"-slurm.poll-limit=4"}), ConfigError);
}

TEST_CASE("rivosinc's command overrides and trace flags are accepted and stored") {
  const Config c =
      parse({"-slurm.lic-cli=/opt/slurm/bin/scontrol show lic --json", "-slurm.diag-cli",
             "/opt/slurm/bin/sdiag --json", "-slurm.sacctmgr-cli=/opt/slurm/bin/sacctmgr -P",
             "-trace.enabled", "-trace.path=/t", "-trace.rate=30"});
  CHECK(c.lic_cli == "/opt/slurm/bin/scontrol");
  CHECK(c.diag_cli == "/opt/slurm/bin/sdiag");
  CHECK(c.sacctmgr_cli == "/opt/slurm/bin/sacctmgr");
  CHECK(c.trace_enabled);
  CHECK(c.trace_path == "/t");
  CHECK(c.trace_rate == std::chrono::seconds(30));
  const Config d = parse({});
  CHECK_FALSE(d.trace_enabled);
  CHECK(d.trace_path == "/trace");
  CHECK(d.trace_rate == std::chrono::seconds(10));
  CHECK(d.sacctmgr_cli.empty());
  CHECK_THROWS_AS(parse({"-trace.path=trace"}), ConfigError);
}

TEST_CASE("the flag --compat=vpenso turns the vpenso collector on; off by default") {
  CHECK_FALSE(parse({}).collectors.enabled("vpenso"));
  CHECK(parse({"--compat=vpenso"}).collectors.enabled("vpenso"));
  CHECK(parse({"--collector.vpenso"}).collectors.enabled("vpenso"));
  CHECK(error_of({"--compat=prometheus"}).find("want vpenso") != std::string::npos);
}
