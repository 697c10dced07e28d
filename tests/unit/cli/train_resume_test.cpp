// A checkpoint of an older dmf, as train's own options see it: the options
// added since at their defaults and sgd's renamed step options still make
// it this run's (docs/design.md §6).
#include "dmf/cli/train_resume.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dmf::cli {
namespace {

struct TrainParams {
  TrainOptions options;
  ParamSet params{"train", "Train"};

  explicit TrainParams(std::vector<std::string> args) {
    declare_train_options(params, options);
    args.insert(args.end(), {"--data", "r.csv", "--out", "model"});
    params.parse(args);
  }
};

/// A manifest whose resume_options are those of `params`, as a dmf from before
/// --feedback and the shared step options wrote them: no options added
/// since, sgd's own under their old names, gd's under the shared ones.
nlohmann::json older_checkpoint(const ParamSet& params) {
  nlohmann::json options = resume_options(params);
  for (const char* added : {"feedback", "alpha", "confidence", "confidence-epsilon",
                            "validation-metric", "relevant-threshold"}) {
    options.erase(added);
  }
  const TrainParams gd({"--solver", "gd"});
  const nlohmann::json gd_options = resume_options(gd.params);
  for (const char* shared : {"lr", "optimizer", "schedule"}) {
    options[std::string("sgd-") + shared] = options[shared];
    options[shared] = gd_options[shared];
  }
  return {{"data", {{"fingerprint", "00ff"}}}, {"resume_options", options}};
}

TEST(TrainResume, AnOlderSgdCheckpointIsThisRunsAtTheNewOptionsDefaults) {
  const TrainParams sgd({"--solver", "sgd", "--optimizer", "adagrad", "--lr", "0.07"});
  const auto run = run_identity_of(sgd.params, "00ff", "resume_options");
  EXPECT_EQ(run.difference(older_checkpoint(sgd.params)), "");

  const TrainParams other({"--solver", "sgd", "--optimizer", "adagrad", "--lr", "0.08"});
  EXPECT_EQ(run_identity_of(other.params, "00ff", "resume_options")
                .difference(older_checkpoint(sgd.params)),
            "was written with other options: --lr 0.07 there, 0.08 here");
}

TEST(TrainResume, ANewOptionAwayFromItsDefaultIsADifference) {
  const TrainParams als({"--solver", "als"});
  const TrainParams implicit({"--solver", "als", "--feedback", "implicit"});
  EXPECT_EQ(run_identity_of(als.params, "00ff", "resume_options")
                .difference(older_checkpoint(als.params)),
            "");
  EXPECT_EQ(run_identity_of(implicit.params, "00ff", "resume_options")
                .difference(older_checkpoint(als.params)),
            "was written with other options: --feedback (none) there, implicit here");
}

}  // namespace
}  // namespace dmf::cli
