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
  RunIdentity run{"00ff", {{"lambda", "0.1"}, {"rank", "8"}, {"solver", "gd"}}};
  run.defaults = {{"lambda", "0.05"}, {"rank", "8"}, {"solver", "als"}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}, {"rank", "8"}})),
            "was written with other options: --lambda 0.05 there, 0.1 here; --solver (none) "
            "there, gd here");
}

TEST(RunIdentity, AManifestWithoutTheOptionsIsNotThisRuns) {
  const RunIdentity run{"00ff", {{"epochs", "3"}}, "run_options"};
  EXPECT_EQ(run.difference(manifest("00ff", {{"epochs", "3"}})),
            "has no \"run_options\" to compare options with");
  EXPECT_NE(run.difference(nlohmann::json::object()), "");
}

// An option added after the checkpoint was written: the older dmf behaved
// as its default.
TEST(RunIdentity, AnOptionTheManifestLacksMatchesItsDefault) {
  RunIdentity run{"00ff", {{"lambda", "0.05"}, {"feedback", "explicit"}}};
  run.defaults = {{"lambda", "0.1"}, {"feedback", "explicit"}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}})), "");
  run.options["feedback"] = "implicit";
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}})),
            "was written with other options: --feedback (none) there, implicit here");
}

// An option now free on resume (or outcome-free) is not compared, whatever
// an older dmf recorded.
TEST(RunIdentity, AKnownOptionNoLongerComparedIsNoDifference) {
  RunIdentity run{"00ff", {{"lambda", "0.05"}}};
  run.defaults = {{"lambda", "0.1"}, {"threads", "0"}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}, {"threads", "4"}})), "");
}

TEST(RunIdentity, AnOptionThisDmfNoLongerHasIsNamed) {
  RunIdentity run{"00ff", {{"lambda", "0.05"}}};
  run.defaults = {{"lambda", "0.1"}};
  EXPECT_EQ(run.difference(manifest("00ff", {{"lambda", "0.05"}, {"gone", "3"}, {"old", "x"}})),
            "was written by an older dmf, with options this dmf no longer has: --gone 3, --old x");
}

// --sgd-lr was --lr under --solver sgd; under another solver it was unused.
TEST(RunIdentity, ARenamedOptionIsComparedUnderItsNewName) {
  RunIdentity run{"00ff", {{"solver", "sgd"}, {"lr", "0.05"}}};
  run.defaults = {{"solver", "gd"}, {"lr", "0.05"}};
  run.renamed = {{"sgd-lr", "lr", {"solver", "sgd"}}};
  // The recorded --lr was gd's: the renamed value replaces it.
  EXPECT_EQ(
      run.difference(manifest("00ff", {{"solver", "sgd"}, {"lr", "0.01"}, {"sgd-lr", "0.05"}})),
      "");
  EXPECT_EQ(
      run.difference(manifest("00ff", {{"solver", "sgd"}, {"lr", "0.05"}, {"sgd-lr", "0.07"}})),
      "was written with other options: --lr 0.07 there, 0.05 here");
  run.options = {{"solver", "gd"}, {"lr", "0.01"}};
  EXPECT_EQ(
      run.difference(manifest("00ff", {{"solver", "gd"}, {"lr", "0.01"}, {"sgd-lr", "0.05"}})), "");
}

}  // namespace
}  // namespace dmf::train
