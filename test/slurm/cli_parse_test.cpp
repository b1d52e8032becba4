// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/cli_parse.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/text.hpp"

// Exported by libslurm 22.05 (sinfo uses them) but not declared in slurm.h; the results are
// xmalloc'ed and freed with slurm_xfree_ptr.
extern "C" {
char* slurm_node_state_flag_string(std::uint32_t state);
const char* slurm_node_state_base_string(std::uint32_t state);
void slurm_xfree_ptr(void* p);
}

namespace ns = slurm_exporter::slurm::node_state;
using namespace slurm_exporter::slurm;
using namespace slurm_exporter::slurm::cli;
using slurm_exporter::ParseError;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

std::string fixture(const std::string& name) {
  const std::string path = std::string(SE_TEST_DATA_DIR) + "/slurm/fixtures/cli/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string to_crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

const Node& node(const NodeData& d, const std::string& name) {
  for (const Node& n : d.nodes) {
    if (n.name == name) return n;
  }
  FAIL("no node " << name);
  throw 0;
}

const Partition& partition(const NodeData& d, const std::string& name) {
  for (const Partition& p : d.partitions) {
    if (p.name == name) return p;
  }
  FAIL("no partition " << name);
  throw 0;
}

using Strings = std::vector<std::string>;

// The ParseError's line number when parse() throws one, 0 when it throws nothing.
template <typename F>
std::size_t error_line(F parse, std::string* what = nullptr) {
  try {
    parse();
  } catch (const ParseError& e) {
    if (what) *what = e.what();
    return e.line() == 0 ? static_cast<std::size_t>(-1) : e.line();
  }
  return 0;
}

// A well-formed sinfo -N line with one field replaced (index 0..15).
std::string node_line(std::size_t field, const std::string& value) {
  std::vector<std::string> f{"n1",     "idle",   "idle", "0/4/0/4", "8000",    "7000",
                             "0.50",   "1",      "0",    "(null)",  "Unknown", "Unknown",
                             "(null)", "(null)", "p1*",  "none"};
  f[field] = value;
  std::string line;
  for (const auto& v : f) line += v + "|";
  return line + "\n";
}

// A well-formed squeue line with one field replaced (index 0..16).
std::string job_line(std::size_t field, const std::string& value) {
  std::vector<std::string> f{"42",
                             "alice",
                             "chem",
                             "debug",
                             "PENDING",
                             "Priority",
                             "2",
                             "cpu=2,mem=100M,node=1",
                             "2024-03-01T10:00:00",
                             "2024-03-01T10:00:00",
                             "N/A",
                             "N/A",
                             "N/A",
                             "N/A",
                             "N/A",
                             "1",
                             "1"};
  f[field] = value;
  std::string line;
  for (const auto& v : f) line += v + "|";
  return line + "\n";
}

}  // namespace

// ---------------------------------------------------------------- state names

TEST_CASE("every flag name libslurm 22.05 prints parses to its bit, and only those") {
  std::size_t named = 0;
  for (std::uint32_t bit = 4; bit < 32; ++bit) {
    const std::uint32_t flag = 1u << bit;
    char* text = slurm_node_state_flag_string(flag);
    REQUIRE(text != nullptr);
    const std::string name = lower(std::string(text).substr(1));  // "+DRAIN" -> "drain"
    slurm_xfree_ptr(text);
    INFO("bit " << bit << " prints as " << name);
    if (name == "?") {
      // Printed for bits 22.05 has no name for: no bit can come back from it.
      CHECK(parse_state_complete("idle+?") == ns::kIdle);
      continue;
    }
    ++named;
    CHECK(parse_state_complete("idle+" + name) == (ns::kIdle | flag));
  }
  // Our table holds exactly the names the library has.
  CHECK(named == state_flag_names().size());
  CHECK(named == 20);
  for (std::uint32_t base = 0; base <= ns::kFuture; ++base) {
    const std::string name = lower(slurm_node_state_base_string(base));
    INFO(name);
    CHECK(parse_state_complete(name) == base);
  }
}

TEST_CASE("StateComplete strings: bases, flags, combinations, case") {
  CHECK(parse_state_complete("idle") == ns::kIdle);
  CHECK(parse_state_complete("mixed") == ns::kMixed);
  CHECK(parse_state_complete("idle+drain") == (ns::kIdle | ns::kDrain));
  CHECK(parse_state_complete("allocated+drain+completing") ==
        (ns::kAllocated | ns::kDrain | ns::kCompleting));
  CHECK(parse_state_complete("down+not_responding") == (ns::kDown | ns::kNoRespond));
  CHECK(parse_state_complete("unknown+maintenance+reserved+not_responding") ==
        (ns::kUnknown | ns::kMaint | ns::kRes | ns::kNoRespond));
  CHECK(parse_state_complete("IDLE+POWERED_DOWN") == (ns::kIdle | ns::kPoweredDown));
  CHECK(parse_state_complete("idle+drain+drain") == (ns::kIdle | ns::kDrain));
  CHECK(parse_state_complete("allocated+drain+?+not_responding") ==
        (ns::kAllocated | ns::kDrain | ns::kNoRespond));
}

TEST_CASE("StateComplete: a newer Slurm's flag names are ignored, not fatal") {
  CHECK(parse_state_complete("idle+blocked") == ns::kIdle);
  CHECK(parse_state_complete("idle+maint+drain") == (ns::kIdle | ns::kDrain));
  CHECK(parse_state_complete("down+External+not_responding") == (ns::kDown | ns::kNoRespond));
}

TEST_CASE("StateComplete: unknown bases, empty or malformed names are errors") {
  for (const char* bad :
       {"", "idle+", "+drain", "idle++drain", "bogus", "idle+bo-gus", "invalid", "maint",
        "idle+ma1nt", "drain", "idle drain", "idle*", "?", "idle+drain*"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_state_complete(bad), ParseError);
  }
}

// ---------------------------------------------------------------- sinfo, captured

TEST_CASE("sinfo: captured output of the test cluster, field by field") {
  const NodeData d =
      parse_sinfo_nodes(fixture("live_sinfo_nodes.txt"), fixture("live_sinfo_partitions.txt"));
  REQUIRE(d.nodes.size() == 6);
  REQUIRE(d.partitions.size() == 2);
  Strings names;
  for (const Node& n : d.nodes) names.push_back(n.name);
  CHECK(names == Strings{"node1", "node2", "node3", "node4", "node5", "node6"});

  const Node& n1 = node(d, "node1");
  CHECK(n1.state == ns::kAllocated);
  CHECK(n1.state_name == "allocated");
  CHECK(n1.alloc_cpus == 4);
  CHECK(n1.idle_cpus == 0);
  CHECK(n1.cpus == 4);
  CHECK(n1.real_memory_bytes == 8000 * kMiB);
  CHECK(n1.free_memory_bytes == 23516 * kMiB);
  CHECK(n1.alloc_memory_bytes == 2000 * kMiB);
  CHECK(n1.cpu_load == 0.11);
  CHECK(n1.weight == 1);
  CHECK(n1.partitions == Strings{"debug"});

  const Node& n2 = node(d, "node2");
  CHECK(n2.state == (ns::kAllocated | ns::kDrain));
  CHECK(n2.state_name == "draining");
  CHECK(n2.alloc_cpus == 1);
  CHECK(n2.idle_cpus == 0);
  CHECK(n2.cpus == 4);
  CHECK(n2.alloc_memory_bytes == 800 * kMiB);
  CHECK(n2.cpu_load == 0.12);
  CHECK(n2.weight == 2);

  const Node& n3 = node(d, "node3");
  CHECK(n3.state == ns::kMixed);
  CHECK(n3.state_name == "mixed");
  CHECK(n3.alloc_cpus == 2);
  CHECK(n3.idle_cpus == 2);
  CHECK(n3.alloc_memory_bytes == 100 * kMiB);
  CHECK(n3.partitions == Strings{"debug", "batch"});

  const Node& n4 = node(d, "node4");
  CHECK(n4.state == ns::kIdle);
  CHECK(n4.cpus == 8);
  CHECK(n4.idle_cpus == 8);
  CHECK(n4.real_memory_bytes == 16000 * kMiB);
  CHECK(n4.partitions == Strings{"debug", "batch"});

  const Node& n6 = node(d, "node6");  // configured, never had a slurmd
  CHECK(n6.state == (ns::kUnknown | ns::kNoRespond));
  CHECK(n6.state_name == "unknown*");
  CHECK(n6.cpus == 2);
  CHECK(n6.idle_cpus == 2);
  CHECK(n6.real_memory_bytes == 4000 * kMiB);
  CHECK(n6.free_memory_bytes == 0);
  CHECK(n6.cpu_load == 0.0);
  CHECK(n6.weight == 6);

  CHECK(d.partitions[0].name == "debug");
  CHECK(d.partitions[0].nodes == Strings{"node1", "node2", "node3", "node4", "node5", "node6"});
  CHECK(d.partitions[1].name == "batch");
  CHECK(d.partitions[1].nodes == Strings{"node3", "node4"});
}

