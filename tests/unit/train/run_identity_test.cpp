// Whose a checkpoint or model directory is: the same data fingerprint and
// options, or a sentence saying what differs.
#include "dmf/train/run_identity.hpp"

#include <gtest/gtest.h>

namespace dmf::train {
namespace {

nlohmann::json manifest(const std::string& fingerprint, nlohmann::json options) {
  return {{"data", {{"fingerprint", fingerprint}, {"ratings", 100}, {"path", "r.csv"}}},
          {"resume_options", std::move(options)}};
}

TEST(RunIdentity, TheSameDataAndOptionsAreThisRuns) {
  const RunIdentity run{"00ff", {{"lambda", "0.05"}, {"rank", "8"}}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"rank", "8"}, {"lambda", "0.05"}})), "");
}

TEST(RunIdentity, OtherDataIsNamedWithBothFingerprints) {
  const RunIdentity run{"00ff", {{"lambda", "0.05"}}};
  EXPECT_EQ(run.difference(manifest("11ee", {{"lambda", "0.05"}})),
            "was trained on other data: fingerprint 11ee (100 ratings of r.csv), this run's data "
            "has fingerprint 00ff");
}

TEST(RunIdentity, EveryOtherOptionIsListedBothWays) {
  const RunIdentity run{"00ff", {{"lambda", "0.1"}, {"solver", "gd"}}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}, {"rank", "8"}})),
            "was written with other options: --lambda 0.05 there, 0.1 here; --rank 8 there, "
            "(none) here; --solver (none) there, gd here");
}

TEST(RunIdentity, AManifestWithoutTheOptionsIsNotThisRuns) {
  const RunIdentity run{"00ff", {{"epochs", "3"}}, "run_options"};
  EXPECT_EQ(run.difference(manifest("00ff", {{"epochs", "3"}})),
            "has no \"run_options\" to compare options with");
  EXPECT_NE(run.difference(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace dmf::train
