// The validation metric of an epoch (--validation-metric) in the metrics
// log's line, named after the metric, read back as a checkpoint's history
// is; and in the progress line.
#include "dmf/train/metrics_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dmf::train {
namespace {

EpochRecord epoch_with(std::string metric, std::optional<double> value) {
  EpochRecord r;
  r.epoch = 3;
  r.loss = 0.5;
  r.objective = 50.0;
  r.train_rmse = 0.7;
  r.validation_rmse = 0.9;
  r.validation_metric = std::move(metric);
  r.validation_value = value;
  return r;
}

TEST(MetricsLogLine, TheValidationMetricHasAColumnNamedAfterIt) {
  const nlohmann::json line = MetricsLog::to_json(epoch_with("ndcg@10", 0.123456789));
  EXPECT_EQ(line.at("validation_ndcg@10").get<double>(), 0.123456789);
  EXPECT_EQ(line.at("validation_rmse").get<double>(), 0.9);
  const EpochRecord back = MetricsLog::from_json(line);
  EXPECT_EQ(back.validation_metric, "ndcg@10");
  EXPECT_EQ(back.validation_value, 0.123456789);
  EXPECT_EQ(back.validation_rmse, 0.9);
  // Undefined (no user to rank): null, and absent again when read back.
  const nlohmann::json undefined = MetricsLog::to_json(epoch_with("auc", std::nullopt));
  EXPECT_TRUE(undefined.at("validation_auc").is_null());
  const EpochRecord none = MetricsLog::from_json(undefined);
  EXPECT_EQ(none.validation_metric, "auc");
  EXPECT_FALSE(none.validation_value.has_value());
  // RMSE, the default, is validation_rmse alone.
  const nlohmann::json rmse = MetricsLog::to_json(epoch_with("", std::nullopt));
  EXPECT_EQ(rmse.size(), MetricsLog::to_json(epoch_with("mae", 0.6)).size() - 1);
  EXPECT_EQ(MetricsLog::from_json(rmse).validation_metric, "");
}

TEST(MetricsLogLine, TheProgressLineShowsTheMetric) {
  const Console console(true);
  Progress progress(console, 5, /*live=*/false);
  testing::internal::CaptureStderr();
  progress.epoch(epoch_with("ndcg@10", 0.123456789));
  progress.epoch(epoch_with("mae", std::nullopt));
  const std::string shown = testing::internal::GetCapturedStderr();
  EXPECT_NE(shown.find("validation RMSE 0.90000  ndcg@10 0.12346  "), std::string::npos) << shown;
  EXPECT_NE(shown.find("validation RMSE 0.90000  MAE n/a  "), std::string::npos) << shown;
}

}  // namespace
}  // namespace dmf::train
