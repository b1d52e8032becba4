# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of the harness itself (no cluster, no exporter): the parsers of Slurm's output and the
family comparison must catch every kind of difference, or the live tests could pass vacuously."""

from __future__ import annotations

import pytest

from harness import (MIB, L, Scrape, SlurmView, compare_family, distinct_nodes,
                     expand_task_ids, expected_metrics, job_memory, parse_kv_line,
                     parse_mem_to_bytes, parse_sinfo, parse_squeue, sanitizer_report,
                     tres_mem_bytes)


def test_parse_kv_line_keeps_values_with_spaces():
    rec = parse_kv_line("NodeName=node3 Arch=x86_64 OS=Linux 6.1.0 #1 SMP AllocMem=2400 "
                        "Reason=maint test [root@2026-11-25T17:00:00] ReqB:S:C:T=0:0:*:*")
    assert rec["NodeName"] == "node3"
    assert rec["OS"] == "Linux 6.1.0 #1 SMP"
    assert rec["AllocMem"] == "2400"
    assert rec["Reason"] == "maint test [root@2026-11-25T17:00:00]"
    assert rec["ReqB:S:C:T"] == "0:0:*:*"


def test_memory_units_are_binary():
    assert parse_mem_to_bytes("1400M") == 1400 * MIB
    assert parse_mem_to_bytes("2G") == 2048 * MIB
    assert parse_mem_to_bytes("512K") == 512 * 1024
    assert parse_mem_to_bytes("1.5T") == 1536 * 1024 * MIB
    assert tres_mem_bytes("cpu=2,mem=1400M,node=1,billing=2") == 1400 * MIB
    assert tres_mem_bytes("cpu=2,node=1") == 0
    with pytest.raises(ValueError):
        parse_mem_to_bytes("lots")


def test_expand_task_ids():
    assert expand_task_ids("1-5") == {1, 2, 3, 4, 5}
    assert expand_task_ids("1,3-4") == {1, 3, 4}
    assert expand_task_ids("1-9:4%2") == {1, 5, 9}
    assert expand_task_ids("[2-3]") == {2, 3}


def test_sinfo_and_squeue_lines():
    (n,) = parse_sinfo("node5|debug|down*|0/0/4/4|8000|N/A|N/A|5\n")
    assert (n.state, n.alloc_cpus, n.idle_cpus, n.total_cpus) == ("down*", 0, 0, 4)
    assert (n.free_mem_mib, n.cpu_load, n.weight) == (0, 0, 5)
    (j,) = parse_squeue("10_3|10|3|root|(null)|debug,batch|PENDING|4|ReqNodeNotAvail, "
                        "UnavailableNodes:node1|x\n")
    assert j.partition == "debug,batch" and j.cpus == 4
    assert j.reason == "ReqNodeNotAvail, UnavailableNodes:node1|x"
    with pytest.raises(ValueError):
        parse_sinfo("node1|debug|idle\n")


def test_job_memory_matches_array_tasks_to_their_record():
    jobs = parse_squeue("10_1|10|1|root|a|p|PENDING|4|Resources\n"
                        "10_2|10|2|root|a|p|PENDING|4|Resources\n"
                        "11|11|N/A|root|a|p|RUNNING|2|None\n"
                        "12_7|12|7|root|a|p|RUNNING|1|None\n")
    recs = [parse_kv_line("JobId=10 ArrayJobId=10 ArrayTaskId=1-2 JobState=PENDING "
                          "TRES=cpu=4,mem=2G,node=1"),
            parse_kv_line("JobId=11 JobState=RUNNING TRES=cpu=2,mem=1400M,node=1"),
            parse_kv_line("JobId=13 ArrayJobId=12 ArrayTaskId=7 JobState=RUNNING "
                          "TRES=cpu=1,mem=100M,node=1")]
    assert job_memory(jobs, recs) == {"10_1": 2048 * MIB, "10_2": 2048 * MIB,
                                      "11": 1400 * MIB, "12_7": 100 * MIB}


def test_distinct_nodes_counts_a_node_once_and_rejects_contradictions():
    rows = parse_sinfo("node3|debug|idle|0/4/0/4|8000|100|0.5|3\n"
                       "node3|batch|idle|0/4/0/4|8000|100|0.5|3\n")
    assert len(distinct_nodes(rows)) == 1
    bad = parse_sinfo("node3|debug|idle|0/4/0/4|8000|100|0.5|3\n"
                      "node3|batch|mixed|1/3/0/4|8000|100|0.5|3\n")
    with pytest.raises(AssertionError):
        distinct_nodes(bad)


def _view() -> SlurmView:
    sinfo = ("node1|debug|mixed|1/3/0/4|8000|7000|0.25|1\n"
             "node2|debug|idle|0/4/0/4|8000|N/A|N/A|2\n"
             "node2|batch|idle|0/4/0/4|8000|N/A|N/A|2\n")
    squeue = ("1|1|N/A|alice|(null)|debug|RUNNING|1|None\n"
              "2|2|N/A|bob|chem|debug,batch|PENDING|2|(Resources)\n")
    jobs = parse_squeue(squeue)
    return SlurmView(nodes=tuple(parse_sinfo(sinfo)),
                     node_alloc_mem_mib=(("node1", 1000), ("node2", 0)),
                     jobs=tuple(jobs), job_mem_bytes=(("1", 1000 * MIB), ("2", 500 * MIB)),
                     raw_sinfo=sinfo, raw_squeue=squeue)


def test_expected_metrics_of_a_small_cluster():
    e = expected_metrics(_view())
    assert e["slurm_cpus_total"] == {L(): 8}  # node2 once, although in two partitions
    assert e["slurm_cpus_idle"] == {L(): 7}
    assert e["slurm_mem_free"] == {L(): 7000 * MIB}  # N/A counts as 0
    assert e["slurm_mem_alloc"] == {L(): 1000 * MIB}
    assert e["slurm_cpu_load"] == {L(): 0.25}
    assert e["slurm_node_count_per_state"] == {L(state="mixed"): 1, L(state="idle"): 1}
    assert e["slurm_partition_total_cpus"] == {L(partition="debug"): 8, L(partition="batch"): 4}
    assert e["slurm_partition_alloc_cpus"][L(partition="debug", state="mixed")] == 1
    assert e["slurm_partition_weight"] == {L(partition="debug"): 3, L(partition="batch"): 2}
    assert e["slurm_pending_reason_total"] == {L(reason="Resources"): 1}
    assert e["slurm_partition_job_state_total"] == {L(partition="debug", state="RUNNING"): 1,
                                                    L(partition="debug,batch", state="PENDING"): 1}
    assert e["slurm_account_job_state_mem_alloc"][L(account="chem", state="PENDING")] == 500 * MIB
    assert e["slurm_jobs_pending"] == {L(): 1} and e["slurm_jobs_running"] == {L(): 1}


def test_compare_family_catches_every_difference():
    exp = {L(state="idle"): 1.0, L(state="mixed"): 1.0}
    full = {L(state=s): 0.0 for s in ("idle", "mixed", "allocated", "down", "drained",
                                      "draining", "completing")}
    full.update(exp)
    assert compare_family("slurm_node_count_per_state", exp, full) == []
    # wrong value, missing series, unexpected series, missing family, missing zero series
    assert compare_family("slurm_node_count_per_state", exp, {**full, L(state="idle"): 2.0})
    assert compare_family("slurm_node_count_per_state", exp,
                          {k: v for k, v in full.items() if k != L(state="mixed")})
    assert compare_family("slurm_node_count_per_state", exp, {**full, L(state="down*"): 0.0})
    assert compare_family("slurm_node_count_per_state", exp, {**full, L(state="idle", x="1"): 0.0})
    assert compare_family("slurm_node_count_per_state", exp, None)
    assert compare_family("slurm_node_count_per_state", exp, exp)
    # zero series of usual states are optional elsewhere, but only at zero
    assert compare_family("slurm_partition_node_count", {L(partition="a", state="idle"): 1.0},
                          {L(partition="a", state="idle"): 1.0,
                           L(partition="a", state="down"): 0.0}) == []
    assert compare_family("slurm_partition_node_count", {L(partition="a", state="idle"): 1.0},
                          {L(partition="a", state="idle"): 1.0,
                           L(partition="a", state="down"): 1.0})
    # tolerance only where asked for
    assert compare_family("slurm_cpu_load", {L(): 1.0}, {L(): 1.005}, tolerance=0.01) == []
    assert compare_family("slurm_cpu_load", {L(): 1.0}, {L(): 1.02}, tolerance=0.01)
    assert compare_family("slurm_mem_real", {L(): 1.0}, {L(): 1.005})


def test_scrape_parser_rejects_duplicates_and_keeps_sample_names():
    s = Scrape("# HELP a_total x\n# TYPE a_total counter\na_total{x=\"1\"} 2\n"
               "# HELP g x\n# TYPE g gauge\ng 3\n")
    assert s.value("a_total", x="1") == 2 and s.value("g") == 3
    with pytest.raises(AssertionError):
        Scrape("# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n")


def test_sanitizer_report_catches_asan_lsan_and_ubsan_output():
    # Exporter.stop() fails a test on these lines: the sanitized suite must not pass vacuously.
    assert sanitizer_report(['level=info msg="listening" address=127.0.0.1:1', "bye"]) == ""
    for line in ("==7==ERROR: LeakSanitizer: detected memory leaks",
                 "==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",
                 "src/metrics/exposition.cpp:42:7: runtime error: signed integer overflow"):
        report = sanitizer_report(["level=info msg=start", line, "    #0 0x4f in f src/x.cpp:3"])
        assert line in report and "#0 0x4f" in report
