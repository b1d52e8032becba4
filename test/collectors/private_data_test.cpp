// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/private_data.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "../support/golden.hpp"
#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/controller_parse.hpp"

using namespace slurm_exporter;

namespace {
slurm::SlurmConfig config(std::vector<std::string> kinds) {
  slurm::SlurmConfig c;
  c.private_data = std::move(kinds);
  c.slurm_user = "slurm";
  c.slurm_user_id = 64030;
  return c;
}
}  // namespace

TEST_CASE("private data: scontrol show config's PrivateData and SlurmUser") {
  const auto c = slurm::cli::parse_scontrol_config(
      "Configuration data as of 2026-12-07T03:00:00\n"
      "AccountingStorageBackupHost = (null)\n"
      "PrivateData             = usage,jobs\n"
      "SlurmUser               = slurm(64030)\n");
  CHECK(c.private_data == std::vector<std::string>{"jobs", "usage"});
  CHECK(c.slurm_user == "slurm");
  CHECK(c.slurm_user_id == 64030);
  CHECK(c.accounting_storage_type.empty());  // not printed: none
  CHECK(slurm::cli::parse_scontrol_config("PrivateData = none\n").private_data.empty());
  // AccountingStorageType=accounting_storage/none: 22.05 prints it so, 23.11 "(null)".
  for (const char* none : {"(null)", "accounting_storage/none"}) {
    const auto n = slurm::cli::parse_scontrol_config(
        std::string("PrivateData = none\nAccountingStorageType   = ") + none + "\n");
    CHECK(n.accounting_storage_type.empty());
    CHECK_FALSE(slurm::has_accounting(n.accounting_storage_type));
  }
  const auto dbd = slurm::cli::parse_scontrol_config(
      "PrivateData = none\nAccountingStorageType   = accounting_storage/slurmdbd\n");
  CHECK(dbd.accounting_storage_type == "accounting_storage/slurmdbd");
  CHECK(slurm::has_accounting(dbd.accounting_storage_type));
  CHECK_THROWS_AS(slurm::cli::parse_scontrol_config("SlurmUser = slurm(1)\n"), ParseError);
}

TEST_CASE("private data: the gauge has every kind, 1 where private") {
  const std::string text =
      test_support::render({collectors::private_data_family(config({"jobs"}))});
  CHECK(test_support::contains(text, "slurm_exporter_private_data{kind=\"jobs\"} 1\n"));
  CHECK(test_support::contains(text, "slurm_exporter_private_data{kind=\"usage\"} 0\n"));
  CHECK(test_support::contains(text, "slurm_exporter_private_data{kind=\"reservations\"} 0\n"));
  CHECK(collectors::private_data_family(config({})).samples.size() == 9);
}

TEST_CASE("private data: warnings for a hidden view and for an exposed one") {
  const auto jobs = config({"jobs"});
  const std::string w = collectors::private_data_warning(jobs, 1000);
  CHECK(test_support::contains(w, "PrivateData=jobs hides other users' jobs"));
  CHECK(test_support::contains(w, "adminlevel=operator"));
  CHECK(test_support::contains(w, "SlurmUser (slurm)"));
  CHECK(collectors::private_data_warning(jobs, 0).empty());      // root sees all
  CHECK(collectors::private_data_warning(jobs, 64030).empty());  // so does SlurmUser
  CHECK(collectors::private_data_warning(config({"usage"}), 1000).empty());
  CHECK(test_support::contains(collectors::private_data_exposure_warning(jobs, false),
                               "need no password"));
  CHECK(collectors::private_data_exposure_warning(jobs, true).empty());
  CHECK(collectors::private_data_exposure_warning(config({"nodes"}), false).empty());
  CHECK_FALSE(collectors::private_data_exposure_warning(config({"usage"}), false).empty());
}
