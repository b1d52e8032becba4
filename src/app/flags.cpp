// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/app/flags.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::app {
namespace {

// A poll limit above one day is a typo, and the bound keeps the arithmetic far from overflow.
constexpr std::int64_t kMaxPollLimitSeconds = 86'400;
// A Slurm command that needs more than an hour is broken; the bound catches unit mix-ups.
constexpr std::int64_t kMaxCliTimeoutSeconds = 3'600;

[[noreturn]] void bad_value(std::string_view flag, std::string_view value, std::string_view why) {
  throw ConfigError(fmt::format("invalid value \"{}\" for flag -{}: {}", value, flag, why));
}

bool parse_bool(std::string_view flag, std::string_view value) {
  // The spellings Go's strconv.ParseBool accepts, so existing unit files keep working.
  for (const std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (value == t) return true;
  }
  for (const std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (value == f) return false;
  }
  bad_value(flag, value, "want true or false");
}

std::chrono::milliseconds parse_seconds(std::string_view flag, std::string_view value,
                                        std::int64_t max_seconds) {
  constexpr std::string_view kWant = "want a plain non-negative number of seconds, e.g. 10 or 0.5";
  if (!value.empty() && value.front() == '-') bad_value(flag, value, "must not be negative");
  const auto dot = value.find('.');
  const std::string_view whole = value.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : value.substr(dot + 1);
  if (whole.empty() && frac.empty()) bad_value(flag, value, kWant);
  const auto all_digits = [](std::string_view s) {
    for (const char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (!all_digits(whole) || !all_digits(frac)) bad_value(flag, value, kWant);

  std::int64_t seconds = 0;
  for (const char c : whole) {
    seconds = seconds * 10 + (c - '0');
    if (seconds > max_seconds) {
      bad_value(flag, value, fmt::format("must be at most {} seconds", max_seconds));
    }
  }
  // Milliseconds from the first three fractional digits, rounded half up on the fourth.
  std::int64_t millis = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  }
  if (frac.size() > 3 && frac[3] >= '5') ++millis;
  const std::int64_t total = seconds * 1000 + millis;
  if (total > max_seconds * 1000) {
    bad_value(flag, value, fmt::format("must be at most {} seconds", max_seconds));
  }
  return std::chrono::milliseconds(total);
}

std::string seconds_text(std::chrono::milliseconds ms) {
  const auto count = ms.count();
  if (count % 1000 == 0) return fmt::format("{}", count / 1000);
  std::string text = fmt::format("{}.{:03}", count / 1000, count % 1000);
  while (text.back() == '0') text.pop_back();
  return text;
}

void require_non_empty(std::string_view flag, std::string_view value) {
  if (value.empty()) bad_value(flag, value, "must not be empty");
}

struct FlagSpec {
  std::string_view name;
  bool is_bool;
  std::string_view value_name;  // shown in usage, e.g. "string"; empty for booleans
  std::string_view help;
  std::string (*default_text)(const Config&);
  void (*apply)(Config&, std::string_view flag, std::string_view value);
};

void set_log_level(Config& c, std::string_view flag, std::string_view v) {
  try {
    c.log_level = log::parse_level(v);
  } catch (const ConfigError&) {
    bad_value(flag, v, "want debug, info, warn or error");
  }
}

std::string log_level_text(const Config& c) { return std::string(log::level_name(c.log_level)); }

// A rivosinc command override ("/opt/slurm/bin/scontrol show lic --json"): the program is its
// first word; this exporter runs it with the arguments whose output it parses.
std::string override_program(std::string_view flag, std::string_view v) {
  require_non_empty(flag, v);
  const auto space = v.find(' ');
  const std::string program(v.substr(0, space));
  if (space != std::string_view::npos) {
    log::warn("command override: only the program is used",
              {{"flag", std::string("-") + std::string(flag)},
               {"program", program},
               {"why", "the exporter runs it with the arguments whose text output it parses"}});
  }
  return program;
}

const std::array<FlagSpec, 26> kFlags{{
    {"web.listen-address", false, "address",
     "Address to listen on for HTTP requests: \":port\" (all interfaces), \"host:port\" or "
     "\"[v6]:port\"",
     [](const Config& c) { return fmt::format("\"{}\"", c.listen_address); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.listen_address = v;
     }},
    {"web.telemetry-path", false, "path", "Path under which to expose metrics",
     [](const Config& c) { return fmt::format("\"{}\"", c.telemetry_path); },
     [](Config& c, std::string_view f, std::string_view v) {
       if (v.empty() || v.front() != '/') bad_value(f, v, "must start with '/'");
       // The router matches the path without its query, so these could never match.
       for (const char ch : v) {
         if (ch == '?' || ch == '#' || static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) {
           bad_value(f, v, "must not contain '?', '#', spaces or control characters");
         }
       }
       c.telemetry_path = v;
     }},
    {"web.config.file", false, "file",
     "Path of a Prometheus exporter-toolkit web config (YAML) enabling TLS, basic auth and "
     "extra headers; empty means plain HTTP without auth",
     [](const Config& c) { return fmt::format("\"{}\"", c.web_config_file); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.web_config_file = v;
     }},
    {"metrics.aggregate-users", true, "",
     "Drop the per-user labels (username, user) by summing their series: for sites whose "
     "PrivateData hides users' jobs from each other",
     [](const Config& c) { return std::string(c.aggregate_users ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.aggregate_users = parse_bool(f, v);
     }},
    {"web.health-no-auth", true, "",
     "Answer /-/healthy and /-/ready without the web config's basic auth (for probes)",
     [](const Config& c) { return std::string(c.health_no_auth ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.health_no_auth = parse_bool(f, v);
     }},
    {"web.log-level", false, "level", "Lowest level to log: debug, info, warn or error",
     log_level_text, set_log_level},
    {"log.level", false, "level", "Alias of -web.log-level", log_level_text, set_log_level},
    {"slurm.poll-limit", false, "seconds",
     "Minimum seconds between two Slurm polls; scrapes in between get the cached snapshot "
     "(fractions allowed, 0 = poll on every scrape)",
     [](const Config& c) { return seconds_text(c.poll_limit); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.poll_limit = parse_seconds(f, v, kMaxPollLimitSeconds);
     }},
    {"backend", false, "name",
     "How to read Slurm state: libslurm (RPCs to slurmctld) or cli (parse scontrol/squeue output, "
     "for hosts whose libslurm does not match this build)",
     [](const Config& c) { return fmt::format("\"{}\"", c.backend); },
     [](Config& c, std::string_view f, std::string_view v) {
       if (v != "libslurm" && v != "cli") bad_value(f, v, "want libslurm or cli");
       c.backend = v;
     }},
    {"slurm.cli-fallback", true, "",
     "Alias of -backend=cli when true (the rivosinc exporter's flag)",
     [](const Config&) { return std::string("false"); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.backend = parse_bool(f, v) ? "cli" : "libslurm";
     }},
    {"slurm.sinfo-cli", false, "path", "sinfo to run with -backend=cli: a path or a bare name",
     [](const Config& c) { return fmt::format("\"{}\"", c.sinfo_cli); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.sinfo_cli = v;
     }},
    {"slurm.squeue-cli", false, "path", "squeue to run with -backend=cli: a path or a bare name",
     [](const Config& c) { return fmt::format("\"{}\"", c.squeue_cli); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.squeue_cli = v;
     }},
    {"slurm.bin-dir", false, "dirs",
     "Colon-separated directories searched in order for the Slurm commands named by bare "
     "names (empty entries are skipped); empty means /usr/sbin:/usr/bin:/sbin:/bin",
     [](const Config& c) { return fmt::format("\"{}\"", c.bin_dir); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.bin_dir = v;
     }},
    {"slurm.cli-timeout", false, "seconds",
     "Seconds one Slurm command may run before its whole process group is killed",
     [](const Config& c) { return seconds_text(c.cli_timeout); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.cli_timeout = parse_seconds(f, v, kMaxCliTimeoutSeconds);
       if (c.cli_timeout.count() == 0) bad_value(f, v, "must be more than 0");
     }},
    {"slurm.lic-cli", false, "command",
     "scontrol to run for licenses with -backend=cli (rivosinc's flag; its first word is the "
     "program, run as \"<it> show licenses -o\"); empty means the scontrol next to sinfo",
     [](const Config& c) { return fmt::format("\"{}\"", c.lic_cli); },
     [](Config& c, std::string_view f, std::string_view v) { c.lic_cli = override_program(f, v); }},
    {"slurm.diag-cli", false, "command",
     "sdiag to run for scheduler statistics with -backend=cli (rivosinc's flag; its first word "
     "is the program); empty means the sdiag next to sinfo",
     [](const Config& c) { return fmt::format("\"{}\"", c.diag_cli); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.diag_cli = override_program(f, v);
     }},
    {"slurm.sacctmgr-cli", false, "command",
     "sacctmgr to run for the slurmdbd collector with -backend=cli (rivosinc's flag; its first "
     "word is the program, run as \"<it> show stats\"); empty means the sacctmgr next to sinfo",
     [](const Config& c) { return fmt::format("\"{}\"", c.sacctmgr_cli); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.sacctmgr_cli = override_program(f, v);
     }},
    {"compat", false, "name",
     "Also export another exporter's family names: vpenso (its slurm_nodes_*, slurm_queue_*, "
     "slurm_cpus_alloc/_other, slurm_gpus_*; the same as -collector.vpenso)",
     [](const Config&) { return std::string("\"\""); },
     [](Config& c, std::string_view f, std::string_view v) {
       if (v != "vpenso") bad_value(f, v, "want vpenso");
       c.collectors.set("vpenso", true);
     }},
    {"slurm.conf", false, "path",
     "Path of slurm.conf; empty means $SLURM_CONF, else Slurm's built-in path",
     [](const Config& c) { return fmt::format("\"{}\"", c.slurm_conf); },
     [](Config& c, std::string_view f, std::string_view v) {
       require_non_empty(f, v);
       c.slurm_conf = v;
     }},
    {"metrics.exclude", false, "regex",
     "Drop every metric family whose name matches this regular expression (ECMAScript syntax, "
     "matched anywhere in the name, e.g. \"^slurm_node_|_mem_\")",
     [](const Config& c) { return fmt::format("\"{}\"", c.metrics_exclude); },
     [](Config& c, std::string_view f, std::string_view v) {
       try {
         std::regex re{std::string(v)};
       } catch (const std::regex_error& e) {
         bad_value(f, v, e.what());
       }
       c.metrics_exclude = v;
     }},
    {"trace.enabled", true, "",
     "Serve -trace.path, where the job agent (prometheus-slurm-exporter-trace) POSTs samples, "
     "and export them for jobs Slurm lists (switches the trace collector on)",
     [](const Config& c) { return std::string(c.trace_enabled ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) {
       c.trace_enabled = parse_bool(f, v);
       c.collectors.set("trace", c.trace_enabled);
     }},
    {"trace.path", false, "path", "Path of the trace endpoint (POST a sample, GET a table)",
     [](const Config& c) { return fmt::format("\"{}\"", c.trace_path); },
     [](Config& c, std::string_view f, std::string_view v) {
       // rivosinc takes an empty -trace.path as its default.
       if (v.empty()) v = "/trace";
       if (v.front() != '/') bad_value(f, v, "must start with '/'");
       for (const char ch : v) {
         if (ch == '?' || ch == '#' || static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) {
           bad_value(f, v, "must not contain '?', '#', spaces or control characters");
         }
       }
       c.trace_path = v;
     }},
    {"trace.rate", false, "seconds",
     "Seconds a job's trace sample stays fresh; a job whose agent stopped posting leaves the "
     "metrics after it",
     [](const Config& c) { return std::to_string(c.trace_rate.count()); },
     [](Config& c, std::string_view f, std::string_view v) {
       std::uint64_t n = 0;
       const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
       if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || n > 86'400) {
         bad_value(f, v, "want whole seconds, 0..86400 (0 is the default, 10, as in rivosinc)");
       }
       // rivosinc's flag is a uint64 whose 0 means its default of 10 seconds.
       c.trace_rate = std::chrono::seconds(n == 0 ? 10 : static_cast<std::int64_t>(n));
     }},
    {"version", true, "", "Print the version and exit",
     [](const Config& c) { return std::string(c.show_version ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) { c.show_version = parse_bool(f, v); }},
    {"help", true, "", "Print this help and exit",
     [](const Config& c) { return std::string(c.show_help ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) { c.show_help = parse_bool(f, v); }},
    {"h", true, "", "Alias of -help",
     [](const Config& c) { return std::string(c.show_help ? "true" : "false"); },
     [](Config& c, std::string_view f, std::string_view v) { c.show_help = parse_bool(f, v); }},
}};

const FlagSpec* find_flag(std::string_view name) {
  for (const auto& spec : kFlags) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// -collector.<name>[=bool] and -no-collector.<name>[=bool] (node_exporter's switches) and the
// rivosinc aliases of the collector table: true when `name` is one of them.
bool apply_collector_flag(Config& c, std::string_view name, std::string_view value) {
  bool negate = false;
  std::string_view collector;
  for (const auto& row : collectors::collector_table()) {
    if (!row.alias.empty() && row.alias == name) collector = row.name;
  }
  if (!collector.empty()) {
    // An alias: -slurm.collect-diags=false turns the scheduler collector off.
  } else if (name.starts_with("collector.")) {
    collector = name.substr(10);
  } else if (name.starts_with("no-collector.")) {
    collector = name.substr(13);
    negate = true;
  } else {
    return false;
  }
  const bool on = parse_bool(name, value) != negate;
  if (!c.collectors.set(collector, on)) {
    throw ConfigError(fmt::format("unknown collector \"{}\" in flag -{}; known collectors: {}",
                                  collector, name, collectors::collector_names()));
  }
  return true;
}

}  // namespace

Config parse_flags(std::span<const std::string_view> args) { return parse_flags(args, nullptr); }

Config parse_flags(std::span<const std::string_view> args, EnvLookup env) {
  Config config;
  // The rivosinc exporter's variables first, so a flag wins.
  const auto variable = [&](const char* name, auto&& apply) {
    const char* value = env == nullptr ? nullptr : env(name);
    if (value == nullptr) return;
    try {
      apply(std::string_view(value));
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("environment variable {}: {}", name, e.what()));
    }
  };
  variable("POLL_LIMIT", [&](std::string_view v) {
    config.poll_limit = parse_seconds("slurm.poll-limit", v, kMaxPollLimitSeconds);
  });
  variable("CLI_TIMEOUT", [&](std::string_view v) {
    config.cli_timeout = parse_seconds("slurm.cli-timeout", v, kMaxCliTimeoutSeconds);
    if (config.cli_timeout.count() == 0) bad_value("slurm.cli-timeout", v, "must be more than 0");
  });
  variable("LOGLEVEL", [&](std::string_view v) { set_log_level(config, "web.log-level", v); });
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      // Go's flag package would stop here and leave the rest as positional arguments; this
      // program takes none.
      if (i + 1 < args.size()) {
        throw ConfigError(fmt::format("unexpected argument: {}", args[i + 1]));
      }
      break;
    }
    if (arg.size() < 2 || arg.front() != '-') {
      throw ConfigError(fmt::format("unexpected argument: {}", arg));
    }
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body.empty() || body.front() == '-' || body.front() == '=') {
      throw ConfigError(fmt::format("bad flag syntax: {}", arg));
    }
    const auto eq = body.find('=');
    const std::string_view name = body.substr(0, eq);
    const std::string_view inline_value =
        eq == std::string_view::npos ? std::string_view("true") : body.substr(eq + 1);
    if (apply_collector_flag(config, name, inline_value)) continue;
    const FlagSpec* spec = find_flag(name);
    if (spec == nullptr) throw ConfigError(fmt::format("unknown flag: -{}", name));

    std::string_view value;
    if (eq != std::string_view::npos) {
      value = body.substr(eq + 1);
    } else if (spec->is_bool) {
      value = "true";
    } else if (i + 1 < args.size()) {
      // Like Go, the next argument is the value even when it starts with '-'.
      value = args[++i];
    } else {
      throw ConfigError(fmt::format("flag needs an argument: -{}", name));
    }
    spec->apply(config, spec->name, value);
  }
  return config;
}

std::string usage() {
  const Config defaults;
  std::string text =
      "Usage: prometheus-slurm-exporter [flags]\n"
      "\n"
      "Exports the state of a Slurm cluster (nodes, jobs, partitions) as Prometheus metrics.\n"
      "Flags take one or two dashes; values follow '=' or come as the next argument.\n"
      "\n"
      "Flags:\n";
  for (const auto& spec : kFlags) {
    text += fmt::format("  -{}", spec.name);
    if (!spec.is_bool) text += fmt::format(" {}", spec.value_name);
    text += fmt::format("\n        {} (default {})\n", spec.help, spec.default_text(defaults));
  }
  const auto& table = collectors::collector_table();
  for (const auto& c : table) {
    if (c.alias.empty()) continue;
    text += fmt::format(
        "  -{}\n        Alias of -collector.{}=<value> (the rivosinc exporter's flag) (default "
        "{})\n",
        c.alias, c.name, defaults.collectors.enabled(c.name) ? "true" : "false");
  }
  text += "\nCollectors (enable with -collector.<name>, disable with -no-collector.<name>):\n";
  for (const auto name : collectors::collector_name_list()) {
    const auto& c = *std::find_if(table.begin(), table.end(),
                                  [&](const collectors::Collector& r) { return r.name == name; });
    text += fmt::format("  {}\n        {} (default {})\n", c.name, c.help,
                        c.default_on ? "enabled" : "disabled");
  }
  return text;
}

}  // namespace slurm_exporter::app
