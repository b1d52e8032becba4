// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/aggregate.hpp"

#include <catch2/catch.hpp>

#include "../support/golden.hpp"

using namespace slurm_exporter::metrics;

TEST_CASE("aggregate_away sums the series that differ only in the dropped labels", "[aggregate]") {
  std::vector<Family> fams(2);
  fams[0] = {"slurm_user_jobs", "Jobs per user", Type::kGauge, {"username", "state"}, {}};
  fams[0].samples = {Sample({"alice", "RUNNING"}, 2), Sample({"bob", "PENDING"}, 1),
                     Sample({"bob", "RUNNING"}, 3)};
  fams[1] = {"slurm_rpc_user_count", "RPCs", Type::kGauge, {"user"}, {}};
  fams[1].samples = {Sample({"root"}, 5), Sample({"alice"}, 7)};
  std::vector<Family> untouched(1);
  untouched[0] = {"slurm_up", "Up", Type::kGauge, {}, {Sample({}, 1)}};
  fams.push_back(untouched[0]);
  aggregate_away(fams, {"username", "user"});
  CHECK(test_support::render(fams) ==
        "# HELP slurm_user_jobs Jobs per user\n"
        "# TYPE slurm_user_jobs gauge\n"
        "slurm_user_jobs{state=\"RUNNING\"} 5\n"
        "slurm_user_jobs{state=\"PENDING\"} 1\n"
        "# HELP slurm_rpc_user_count RPCs\n"
        "# TYPE slurm_rpc_user_count gauge\n"
        "slurm_rpc_user_count 12\n"
        "# HELP slurm_up Up\n"
        "# TYPE slurm_up gauge\n"
        "slurm_up 1\n");
}