TEST_CASE("sinfo: captured odd states, hidden, empty and down partitions, a long name") {
  const NodeData d =
      parse_sinfo_nodes(fixture("states_sinfo_nodes.txt"), fixture("states_sinfo_partitions.txt"));
  REQUIRE(d.nodes.size() == 13);
  Strings parts;
  for (const Partition& p : d.partitions) parts.push_back(p.name);
  CHECK(parts == Strings{"main", "hidden", "empty", "downpart"});
  CHECK(partition(d, "empty").nodes.empty());
  CHECK(partition(d, "hidden").nodes == Strings{"s1", "s2"});
  CHECK(partition(d, "downpart").nodes == Strings{"s3"});
  CHECK(partition(d, "main").nodes.size() == 13);

  // sinfo prints s1 as main then hidden, s2 as hidden then main: both come out in
  // partition order, as slurm_load_partitions gives them.
  CHECK(node(d, "s1").partitions == Strings{"main", "hidden"});
  CHECK(node(d, "s2").partitions == Strings{"main", "hidden"});

  const std::string long_name = std::string(120, 'n') + "x";
  CHECK(d.nodes[0].name == long_name);
  CHECK(d.nodes[0].partitions == Strings{"main"});

  CHECK(node(d, "s1").state == (ns::kUnknown | ns::kDrain | ns::kNoRespond));
  CHECK(node(d, "s1").state_name == "drained*");
  CHECK(node(d, "s5").state == (ns::kDown | ns::kNoRespond));
  CHECK(node(d, "s6").state == (ns::kUnknown | ns::kFail | ns::kNoRespond));
  CHECK(node(d, "s6").state_name == "fail*");
  CHECK(node(d, "s7").state == (ns::kIdle | ns::kPoweredDown));
  CHECK(node(d, "s7").state_name == "idle~");
  CHECK(node(d, "s7").free_memory_bytes == 0);  // N/A
  CHECK(node(d, "s7").cpu_load == 0.08);        // but a load
  CHECK(node(d, "s8").state == (ns::kUnknown | ns::kMaint | ns::kRes | ns::kNoRespond));
  CHECK(node(d, "s8").state_name == "maint*");
  CHECK(node(d, "s9").state == (ns::kDown | ns::kRebootIssued));
  CHECK(node(d, "s9").state_name == "reboot^");
  CHECK(node(d, "s10").state == (ns::kUnknown | ns::kRes | ns::kNoRespond));
  CHECK(node(d, "s11").state == (ns::kIdle | ns::kDrain | ns::kPoweredDown));
  CHECK(node(d, "s11").state_name == "drained~");
  const Node& s12 = node(d, "s12");
  CHECK(s12.state ==
        (ns::kAllocated | ns::kDrain | ns::kPowerDown | ns::kNoRespond | ns::kPoweringUp));
  CHECK(s12.state_name == "draining#");
  CHECK(s12.alloc_cpus == 1);
  CHECK(s12.idle_cpus == 0);
  CHECK(s12.alloc_memory_bytes == 100 * kMiB);
}

TEST_CASE("sinfo: for every captured node, our state naming reproduces sinfo's StateLong") {
  // Ties the parsed bits to node_state.cpp, which the libslurm backend names states with.
  for (const auto& [nodes, parts] :
       {std::pair{"live_sinfo_nodes.txt", "live_sinfo_partitions.txt"},
        std::pair{"states_sinfo_nodes.txt", "states_sinfo_partitions.txt"}}) {
    const NodeData d = parse_sinfo_nodes(fixture(nodes), fixture(parts));
    for (const Node& n : d.nodes) {
      INFO(nodes << ": " << n.name);
      CHECK(sinfo_state_name(n.state, n.alloc_cpus, n.cpus) == n.state_name);
      CHECK(sinfo_idle_cpus(n.state, n.alloc_cpus, n.cpus) == n.idle_cpus);
    }
  }
}

// ---------------------------------------------------------------- sinfo, hostile

TEST_CASE("sinfo: every StateLong suffix is kept verbatim") {
  const NodeData d = parse_sinfo_nodes(fixture("hostile_sinfo_suffixes.txt"), "p1\n");
  const std::pair<const char*, std::uint32_t> want[] = {
      {"idle*", ns::kIdle | ns::kNoRespond},
      {"idle~", ns::kIdle | ns::kPoweredDown},
      {"idle#", ns::kIdle | ns::kPoweringUp},
      {"idle!", ns::kIdle | ns::kPowerDown},
      {"idle%", ns::kIdle | ns::kPoweringDown},
      {"allocated$", ns::kAllocated | ns::kMaint | ns::kRes},
      {"mixed@", ns::kMixed | ns::kRebootRequested},
      {"reboot^", ns::kDown | ns::kRebootIssued},
      {"mixed-", ns::kMixed | ns::kPlanned},
      {"allocated+", ns::kAllocated | ns::kCompleting},
      {"draining*", ns::kAllocated | ns::kDrain | ns::kNoRespond},
      {"inval", ns::kIdle | ns::kInvalidReg},
      {"future", ns::kFuture},
      {"idle~", ns::kIdle | ns::kCloud | ns::kPoweredDown},
      {"perfctrs", ns::kIdle | ns::kNet},
      {"drained", ns::kIdle | ns::kDrain},
      {"completing", ns::kIdle | ns::kCompleting},
      {"fail", ns::kIdle | ns::kFail},
      {"down*", ns::kDown | ns::kNoRespond},
      {"unknown", ns::kUnknown | ns::kDynamicFuture | ns::kResume},
      {"idle", ns::kIdle | ns::kDynamicNorm | ns::kPowerUp},
  };
  REQUIRE(d.nodes.size() == std::size(want));
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    INFO(d.nodes[i].name);
    CHECK(d.nodes[i].state_name == want[i].first);
    CHECK(d.nodes[i].state == want[i].second);
  }
  CHECK(d.nodes[1].free_memory_bytes == 0);
  CHECK(d.nodes[1].cpu_load == 0.0);
}

TEST_CASE("sinfo: CRLF, no final newline and blank lines give the same result") {
  const std::string nodes = fixture("live_sinfo_nodes.txt");
  const std::string parts = fixture("live_sinfo_partitions.txt");
  const NodeData want = parse_sinfo_nodes(nodes, parts);
  const auto same = [&](const NodeData& got) {
    REQUIRE(got.nodes.size() == want.nodes.size());
    for (std::size_t i = 0; i < got.nodes.size(); ++i) {
      CHECK(got.nodes[i].name == want.nodes[i].name);
      CHECK(got.nodes[i].state_name == want.nodes[i].state_name);
      CHECK(got.nodes[i].free_memory_bytes == want.nodes[i].free_memory_bytes);
      CHECK(got.nodes[i].partitions == want.nodes[i].partitions);
    }
    REQUIRE(got.partitions.size() == want.partitions.size());
    CHECK(got.partitions[1].nodes == want.partitions[1].nodes);
  };
  same(parse_sinfo_nodes(to_crlf(nodes), to_crlf(parts)));
  REQUIRE(nodes.back() == '\n');
  same(parse_sinfo_nodes(nodes.substr(0, nodes.size() - 1), parts.substr(0, parts.size() - 1)));
  same(parse_sinfo_nodes("\n" + nodes + "\n  \r\n\n", "\n" + parts + "\n"));
}

TEST_CASE("sinfo: empty output is an empty cluster") {
  const NodeData d = parse_sinfo_nodes("", "");
  CHECK(d.nodes.empty());
  CHECK(d.partitions.empty());
  const NodeData p = parse_sinfo_nodes("\n", "debug\nbatch\n");
  CHECK(p.nodes.empty());
  REQUIRE(p.partitions.size() == 2);
  CHECK(p.partitions[1].name == "batch");
  CHECK(p.partitions[1].nodes.empty());
}

TEST_CASE("sinfo: N/A is allowed in FreeMem and CPUsLoad only") {
  const NodeData d = parse_sinfo_nodes(
      node_line(5, "N/A") +
          "n2|idle|idle|0/4/0/4|8000|1|N/A|1|0|(null)|Unknown|Unknown|(null)|(null)|p1|none|\n",
      "p1\n");
  CHECK(d.nodes[0].free_memory_bytes == 0);
  CHECK(d.nodes[1].cpu_load == 0.0);
  CHECK(d.nodes[1].free_memory_bytes == kMiB);
  for (const std::size_t field : {std::size_t{3}, std::size_t{4}, std::size_t{7}, std::size_t{8}}) {
    INFO("field " << field);
    CHECK(error_line([&] { parse_sinfo_nodes(node_line(field, "N/A"), "p1\n"); }) == 1);
  }
}

