// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/gres.hpp"

#include <catch2/catch.hpp>

#include "slurm_exporter/errors.hpp"

using namespace slurm_exporter::slurm;
using slurm_exporter::ParseError;
using List = std::vector<GresCount>;

TEST_CASE("node GRES as Slurm prints it") {
  CHECK(parse_gres_list("gpu:a100:4(S:0-1)") == List{{"gpu", "a100", 4}});
  CHECK(parse_gres_list("gpu:4") == List{{"gpu", "", 4}});
  CHECK(parse_gres_list("gpu:a100:2,gpu:v100:2") == List{{"gpu", "a100", 2}, {"gpu", "v100", 2}});
  CHECK(parse_gres_list("gpu:4,shard:8") == List{{"gpu", "", 4}, {"shard", "", 8}});
  CHECK(parse_gres_list("gpu:a100:4(S:0,2-3),mps:400") ==
        List{{"gpu", "a100", 4}, {"mps", "", 400}});
  CHECK(parse_gres_list("gpu").front().count == 1);
  CHECK(parse_gres_list("gpu:a100") == List{{"gpu", "a100", 1}});
  for (const char* empty : {"", "(null)", "N/A"}) CHECK(parse_gres_list(empty).empty());
}

TEST_CASE("used GRES with index detail, including sinfo's odd untyped shard form") {
  CHECK(parse_gres_list("gpu:a100:2(IDX:0-1),gpu:v100:0(IDX:N/A)") ==
        List{{"gpu", "a100", 2}, {"gpu", "v100", 0}});
  CHECK(parse_gres_list("gpu:a100:2(IDX:0,2),shard:0") ==
        List{{"gpu", "a100", 2}, {"shard", "", 0}});
  CHECK(parse_gres_list("gpu:2,shard:(null):0(IDX:N/A)") == List{{"gpu", "", 2}, {"shard", "", 0}});
  CHECK(parse_gres_list("gpu:0,shard:0") == List{{"gpu", "", 0}, {"shard", "", 0}});
  // A large count does not wrap (64-bit).
  CHECK(parse_gres_list("mps:8589934592").front().count == 8589934592ULL);
}

TEST_CASE("malformed GRES is an error, not a silent zero") {
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:x"), ParseError);
  CHECK_THROWS_AS(parse_gres_list(":4"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:4(IDX:0"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:4)"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:a:b:4"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu::4"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:-1"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:99999999999999999999999"), ParseError);
}

TEST_CASE("job GRES requests in TRES fields") {
  CHECK(parse_tres_gres_request("gres:gpu:3") == List{{"gpu", "", 3}});
  CHECK(parse_tres_gres_request("gres:gpu:a100:2") == List{{"gpu", "a100", 2}});
  CHECK(parse_tres_gres_request("gres/gpu:a100:2,license/x=1") == List{{"gpu", "a100", 2}});
  CHECK(parse_tres_gres_request("gres:gpu:1;gres:shard:2") ==
        List{{"gpu", "", 1}, {"shard", "", 2}});
  CHECK(parse_tres_gres_request("N/A").empty());
  CHECK(parse_tres_gres_request("(null)").empty());
  CHECK_THROWS_AS(parse_tres_gres_request("gres:gpu:two"), ParseError);
}

TEST_CASE("requested GPUs: --gpus, --gres / --gpus-per-node, --gpus-per-task") {
  CHECK(requested_gpus("gres:gpu:3", "", "", "", 1, 1) == 3);
  CHECK(requested_gpus("", "gres:gpu:a100:2", "", "", 3, 3) == 6);
  CHECK(requested_gpus("", "", "", "gres:gpu:1", 2, 8) == 8);
  CHECK(requested_gpus("", "", "gres:gpu:1", "", 2, 2) == 2);
  CHECK(requested_gpus("N/A", "gres:shard:4", "N/A", "N/A", 1, 1) == 0);
  CHECK(total_of({{"gpu", "a100", 2}, {"gpu", "", 1}, {"shard", "", 5}}, "gpu") == 3);
}

TEST_CASE("GRES as Slurm 22.05-26.05 print it: count suffixes, no_consume, shared GRES") {
  // _build_node_gres_str divides counts by 1024 while they divide evenly (_get_suffix).
  CHECK(parse_gres_list("gpu:2K") == List{{"gpu", "", 2048}});
  CHECK(parse_gres_list("mps:a100:1M(S:0)") == List{{"mps", "a100", 1048576}});
  CHECK(parse_gres_list("bandwidth:lustre:no_consume:4G") ==
        List{{"bandwidth", "lustre", 4ULL << 30}});
  CHECK(parse_gres_list("bandwidth:no_consume:1T") == List{{"bandwidth", "", 1ULL << 40}});
  CHECK(parse_gres_list("gpu:a100:4(S:0-1),shard:a100:8(S:0-1),bandwidth:lustre:no_consume:4G") ==
        List{{"gpu", "a100", 4}, {"shard", "a100", 8}, {"bandwidth", "lustre", 4ULL << 30}});
  // GresUsed of a shared GRES: per-GPU "alloc/avail" detail, and no_consume's 0.
  CHECK(parse_gres_list("shard:a100:3(0/4,3/4),bandwidth:lustre:0") ==
        List{{"shard", "a100", 3}, {"bandwidth", "lustre", 0}});
  CHECK(parse_tres_gres_request("gres:gpu:1K") == List{{"gpu", "", 1024}});
}

TEST_CASE("GRES count suffixes: unknown units and overflow are errors that say so") {
  std::string what;
  try {
    parse_gres_list("gpu:4X");
  } catch (const ParseError& e) {
    what = e.what();
  }
  CHECK(what.find("unknown unit \"X\"") != std::string::npos);
  CHECK(what.find("gpu:4X") != std::string::npos);
  CHECK_THROWS_AS(parse_gres_list("gpu:16384P"), ParseError);  // 2^64
  CHECK(parse_gres_list("gpu:16383P").front().count == 16383ULL << 50);
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:K"), ParseError);
  CHECK_THROWS_AS(parse_gres_list("gpu:a100:no_consume:no_consume:x"), ParseError);
  CHECK_THROWS_AS(requested_gpus("", "gres:gpu:16E", "", "", 2, 1), ParseError);  // overflow
}
