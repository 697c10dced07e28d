// dmf train's --validation-metric: parsed by eval's parser, the default
// from one place, and the checks that refuse it (or --relevant-threshold)
// with one sentence naming what is accepted or what is missing.
#include "dmf/cli/train_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dmf/core/error.hpp"

namespace dmf::cli {
namespace {

/// The train command's options parsed from `args` (plus --data and --out).
struct Parsed {
  TrainOptions options;
  ParamSet params{"train", "Train"};

  explicit Parsed(std::vector<std::string> args) {
    declare_train_options(params, options);
    args.insert(args.end(), {"--data", "r.csv", "--out", "model"});
    params.parse(args);
  }
};

/// The message check_train_options refuses `args` with ("" if it accepts them).
std::string refusal(std::vector<std::string> args) {
  const Parsed parsed(std::move(args));
  try {
    check_train_options(parsed.options, parsed.params);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(ValidationMetric, DefaultsToRmseAndReadsEvalsNames) {
  EXPECT_EQ(validation_metric(Parsed({}).options), (eval::MetricSpec{eval::MetricKind::kRmse, 0}));
  EXPECT_EQ(default_validation_metric(Parsed({}).options),
            (eval::MetricSpec{eval::MetricKind::kRmse, 0}));
  EXPECT_EQ(validation_metric(Parsed({"--validation-metric", "ndcg"}).options),
            (eval::MetricSpec{eval::MetricKind::kNdcg, 10}));
  EXPECT_EQ(validation_metric(Parsed({"--validation-metric", "recall@20"}).options),
            (eval::MetricSpec{eval::MetricKind::kRecall, 20}));
  EXPECT_EQ(refusal({"--holdout", "0.1", "--validation-metric", "auc", "--relevant-threshold", "4",
                     "--early-stop", "2", "--restarts", "2"}),
            "");
}

TEST(ValidationMetric, RefusesABadNameNamingTheAcceptedOnes) {
  const std::string accepted =
      "accepted: rmse, mae, precision@k, recall@k, map@k, ndcg@k, mrr@k, hit@k, auc";
  EXPECT_EQ(refusal({"--holdout", "0.1", "--validation-metric", "ndgc@10"}),
            "--validation-metric: unknown metric 'ndgc@10'; " + accepted);
  EXPECT_EQ(refusal({"--holdout", "0.1", "--validation-metric", "coverage@10"}),
            "--validation-metric: 'coverage@10' is a figure of the whole catalogue, not a mean "
            "over users; " +
                accepted);
}

TEST(ValidationMetric, NeedsAValidationSet) {
  EXPECT_EQ(refusal({"--validation-metric", "ndcg@10"}),
            "--validation-metric ndcg@10 is measured on the validation set; give --validation "
            "FILE or --holdout R");
  // What watches it says which metric it watches.
  EXPECT_EQ(refusal({"--early-stop", "2"}),
            "--early-stop watches validation RMSE; give --validation FILE or --holdout R");
}

TEST(ValidationMetric, ARelevantThresholdNeedsARankingMetric) {
  EXPECT_EQ(
      refusal({"--holdout", "0.1", "--validation-metric", "mae", "--relevant-threshold", "4"}),
      "--relevant-threshold applies to a ranking --validation-metric (such as ndcg@10), "
      "not mae");
}

}  // namespace
}  // namespace dmf::cli