TEST_CASE("sinfo: bad numbers are errors naming the line") {
  const std::vector<std::pair<std::size_t, std::string>> bad{
      {3, "0/4/0"},
      {3, "0/4/0/4/1"},
      {3, "0//0/4"},
      {3, "-1/4/0/4"},
      {3, "0/4/0/4x"},
      {3, "4294967296/0/0/4"},
      {4, "12x"},
      {4, "-8000"},
      {4, "+8000"},
      {4, " 8000"},
      {4, ""},
      {4, "18446744073709551616"},  // > uint64
      {4, "17592186044416"},        // fits uint64 as MiB but not as bytes
      {5, "1.5"},
      {6, "0.5x"},
      {6, "-0.50"},
      {6, "nan"},
      {6, "inf"},
      {6, ""},
      {7, "4294967296"},
      {7, "-1"},
      {8, "1e3"},
  };
  for (const auto& [field, value] : bad) {
    INFO("field " << field << " = \"" << value << "\"");
    // Alone, the line is output that is wholly wrong: an error naming the line.
    std::string what;
    CHECK(error_line([&] { parse_sinfo_nodes(node_line(field, value), "p1\n"); }, &what) == 1);
    CHECK(what.find("line 1") != std::string::npos);
    // Next to a good line it costs only its node, and is recorded with the value.
    const NodeData d = parse_sinfo_nodes(node_line(0, "ok") + node_line(field, value), "p1\n");
    REQUIRE(d.nodes.size() == 1);
    CHECK(d.nodes[0].name == "ok");
    REQUIRE(d.parse_errors.size() == 1);
    CHECK(d.parse_errors[0].starts_with("sinfo -N: \"n1|"));
    CHECK(d.parse_errors[0].find(value) != std::string::npos);
  }
  // The largest memory that fits in bytes is fine.
  const NodeData d = parse_sinfo_nodes(node_line(4, "17592186044415"), "p1\n");
  CHECK(d.nodes[0].real_memory_bytes == 17592186044415ULL * kMiB);
  CHECK(parse_sinfo_nodes(node_line(7, "4294967295"), "p1\n").nodes[0].weight == 4294967295u);
}

TEST_CASE("sinfo: wrong field counts, truncation and garbage cost their line only") {
  const std::string good = node_line(0, "n1");
  const std::string full = fixture("live_sinfo_nodes.txt");
  const std::string parts = fixture("live_sinfo_partitions.txt");
  const std::size_t all = parse_sinfo_nodes(full, parts).nodes.size();
  // A truncated last line (the command was cut off mid-line).
  NodeData d = parse_sinfo_nodes(full.substr(0, full.size() - 20), parts);
  CHECK(d.nodes.size() == all - 1);
  REQUIRE(d.parse_errors.size() == 1);
  CHECK(d.parse_errors[0].find("node6|unknown*") != std::string::npos);
  CHECK(d.parse_errors[0].ends_with("expected 16 fields each ending in '|'"));
  // Trailing garbage.
  d = parse_sinfo_nodes(full + "this is not sinfo output\n", parts);
  CHECK(d.nodes.size() == all);
  CHECK(d.parse_errors ==
        Strings{"sinfo -N: \"this is not sinfo output\": expected 16 fields each ending in '|'"});
  // An extra field ends up in Reason (free text, last); one too few, no trailing '|'.
  CHECK(parse_sinfo_nodes(
            good + "n2|idle|idle|0/4/0/4|8000|7000|0.5|1|0|(null)|Unknown|Unknown|(null)|(null)|"
                   "p1|none|x|\n",
            "p1")
            .nodes[1]
            .reason == "none|x");
  CHECK(parse_sinfo_nodes(good + "n2|idle|idle|0/4/0/4|8000|7000|0.5|1|p1|\n", "p1")
            .parse_errors.size() == 1);
  CHECK(parse_sinfo_nodes(good + "n2|idle|idle|0/4/0/4|8000|7000|0.5|1|0|p1\n", "p1")
            .parse_errors.size() == 1);
  // Output that is wholly wrong (no line parses) is an error with the first bad line; blank
  // lines count in the line numbers.
  std::string what;
  CHECK(error_line([&] { parse_sinfo_nodes("\n\njunk\nmore junk\n", "p1"); }, &what) == 3);
  CHECK(what.find("sinfo -N") != std::string::npos);
  // Not one node per line (sinfo without -N would aggregate).
  CHECK(error_line([&] { parse_sinfo_nodes(node_line(0, "n[1-4]"), "p1"); }) == 1);
  CHECK(error_line([&] { parse_sinfo_nodes(node_line(0, ""), "p1"); }) == 1);
  CHECK(error_line([&] { parse_sinfo_nodes(node_line(1, ""), "p1"); }) == 1);
  CHECK(error_line([&] { parse_sinfo_nodes(node_line(2, "idle+sle-epy"), "p1"); }) == 1);
  CHECK(error_line([&] { parse_sinfo_nodes(node_line(14, "*"), "p1"); }) == 1);
  // Garbage in the partition list.
  d = parse_sinfo_nodes(good, "p1\nthis is not sinfo output\n");
  CHECK(d.parse_errors ==
        Strings{"sinfo -o %R: \"this is not sinfo output\": not a partition name"});
  CHECK(error_line([&] { parse_sinfo_nodes(good, "not a partition\n"); }, &what) == 1);
  CHECK(what.find("sinfo -o %R") != std::string::npos);
}

TEST_CASE("sinfo: a node's lines must agree apart from the partition") {
  const std::string a =
      "n1|idle|idle|0/4/0/4|8000|7000|0.50|1|0|(null)|Unknown|Unknown|(null)|(null)|p1*|none|\n";
  const std::string b =
      "n1|idle|idle|0/4/0/4|8000|6999|0.50|1|0|(null)|Unknown|Unknown|(null)|(null)|p2|none|\n";
  // The disagreeing line is left out and recorded; the node keeps its first line.
  const NodeData bad = parse_sinfo_nodes(a + b, "p1\np2\n");
  REQUIRE(bad.nodes.size() == 1);
  CHECK(bad.nodes[0].free_memory_bytes == 7000 * kMiB);
  CHECK(bad.nodes[0].partitions == Strings{"p1"});
  REQUIRE(bad.parse_errors.size() == 1);
  CHECK(bad.parse_errors[0].starts_with("sinfo -N: \"n1|idle|idle|0/4/0/4|8000|6999|"));
  CHECK(bad.parse_errors[0].ends_with(": node \"n1\" differs from its line in another partition"));
  // The same node twice in one partition.
  const NodeData twice = parse_sinfo_nodes(a + a, "p1\n");
  CHECK(twice.nodes.size() == 1);
  REQUIRE(twice.parse_errors.size() == 1);
  CHECK(twice.parse_errors[0].ends_with("node \"n1\" listed twice in partition \"p1\""));
  // Agreeing lines merge.
  const NodeData d = parse_sinfo_nodes(
      a + "n1|idle|idle|0/4/0/4|8000|7000|0.50|1|0|(null)|Unknown|Unknown|(null)|(null)|p2|none|\n",
      "p2\np1\n");
  REQUIRE(d.nodes.size() == 1);
  CHECK(d.nodes[0].partitions == Strings{"p2", "p1"});
  CHECK(d.parse_errors.empty());
}

TEST_CASE("sinfo: partitions only on node lines are appended, duplicate names collapse") {
  const NodeData d = parse_sinfo_nodes(node_line(14, "late") + node_line(0, "n2"), "p1\np1\n");
  Strings names;
  for (const Partition& p : d.partitions) names.push_back(p.name);
  CHECK(names == Strings{"p1", "late"});
  CHECK(partition(d, "late").nodes == Strings{"n1"});
  CHECK(partition(d, "p1").nodes == Strings{"n2"});
}

TEST_CASE("sinfo: 250-character node names and partition names pass through") {
  const std::string name = std::string(246, 'a') + "0001";
  const std::string part = std::string(100, 'p');
  const NodeData d = parse_sinfo_nodes(
      name + "|idle|idle|0/4/0/4|8000|7000|0.50|1|0|(null)|Unknown|Unknown|(null)|(null)|" + part +
          "*|none|\n",
      part + "\n");
  REQUIRE(d.nodes.size() == 1);
  CHECK(d.nodes[0].name.size() == 250);
  CHECK(d.nodes[0].name == name);
  CHECK(d.nodes[0].partitions == Strings{part});
  CHECK(d.partitions[0].nodes == Strings{name});
}

TEST_CASE("parse errors quote at most ~200 bytes of the line, control bytes escaped") {
  const std::string line = "\x1b[31m" + std::string(1000, 'z') + "|\n";
  std::string what;
  CHECK(error_line([&] { parse_sinfo_nodes(line, ""); }, &what) == 1);
  CHECK(what.size() < 400);
  CHECK(what.find("\\x1b[31m") != std::string::npos);
  CHECK(what.find('\x1b') == std::string::npos);
  CHECK(what.find("...") != std::string::npos);
  // A cut never splits a UTF-8 character.
  const std::string utf8 = std::string(199, 'a') + "\xc3\xa9" + std::string(50, 'b') + "\n";
  CHECK(error_line([&] { parse_squeue_jobs(utf8); }, &what) == 1);
  CHECK(what.find("\xc3\xa9") == std::string::npos);
  CHECK(what.find('\xc3') == std::string::npos);
}

// ---------------------------------------------------------------- squeue

TEST_CASE("squeue: captured output of the test cluster, field by field") {
  const std::vector<Job> jobs = parse_squeue_jobs(fixture("live_squeue.txt"));
  struct Want {
    std::uint32_t id;
    const char *user, *account, *partition, *state, *reason;
    std::uint32_t cpus;
    std::uint64_t mem_mib;
  };
  const Want want[] = {
      {12, "cliuser", "(null)", "batch", "RUNNING", "None", 2, 100},
      {11, "root", "(null)", "debug", "PENDING", "ReqNodeNotAvail", 1, 100},
      {13, "root", "(null)", "debug", "PENDING", "Resources", 4, 100},
      // squeue prints the state description, not the code (JobHeldUser): left empty for the
      // backend's squeue --json.
      {6, "root", "(null)", "debug", "PENDING", "", 2, 1400},
      {8, "root", "(null)", "debug", "PENDING", "JobHeldAdmin", 64, 8000},
      {7, "root", "(null)", "debug", "PENDING", "JobHeldUser", 4, 100},
      {7, "root", "(null)", "debug", "PENDING", "JobHeldUser", 4, 100},
      {7, "root", "(null)", "debug", "PENDING", "JobHeldUser", 4, 100},
      {7, "root", "(null)", "debug", "PENDING", "JobHeldUser", 4, 100},
      {2, "root", "(null)", "debug", "PENDING", "JobHeldUser", 4, 8000},
      {1, "root", "(null)", "debug", "RUNNING", "None", 2, 1000},
      {9, "root", "(null)", "debug", "RUNNING", "None", 1, 500},   // array task 3_1
      {10, "root", "(null)", "debug", "RUNNING", "None", 1, 500},  // array task 3_2
      {3, "root", "(null)", "debug", "RUNNING", "None", 1, 500},   // array task 3_3
      {5, "root", "physics", "debug", "SUSPENDED", "None", 1, 300},
      {4, "root", "(null)", "debug,batch", "PENDING", "JobHeldUser", 3, 200},
  };
  REQUIRE(jobs.size() == std::size(want));
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    INFO("line " << i + 1);
    CHECK(jobs[i].job_id == want[i].id);
    CHECK(jobs[i].user == want[i].user);
    CHECK(jobs[i].account == want[i].account);
    CHECK(jobs[i].partition == want[i].partition);
    CHECK(jobs[i].state == want[i].state);
    CHECK(jobs[i].reason == want[i].reason);
    CHECK(jobs[i].cpus == want[i].cpus);
    CHECK(jobs[i].memory_bytes == want[i].mem_mib * kMiB);
    CHECK(jobs[i].task_count == 1);
  }
}

TEST_CASE("squeue --json: the reason code beside the description squeue's text shows") {
  // Captured together (fixtures/cli/README.md): job 1 was requeued held.
  const std::vector<Job> jobs = parse_squeue_jobs(fixture("requeue_squeue.txt"));
  REQUIRE(jobs.size() == 5);
  CHECK(jobs[3].job_id == 1);
  CHECK(jobs[3].reason.empty());  // "job requeued in held state"
  const auto codes = parse_squeue_json_reasons(fixture("requeue_squeue.json"));
  CHECK(codes == std::map<std::uint32_t, std::string>{
                     {1, "JobHeldUser"}, {2, "JobHeldUser"}, {3, "BeginTime"}});
  // Other layouts and hostile values: a record without both keys, a description where the
  // code should be, a job id out of range; garbage is an error.
  CHECK(parse_squeue_json_reasons(
            R"({"jobs":[{"job_id":5,"state_reason":"job requeued"},{"job_id":6},)"
            R"({"job_id":4294967296,"state_reason":"None"},{"job_id":7,"state_reason":"1234"},)"
            R"({"job_id":"8","state_reason":"None"},3,{"job_id":9,"state_reason":"Priority"}]})") ==
        std::map<std::uint32_t, std::string>{{7, "1234"}, {9, "Priority"}});
  CHECK_THROWS_AS(parse_squeue_json_reasons("squeue: error: plugin not found"), ParseError);
  CHECK_THROWS_AS(parse_squeue_json_reasons(R"({"jobs":{}})"), ParseError);
  CHECK_THROWS_AS(parse_squeue_json_reasons("[1]"), ParseError);
  CHECK_THROWS_AS(parse_squeue_json_reasons("{\"jobs\":[{\"state_reason\":\"\xff\"}]}"),
                  ParseError);
}

TEST_CASE("squeue: captured CONFIGURING job on a powering-up node") {
  const std::vector<Job> jobs = parse_squeue_jobs(fixture("states_squeue.txt"));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].state == "CONFIGURING");
  CHECK(jobs[0].partition == "main");
  CHECK(jobs[0].memory_bytes == 100 * kMiB);
}

TEST_CASE("squeue: unicode names, '|' inside Reason, N/A and empty TRES") {
  const std::vector<Job> jobs = parse_squeue_jobs(fixture("hostile_squeue.txt"));
  REQUIRE(jobs.size() == 6);
  CHECK(jobs[0].user == "jos\xc3\xa9");
  CHECK(jobs[0].account == "f\xc3\xadsica");
  CHECK(jobs[0].partition == "gpu,cpu");
  CHECK(jobs[0].memory_bytes == 16ULL * 1024 * kMiB);
  CHECK(jobs[1].user == "\xe7\x94\xa8\xe6\x88\xb7");
  CHECK(jobs[1].account == "\xe7\xa0\x94\xe7\xa9\xb6\xe7\xbb\x84");
  CHECK(jobs[2].reason == "ReqNodeNotAvail");
  CHECK(jobs[2].memory_bytes == 0);  // N/A
  CHECK(jobs[3].user == "\xc3\xa9moji\xf0\x9f\x98\x80");
  CHECK(jobs[3].reason.empty());  // "weird|reason" is no code; the '|' doesn't shift the fields
  CHECK(jobs[3].cpus == 4);
  CHECK(jobs[3].memory_bytes == 0);  // empty
  CHECK(jobs[4].state == "COMPLETING");
  CHECK(jobs[4].memory_bytes == 0);  // no mem=
  CHECK(jobs[5].reason == "");
  CHECK(jobs[5].account == "");
}

TEST_CASE("squeue: Feature after NumTasks' 0x1F carries '|' and brackets whole") {
  const JobData d = parse_squeue(fixture("features_squeue.txt"));
  REQUIRE(d.jobs.size() == 27);
  CHECK(d.parse_errors.empty());
  CHECK(d.features_known);
  std::map<std::uint32_t, std::string> features;
  for (const Job& j : d.jobs) features[j.job_id] = j.features;
  CHECK(features.at(20) == "fast&ssd");
  CHECK(features.at(21) == "fast|ssd");
  CHECK(features.at(22) == "[fast|ssd]");
  CHECK(features.at(23) == "fast");
  CHECK(features.at(1).empty());  // "(null)"
  // The fields before Feature are where they were: NumTasks 2 of the GPU-per-task job 18.
  const auto j18 =
      std::find_if(d.jobs.begin(), d.jobs.end(), [](const Job& j) { return j.job_id == 18; });
  REQUIRE(j18 != d.jobs.end());
  CHECK(j18->gpus_requested == 2);  // gres:gpu:1 per task, two tasks
  CHECK(j18->cpus == 2);
  // A Reason holding '|' and 0x1F does not move Feature or the fields between.
  const JobData h = parse_squeue(
      "5|u|a|p|PENDING|odd|reason\x1f here|1|cpu=1,mem=1M|N/A|N/A|N/A|N/A|N/A|N/A|N/A|1|1"
      "\x1f"
      "a|b|\n");
  REQUIRE(h.jobs.size() == 1);
  CHECK(h.jobs[0].features == "a|b");
  CHECK(h.jobs[0].cpus == 1);
  CHECK(h.features_known);
  // The older shape without Feature still parses; the features are then unknown.
  CHECK_FALSE(parse_squeue(fixture("live_squeue.txt")).features_known);
}

TEST_CASE("squeue: a bad field costs its job, recorded; alone it is an error naming the line") {
  const std::vector<std::pair<std::size_t, std::string>> bad{
      {0, "7_1"},
      {0, "-1"},
      {0, "4294967296"},
      {0, ""},
      {1, ""},
      {4, ""},
      {4, "running"},
      {4, "RUN NING"},
      {6, "N/A"},
      {6, "12x"},
      {6, "-2"},
      {6, "4294967296"},
      {6, ""},
      {7, "cpu=1,mem=abcM"},
      {7, "cpu=1,mem=4X"},
      {8, "yesterday"},
      {8, "2024-13-01T00:00:00"},
  };
  for (const auto& [field, value] : bad) {
    INFO("field " << field << " = \"" << value << "\"");
    std::string what;
    CHECK(error_line([&] { parse_squeue_jobs(job_line(field, value)); }, &what) == 1);
    CHECK(what.find("squeue") != std::string::npos);
    const JobData d = parse_squeue(job_line(0, "1") + job_line(field, value));
    REQUIRE(d.jobs.size() == 1);
    CHECK(d.jobs[0].job_id == 1);
    REQUIRE(d.parse_errors.size() == 1);
    CHECK(d.parse_errors[0].starts_with("squeue: \""));
  }
}

TEST_CASE("squeue: wrong shapes, truncation and garbage cost their line only") {
  const std::string full = fixture("live_squeue.txt");
  JobData d = parse_squeue(full.substr(0, full.size() - 15));
  CHECK(d.jobs.size() == 15);
  CHECK(d.parse_errors.size() == 1);
  d = parse_squeue(full + "garbage\n");
  CHECK(d.jobs.size() == 16);
  CHECK(d.parse_errors == Strings{"squeue: \"garbage\": expected 17 fields each ending in '|'"});
  CHECK(parse_squeue(full + "1|2|3|4|5|6|7|\n").parse_errors.size() == 1);
  // An extra field makes NumCPUs the TRES: caught.
  CHECK(error_line([&] {
          parse_squeue_jobs(
              "1|u|a|p|RUNNING|None|2|cpu=2,mem=1M|2024-03-01T10:00:00|N/A|N/A|N/A|N/A|N/A|N/A|1|1|"
              "extra|\n");
        }) == 1);
  CHECK(error_line([&] { parse_squeue_jobs("1|u|a|p|RUNNING|None|2|cpu=2\n"); }) == 1);
  CHECK(error_line([&] { parse_squeue_jobs("|\n"); }) == 1);
  // Every line wrong: not squeue's output at all.
  CHECK(error_line([&] { parse_squeue_jobs("\nno\nnot this either\n"); }) == 2);
}

TEST_CASE("squeue: empty output, CRLF, no final newline, blank lines") {
  CHECK(parse_squeue_jobs("").empty());
  CHECK(parse_squeue_jobs("\n\r\n").empty());
  const std::string full = fixture("live_squeue.txt");
  const std::vector<Job> a = parse_squeue_jobs(to_crlf(full));
  const std::vector<Job> b = parse_squeue_jobs("\n" + full.substr(0, full.size() - 1));
  REQUIRE(a.size() == 16);
  REQUIRE(b.size() == 16);
  CHECK(a[15].partition == "debug,batch");
  CHECK(a[15].memory_bytes == 200 * kMiB);
  CHECK(b[15].memory_bytes == 200 * kMiB);
  CHECK(a[1].reason == "ReqNodeNotAvail");
}

TEST_CASE("squeue: 100,000 lines") {
  std::string text;
  std::uint64_t want_cpus = 0;
  for (std::uint32_t i = 1; i <= 100'000; ++i) {
    const std::uint32_t cpus = i % 7 + 1;
    want_cpus += cpus;
    text += std::to_string(i) + "|user" + std::to_string(i % 50) + "|acct|debug|" +
            (i % 3 ? "PENDING|Priority|" : "RUNNING|None|") + std::to_string(cpus) +
            "|cpu=" + std::to_string(cpus) + ",mem=" + std::to_string(i % 1000) +
            "M,node=1|2024-03-01T10:00:00|N/A|N/A|N/A|N/A|N/A|N/A|1|1|\n";
  }
  const std::vector<Job> jobs = parse_squeue_jobs(text);
  REQUIRE(jobs.size() == 100'000);
  std::uint64_t cpus = 0, mem = 0, ids = 0;
  for (const Job& j : jobs) {
    cpus += j.cpus;
    mem += j.memory_bytes;
    ids += j.job_id;
  }
  CHECK(cpus == want_cpus);
  CHECK(ids == 100'000ULL * 100'001 / 2);
  // Sum over i of i % 1000 for i = 1..100000: 100 full cycles of 0..999.
  CHECK(mem == 100ULL * (999 * 1000 / 2) * kMiB);
  CHECK(jobs.back().user == "user0");
}

// ---------------------------------------------------------------- version, reason

TEST_CASE("sinfo --version") {
  CHECK(parse_version(fixture("live_sinfo_version.txt")) == "22.05.8");
  CHECK(parse_version("slurm 22.05.8\n") == "22.05.8");
  CHECK(parse_version("slurm 23.11.0-0rc1\r\n") == "23.11.0-0rc1");
  CHECK(parse_version("22.05.8") == "22.05.8");
  for (const char* bad : {"", "\n", "slurm-wlm\n", "slurm version\n", "slurm 22.05.8;rm\n"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_version(bad), ParseError);
  }
}

TEST_CASE("sinfo: reason, its time and uid, features; placeholders are empty") {
  setenv("TZ", "UTC", 1);
  tzset();
  const NodeData d = parse_sinfo_nodes(
      "n1|drained|idle+drain|0/0/4/4|8000|7000|0.50|1|0|gpu,fast|2026-11-25T18:20:52|root(0)|"
      "gpu:a100:2(S:0)|gpu:a100:1(IDX:0)|p1*|disk | broken, see ticket|\n"
      "n2|idle|idle|0/4/0/4|8000|7000|0.50|1|0|(null)|Unknown|Unknown|(null)|(null)|p1*|none|\n"
      "n3|down*|down+not_responding|0/0/4/4|8000|N/A|N/"
      "A|1|0|(null)|Unknown|nobody(4242)|(null)|(null)|p1*|"
      "Not responding|\n",
      "p1\n");
  REQUIRE(d.nodes.size() == 3);
  CHECK(d.nodes[0].reason == "disk | broken, see ticket");
  CHECK(d.nodes[0].reason_time == 1795630852);
  CHECK(d.nodes[0].reason_user == "0");  // the backend names it
  CHECK(d.nodes[0].features == "gpu,fast");
  CHECK(d.nodes[0].gres == std::vector<GresCount>{{"gpu", "a100", 2}});
  CHECK(d.nodes[0].gres_used == std::vector<GresCount>{{"gpu", "a100", 1}});
  CHECK(d.nodes[1].gres.empty());
  CHECK(d.nodes[1].reason.empty());
  CHECK(d.nodes[1].reason_time == 0);
  CHECK(d.nodes[1].reason_user.empty());
  CHECK(d.nodes[1].features.empty());
  CHECK(d.nodes[2].reason == "Not responding");
  CHECK(d.nodes[2].reason_time == 0);
  CHECK(d.nodes[2].reason_user == "4242");
  const auto with_reason = [](const std::string& time) {
    std::string line = node_line(10, time);
    return line.replace(line.rfind("none|"), 4, "why");
  };
  CHECK(parse_sinfo_nodes(with_reason("1970-01-01T00:00:10"), "p1").nodes[0].reason_time == 10);
  CHECK(error_line([&] { parse_sinfo_nodes(with_reason("2026-13-01T00:00:00"), "p1"); }) == 1);
  CHECK(error_line([&] { parse_sinfo_nodes(with_reason("yesterday"), "p1"); }) == 1);
  // A timestamp without a reason is ignored (sinfo prints one only with a reason).
  CHECK(parse_sinfo_nodes(node_line(10, "junk"), "p1").nodes[0].reason_time == 0);
}

// One node as Slurm 22.05's `scontrol -a -d -o show node` prints it, and its partitions.
std::string lone_node(const std::string& reason = "", const std::string& parts = "") {
  return "NodeName=n9 Arch=aarch64 CoresPerSocket=1 CPUAlloc=2 CPUEfctv=8 CPUTot=8 "
         "CPULoad=1.25 AvailableFeatures=big,fast ActiveFeatures=big,fast Gres=gpu:a100:2 "
         "GresUsed=gpu:a100:1(IDX:0) NodeAddr=127.0.0.1 NodeHostName=localhost "
         "Version=22.05.8 OS=Linux 6.1.0 #1 SMP RealMemory=4000 AllocMem=1000 FreeMem=3000 "
         "Sockets=8 Boards=1 State=MIXED+DRAIN ThreadsPerCore=1 TmpDisk=0 Weight=5 "
         "Owner=N/A MCS_label=N/A " +
         (parts.empty() ? "" : "Partitions=" + parts + " ") +
         "BootTime=2026-11-30T06:00:00 "
         "SlurmdStartTime=2026-11-30T06:00:01 LastBusyTime=2026-11-30T06:00:02 "
         "CfgTRES=cpu=8,mem=4000M AllocTRES=cpu=2 CapWatts=n/a CurrentWatts=0 AveWatts=0 "
         "ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s" +
         (reason.empty() ? "" : " Reason=" + reason) + "\n";
}

// A partition line as `scontrol -a -o show partition` prints it (the fields the parser reads).
std::string partition_line(const std::string& name, const std::string& state = "UP") {
  return "PartitionName=" + name + " AllowGroups=ALL Default=NO Hidden=NO MaxTime=1-00:00:00 " +
         "Nodes=n[1-9] State=" + state + " TotalCPUs=16 TotalNodes=2 SelectTypeParameters=NONE\n";
}

Strings node_names(const NodeData& d) {
  Strings out;
  for (const Node& n : d.nodes) out.push_back(n.name);
  return out;
}

const Node& node_named(const NodeData& d, const std::string& name) {
  for (const Node& n : d.nodes) {
    if (n.name == name) return n;
  }
  FAIL("no node " << name);
  throw std::logic_error("unreachable");
}

TEST_CASE("scontrol show node: every field of a node, its partitions in partition order") {
  const NodeData d = parse_scontrol_nodes(
      lone_node("disk  [died] again [slurm@1970-01-01T00:00:10]", "p2,p1"),
      partition_line("p1") + partition_line("p2", "DRAIN") + partition_line("empty", "DOWN"));
  REQUIRE(d.nodes.size() == 1);
  const Node& n = d.nodes[0];
  CHECK(n.name == "n9");
  CHECK(n.state == (ns::kMixed | ns::kDrain));
  CHECK(n.state_name == "draining");
  CHECK(n.cpus == 8);
  CHECK(n.alloc_cpus == 2);
  CHECK(n.idle_cpus == 0);  // draining: sinfo counts none idle
  CHECK(n.cpu_load == 1.25);
  CHECK(n.real_memory_bytes == 4000 * kMiB);
  CHECK(n.alloc_memory_bytes == 1000 * kMiB);
  CHECK(n.free_memory_bytes == 3000 * kMiB);
  CHECK(n.weight == 5);
  CHECK(n.features == "big,fast");
  CHECK(n.arch == "aarch64");
  REQUIRE(n.gres.size() == 1);
  CHECK(n.gres[0].count == 2);
  REQUIRE(n.gres_used.size() == 1);
  CHECK(n.gres_used[0].count == 1);
  CHECK(n.partitions == Strings{"p1", "p2"});
  // The reason keeps its own brackets and spaces; the stamp ends the line.
  CHECK(n.reason == "disk  [died] again");
  CHECK(n.reason_user == "slurm");
  CHECK(n.reason_time == 10);
  REQUIRE(d.partitions.size() == 3);
  CHECK(d.partitions[0].name == "p1");
  CHECK(d.partitions[0].state == "up");
  CHECK(d.partitions[0].total_cpus == 16);
  CHECK(d.partitions[0].total_nodes == 2);
  CHECK(d.partitions[0].max_time_seconds == 86400);
  CHECK(d.partitions[0].nodes == Strings{"n9"});
  CHECK(d.partitions[1].state == "drain");
  CHECK(d.partitions[2].name == "empty");
  CHECK(d.partitions[2].state == "down");
  CHECK(d.partitions[2].nodes.empty());
  CHECK(d.parse_errors.empty());
}

TEST_CASE("scontrol show node: live 22.05 output, two nodes in no partition") {
  const NodeData d = parse_scontrol_nodes(fixture("live_scontrol_nodes.txt"),
                                          fixture("live_scontrol_partitions.txt"));
  CHECK(d.parse_errors.empty());
  CHECK(node_names(d) == Strings{"node1", "node2", "node3", "node4", "node5", "node6"});
  CHECK(d.nodes[0].arch == "x86_64");
  CHECK(d.nodes[0].partitions == Strings{"debug"});
  CHECK(d.nodes[3].partitions == Strings{"debug", "batch"});
  const Node& drained = d.nodes[1];
  CHECK(drained.partitions.empty());
  CHECK(drained.state == (ns::kIdle | ns::kDrain));
  CHECK(drained.state_name == "drained");
  CHECK(drained.cpus == 4);
  CHECK(drained.idle_cpus == 0);
  CHECK(drained.real_memory_bytes == 8000 * kMiB);
  CHECK(drained.free_memory_bytes == 21666 * kMiB);
  CHECK(drained.weight == 2);
  CHECK(drained.gres.size() == 2);
  CHECK(drained.reason == "gpu swap [ticket 12]");
  CHECK(drained.reason_user == "root");
  CHECK(drained.reason_time == text::parse_local_time("2026-11-30T06:51:44"));
  const Node& dead = d.nodes[5];
  CHECK(dead.arch.empty());  // never registered
  CHECK(dead.partitions.empty());
  CHECK(dead.state_name == "unknown");
  CHECK(dead.cpus == 2);
  CHECK(dead.cpu_load == 0.0);         // CPULoad=N/A
  CHECK(dead.free_memory_bytes == 0);  // FreeMem=N/A
  CHECK(dead.reason.empty());
  CHECK(d.partitions[0].nodes == Strings{"node1", "node3", "node4", "node5"});
  CHECK(d.partitions[1].nodes == Strings{"node3", "node4"});
}

// The same moment seen by sinfo -N and by scontrol: every field the node families use must be
// equal (sinfo is the other, independent reading of slurmctld's nodes).
std::size_t check_same_as_sinfo(const std::string& capture) {
  CAPTURE(capture);
  const NodeData sc = parse_scontrol_nodes(fixture(capture + "_scontrol_nodes.txt"),
                                           fixture(capture + "_scontrol_partitions.txt"));
  const NodeData si = parse_sinfo_nodes(fixture(capture + "_sinfo_nodes.txt"),
                                        fixture(capture + "_sinfo_partitions.txt"));
  CHECK(sc.parse_errors.empty());
  std::size_t compared = 0;
  for (const Node& b : si.nodes) {
    CAPTURE(b.name);
    const Node& a = node_named(sc, b.name);
    CHECK(a.state_name == b.state_name);
    CHECK(a.idle_cpus == b.idle_cpus);
    CHECK(a.cpus == b.cpus);
    CHECK(a.alloc_cpus == b.alloc_cpus);
    CHECK(primary_state(a.state, a.alloc_cpus, a.cpus) ==
          primary_state(b.state, b.alloc_cpus, b.cpus));
    CHECK((a.state & ~ns::kBaseMask) == (b.state & ~ns::kBaseMask));  // the flags
    CHECK(a.real_memory_bytes == b.real_memory_bytes);
    CHECK(a.alloc_memory_bytes == b.alloc_memory_bytes);
    CHECK(a.free_memory_bytes == b.free_memory_bytes);
    CHECK(a.cpu_load == b.cpu_load);
    CHECK(a.weight == b.weight);
    CHECK(a.features == b.features);
    CHECK(a.gres == b.gres);
    CHECK(a.gres_used == b.gres_used);
    CHECK(a.partitions == b.partitions);
    CHECK(a.reason == b.reason);
    CHECK(a.reason_time == b.reason_time);
    CHECK(b.reason_user == (b.reason.empty() ? "" : "0"));  // sinfo's uid: root's
    CHECK(a.reason_user == (a.reason.empty() ? "" : "root"));
    ++compared;
  }
  CHECK(compared >= 6);
  REQUIRE(sc.partitions.size() == si.partitions.size());
  for (std::size_t i = 0; i < sc.partitions.size(); ++i) {
    CHECK(sc.partitions[i].name == si.partitions[i].name);
    Strings nodes;  // without the nodes whose sinfo lines did not parse
    for (const std::string& n : sc.partitions[i].nodes) {
      if (std::any_of(si.nodes.begin(), si.nodes.end(),
                      [&](const Node& x) { return x.name == n; })) {
        nodes.push_back(n);
      }
    }
    CHECK(nodes == si.partitions[i].nodes);
  }
  return si.nodes.size();
}

TEST_CASE("scontrol show node: the same nodes as sinfo -N, captured live in many states") {
  // busy: mixed, mixed+drain (draining), idle+drain with a hostile reason (Latin-1, control
  // bytes, a fake " [evil@…]" stamp, "State=" and "Partitions=" inside), allocated+drain with
  // a two-line reason, unknown+maintenance+reserved, down; fail: idle+fail.
  // sinfo prints node5's two-line reason on two lines, which its parser leaves out.
  CHECK(check_same_as_sinfo("busy") == 6);
  CHECK(check_same_as_sinfo("fail") == 6);
  const NodeData d = parse_scontrol_nodes(fixture("busy_scontrol_nodes.txt"),
                                          fixture("busy_scontrol_partitions.txt"));
  const Node& hostile = node_named(d, "node3");
  CHECK(
      hostile.reason ==
      "M\xfcller \xc3( ctl\x01\x1b[31m fake [evil@2020-01-02T03:04:05] State=IDLE Partitions=x|y");
  CHECK(hostile.reason_user == "root");
  CHECK(hostile.reason_time == text::parse_local_time("2026-12-07T05:16:00"));
  CHECK(hostile.partitions == Strings{"debug", "batch"});
  CHECK(hostile.state_name == "drained");
  // sinfo prints a two-line reason on two lines (so its parser drops them); scontrol's one-line
  // form gives it back.
  const Node& two_lines = node_named(d, "node5");
  CHECK(two_lines.reason == "line one\nline two [x@2021-01-01T00:00:00]");
  CHECK(two_lines.reason_user == "root");
  CHECK(two_lines.reason_time == text::parse_local_time("2026-12-07T05:16:00"));
  CHECK(two_lines.state_name == "draining");
  CHECK(two_lines.idle_cpus == 0);
  CHECK(node_named(d, "node6").state_name == "maint");
  CHECK(node_named(d, "node7").state_name == "down");
  CHECK(node_named(d, "node1").state_name == "mixed");
  CHECK(node_named(d, "node1").idle_cpus == 2);
  CHECK(node_names(d) == Strings{"node1", "node2", "node3", "node4", "node5", "node6", "node7"});
}

TEST_CASE("scontrol show node: reasons without a time, on several lines, with later fields") {
  const auto reason_of = [](const std::string& r) {
    return parse_scontrol_nodes(lone_node(r, "p1"), partition_line("p1")).nodes.at(0);
  };
  Node n = reason_of("maintenance Partitions=p1 Comment=later");
  CHECK(n.reason == "maintenance Partitions=p1");
  CHECK(n.reason_user.empty());
  CHECK(n.reason_time == 0);
  n = reason_of("a        b          c");
  CHECK(n.reason == "a\nb\n  c");
  n = reason_of("a [u@2026-01-01T00:00:00]        b [v@2020-01-01T00:00:00] Extra=z");
  CHECK(n.reason == "a\nb [v@2020-01-01T00:00:00]");
  CHECK(n.reason_user == "u");
  n = reason_of("fake [evil@2020-01-01T00:00:00] [root@1970-01-01T00:00:10]");
  CHECK(n.reason == "fake [evil@2020-01-01T00:00:00]");
  CHECK(n.reason_user == "root");
  CHECK(n.reason_time == 10);
  n = reason_of("not a stamp [x@yesterday]");
  CHECK(n.reason == "not a stamp [x@yesterday]");
  CHECK(n.reason_time == 0);
  CHECK(reason_of("").reason.empty());
}

TEST_CASE("scontrol show node: placeholders") {
  std::string line = lone_node("", "p1");
  const auto swap = [&](const std::string& from, const std::string& to) {
    line.replace(line.find(from), from.size(), to);
  };
  swap("CPULoad=1.25", "CPULoad=N/A");
  swap("FreeMem=3000", "FreeMem=N/A");
  swap("AvailableFeatures=big,fast", "AvailableFeatures=(null)");
  swap("GresUsed=gpu:a100:1(IDX:0) ", "");
  swap("Gres=gpu:a100:2", "Gres=(null)");
  swap("State=MIXED+DRAIN", "State=IDLE+NOT_RESPONDING");
  swap("CPUAlloc=2", "CPUAlloc=0");
  swap("Arch=aarch64", "Arch=(null)");
  const NodeData d = parse_scontrol_nodes(line, partition_line("p1"));
  REQUIRE(d.nodes.size() == 1);
  const Node& n = d.nodes[0];
  CHECK(n.cpu_load == 0.0);
  CHECK(n.free_memory_bytes == 0);
  CHECK(n.features.empty());
  CHECK(n.arch.empty());
  CHECK(n.gres.empty());
  CHECK(n.gres_used.empty());
  CHECK(n.state_name == "idle*");
  CHECK(n.idle_cpus == 8);
}

TEST_CASE("scontrol show node: a malformed field costs that node, recorded") {
  const std::string ok = lone_node("", "p1");
  std::string ok2 = ok;
  ok2.replace(ok2.find("NodeName=n9"), 11, "NodeName=n1");
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"CPUTot=8", "CPUTot=eight"},
                                                        {"CPUAlloc=2", "CPUAlloc=-2"},
                                                        {"RealMemory=4000", "RealMemory="},
                                                        {"FreeMem=3000", "FreeMem=lots"},
                                                        {"CPULoad=1.25", "CPULoad=-1"},
                                                        {"Weight=5", "Weight=99999999999"},
                                                        {"State=MIXED+DRAIN", "State=BUSY"},
                                                        {"State=MIXED+DRAIN", "State="},
                                                        {"Partitions=p1", "Partitions=p1,,p2"},
                                                        {"Partitions=p1", "Partitions=p1,p1"},
                                                        {"OS=Linux", "OS=Linux State=IDLE"}}) {
    CAPTURE(to);
    std::string line = ok;
    line.replace(line.find(from), from.size(), to);
    const NodeData d = parse_scontrol_nodes(ok2 + line, partition_line("p1"));
    CHECK(node_names(d) == Strings{"n1"});
    REQUIRE(d.parse_errors.size() == 1);
    CHECK(d.parse_errors[0].starts_with("scontrol -a -d -o show node: \"NodeName="));
    std::string what;
    CHECK(error_line([&] { parse_scontrol_nodes(line, partition_line("p1")); }, &what) == 1);
    CHECK(what.find("scontrol -a -d -o show node") != std::string::npos);
  }
  // Bad GRES costs the node its GRES only.
  std::string line = ok;
  line.replace(line.find("Gres=gpu:a100:2"), 15, "Gres=gpu:a100:x");
  const NodeData g = parse_scontrol_nodes(line, partition_line("p1"));
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].gres.empty());
  CHECK(g.nodes[0].gres_used.empty());
  CHECK(g.nodes[0].real_memory_bytes == 4000 * kMiB);
  REQUIRE(g.parse_errors.size() == 1);
  CHECK(g.parse_errors[0].starts_with("node n9 Gres: \"gpu:a100:x\": "));
  const NodeData twice = parse_scontrol_nodes(ok + ok2 + ok, partition_line("p1"));
  CHECK(node_names(twice) == Strings{"n9", "n1"});
  CHECK(twice.parse_errors.size() == 1);
  // A bad partition line costs that partition's settings; its nodes still name it.
  const NodeData p =
      parse_scontrol_nodes(ok, partition_line("p1", "SLEEPY") + partition_line("p2"));
  REQUIRE(p.partitions.size() == 2);
  CHECK(p.partitions[0].name == "p2");
  CHECK(p.partitions[1].name == "p1");
  CHECK(p.partitions[1].state.empty());
  CHECK(p.partitions[1].nodes == Strings{"n9"});
  CHECK(p.parse_errors.size() == 1);
  // Output that is not scontrol's at all is an error naming its line.
  CHECK(error_line([&] { parse_scontrol_nodes("NodeName=x garbage\n", ""); }) == 1);
  CHECK(error_line([&] { parse_scontrol_nodes("not scontrol\nnor this\n", ""); }) == 1);
  CHECK(parse_scontrol_nodes("", "No partitions in the system\n").partitions.empty());
  CHECK(parse_scontrol_nodes("", "").nodes.empty());
}

TEST_CASE("squeue: SubmitTime is local time as unix seconds, N/A is 0") {
  std::tm tm{};
  tm.tm_year = 2024 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 1;
  tm.tm_hour = 10;
  tm.tm_isdst = -1;
  const auto expected = static_cast<std::int64_t>(std::mktime(&tm));
  CHECK(parse_squeue_jobs(job_line(0, "1"))[0].submit_time == expected);
  for (const Job& j : parse_squeue_jobs(fixture("live_squeue.txt"))) {
    CHECK(j.submit_time == expected);
  }
  CHECK(parse_squeue_jobs(job_line(8, "N/A"))[0].submit_time == 0);
}

TEST_CASE("scontrol -a -o show partition: state, totals and MaxTime, in scontrol's order") {
  const NodeData d = parse_scontrol_nodes(
      "",
      "PartitionName=debug AllowGroups=ALL Default=YES MaxTime=UNLIMITED Nodes=node[1-3] "
      "State=UP TotalCPUs=16 TotalNodes=3 SelectTypeParameters=NONE\n"
      "PartitionName=batch MaxTime=1-02:03:04 State=DRAIN TotalCPUs=4294967296 TotalNodes=2\r\n"
      "PartitionName=off MaxTime=00:30:00 State=INACTIVE TotalCPUs=0 TotalNodes=0\n"
      "PartitionName=dn MaxTime=00:00:01 State=DOWN TotalCPUs=0 TotalNodes=0\n"
      "\n");
  const auto& parts = d.partitions;
  REQUIRE(parts.size() == 4);
  CHECK(parts[0].name == "debug");
  CHECK(parts[0].state == "up");
  CHECK(parts[0].total_cpus == 16);
  CHECK(parts[0].total_nodes == 3);
  CHECK_FALSE(parts[0].max_time_seconds.has_value());
  CHECK(parts[1].name == "batch");
  CHECK(parts[1].state == "drain");
  CHECK(parts[1].total_cpus == 4294967296ULL);  // no 32-bit wrap
  CHECK(parts[1].max_time_seconds == ((24 + 2) * 60 + 3) * 60 + 4);
  CHECK(parts[2].state == "inactive");
  CHECK(parts[2].max_time_seconds == 1800);
  CHECK(parts[3].state == "down");
  CHECK_THROWS_AS(parse_scontrol_nodes("",
                                       "PartitionName=x State=WEIRD TotalCPUs=1 "
                                       "TotalNodes=1 MaxTime=UNLIMITED\n"),
                  ParseError);
  CHECK_THROWS_AS(parse_scontrol_nodes("",
                                       "PartitionName=x State=UP TotalCPUs=a "
                                       "TotalNodes=1 MaxTime=UNLIMITED\n"),
                  ParseError);
}

TEST_CASE("time limits: UNLIMITED, [days-]hh:mm:ss, junk") {
  CHECK_FALSE(parse_time_limit("UNLIMITED").has_value());
  CHECK_FALSE(parse_time_limit("INFINITE").has_value());
  CHECK(parse_time_limit("00:00:00") == 0u);
  CHECK(parse_time_limit("12:34:56") == 45296u);
  CHECK(parse_time_limit("365-00:00:00") == 365u * 86400);
  for (const char* bad :
       {"", "1:2", "1-2", "a:b:c", "1:2:3:4", "-1:00:00", "1-:00:00:00", "NONE"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_time_limit(bad), ParseError);
  }
}

TEST_CASE("captured GPU cluster: node GRES, used GRES, job requests and JOB_GRES") {
  const NodeData d =
      parse_sinfo_nodes(fixture("gpu_sinfo_nodes.txt"), fixture("gpu_sinfo_partitions.txt"));
  using List = std::vector<GresCount>;
  CHECK(node(d, "node1").gres == List{{"gpu", "a100", 4}});
  CHECK(node(d, "node1").gres_used == List{{"gpu", "a100", 3}, {"shard", "", 0}});
  CHECK(node(d, "node2").gres == List{{"gpu", "a100", 2}, {"gpu", "v100", 2}});
  CHECK(node(d, "node2").gres_used ==
        List{{"gpu", "a100", 2}, {"gpu", "v100", 1}, {"shard", "", 0}});
  CHECK(node(d, "node3").gres.empty());
  CHECK(node(d, "node4").gres == List{{"gpu", "", 4}, {"shard", "", 8}});
  CHECK(node(d, "node4").gres_used == List{{"gpu", "", 3}, {"shard", "", 1}});

  const std::vector<Job> jobs = parse_squeue_jobs(fixture("gpu_squeue.txt"));
  REQUIRE(jobs.size() == 10);
  std::map<std::uint32_t, std::uint64_t> requested;
  for (const Job& j : jobs) requested[j.job_id] = j.gpus_requested;
  CHECK(requested[5] == 2);   // --hold --gpus=2
  CHECK(requested[6] == 2);   // --gres=gpu:a100:2
  CHECK(requested[7] == 3);   // --gpus=3
  CHECK(requested[8] == 2);   // -N2 --gpus-per-node=1
  CHECK(requested[9] == 2);   // -n2 --gpus-per-task=1
  CHECK(requested[10] == 0);  // --gres=shard:2: not a GPU
  CHECK(requested[11] == 4);  // --gpus=a100:4
  CHECK(requested[12] == 2);  // array, --gpus-per-node=2
  for (const Job& j : jobs) {
    if (j.job_id == 5) {
      CHECK(j.eligible_time == 0);  // held: N/A
      CHECK(j.start_time == 0);
    }
    if (j.job_id == 6) {
      CHECK(j.eligible_time > 0);
      CHECK(j.start_time >= j.eligible_time);
    }
  }

  const auto gres = parse_scontrol_job_gres(fixture("gpu_scontrol_show_job.txt"));
  CHECK(gres.at(5).empty());
  CHECK(gres.at(6) == List{{"gpu", "a100", 2}});
  CHECK(gres.at(7) == List{{"gpu", "a100", 2}, {"gpu", "v100", 1}});
  CHECK(gres.at(8) == List{{"gpu", "a100", 1}, {"gpu", "", 1}});
  CHECK(gres.at(9) == List{{"gpu", "", 2}});
  CHECK(gres.at(10) == List{{"shard", "", 2}});
}

TEST_CASE("scontrol -d show job: bad JobId or GRES costs that job, recorded") {
  CHECK_THROWS_AS(parse_scontrol_job_gres("JobId=x JOB_GRES=gpu:1\n"), ParseError);
  CHECK_THROWS_AS(parse_scontrol_job_gres("JobId=1 JOB_GRES=gpu:a100:x\n"), ParseError);
  CHECK_THROWS_AS(parse_scontrol_job_gres("JobId=2 JOB_GRES=gpu:1\nJobId=1 JOB_GRES=gpu:a:x\n"),
                  ParseError);
  Strings errors;
  const auto gres = parse_scontrol_job_gres(
      "JobId=2 JOB_GRES=gpu:1\nJobId=1 JOB_GRES=gpu:a100:x\nJobId=3 JobName=a JOB_GRES=gpu:9 "
      "JOB_GRES=gpu:1\n",
      &errors);
  CHECK(gres.size() == 1);
  CHECK(gres.at(2) == std::vector<GresCount>{{"gpu", "", 1}});
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].starts_with("scontrol -d -o show job: \"JobId=1 JOB_GRES=gpu:a100:x\": "));
  CHECK(errors[1].ends_with("JOB_GRES= appears twice (a value holds text shaped like a field)"));
  CHECK(parse_scontrol_job_gres("no job here\nJobId=3 JOB_GRES=(null)\n").at(3).empty());
  // Per-node detail (GRES=… with IDX) is not the job total.
  CHECK(parse_scontrol_job_gres("JobId=4 JOB_GRES=gpu:2   Nodes=n1 GRES=gpu:1(IDX:0)\n").at(4) ==
        std::vector<GresCount>{{"gpu", "", 2}});
}

TEST_CASE("squeue: bad GPU requests cost the request only; bad times and counts the job") {
  const JobData d = parse_squeue(job_line(12, "gres:gpu:x"));
  REQUIRE(d.jobs.size() == 1);
  CHECK(d.jobs[0].gpus_requested == 0);
  CHECK(d.jobs[0].cpus == 2);
  REQUIRE(d.parse_errors.size() == 1);
  CHECK(d.parse_errors[0].starts_with("job 42 tres-per-*: \"N/A|gres:gpu:x|N/A|N/A\": "));
  CHECK(error_line([&] { parse_squeue_jobs(job_line(15, "two")); }) == 1);
  CHECK(error_line([&] { parse_squeue_jobs(job_line(9, "yesterday")); }) == 1);
  CHECK(parse_squeue_jobs(job_line(12, "gres:gpu:2"))[0].gpus_requested == 2);
  CHECK(parse_squeue_jobs(job_line(14, "gres:gpu:1"))[0].gpus_requested == 1);
  CHECK(parse_squeue_jobs(job_line(12, "gres:gpu:2K"))[0].gpus_requested == 2048);
}
