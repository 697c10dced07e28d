#include "dmf/plot/learning_curves.hpp"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "dmf/core/error.hpp"
#include "support/temp_dir.hpp"

namespace dmf::plot {
namespace {

/// Passes when `text` contains `part`, and shows both when it does not.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::string error_of(const std::string& path) {
  try {
    (void)read_metrics_file(path, "run");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReadMetricsFile, ReadsEveryEpochAndNullsAsGaps) {
  test::TempDir dir;
  const auto path = dir.write(
      "m.jsonl",
      R"({"epoch":1,"loss":2.5,"objective":9,"train_rmse":1.5,"seconds":0.1,"elapsed":0.1,"validation_rmse":null})"
      "\n"
      R"({"epoch":2,"loss":1.5,"objective":6,"train_rmse":1.2,"seconds":0.1,"elapsed":0.25,"validation_rmse":1.3})"
      "\n");
  const auto curves = read_metrics_file(path, "als");
  ASSERT_EQ(curves.size(), 1U);
  const Curve& c = curves[0];
  EXPECT_EQ(c.label, "als");
  EXPECT_EQ(c.epoch, (std::vector<double>{1, 2}));
  EXPECT_EQ(c.elapsed, (std::vector<double>{0.1, 0.25}));
  EXPECT_EQ(c.loss, (std::vector<double>{2.5, 1.5}));
  EXPECT_EQ(c.train_rmse, (std::vector<double>{1.5, 1.2}));
  EXPECT_TRUE(std::isnan(c.validation_rmse[0]));
  EXPECT_EQ(c.validation_rmse[1], 1.3);
}

TEST(ReadMetricsFile, NoValidationFieldIsNoValidationCurve) {
  test::TempDir dir;
  const auto path = dir.write("m.jsonl", R"({"epoch":1,"loss":2,"train_rmse":1,"elapsed":0.5})"
                                         "\n");
  const auto curves = read_metrics_file(path, "x");
  ASSERT_EQ(curves.size(), 1U);
  EXPECT_TRUE(std::isnan(curves[0].validation_rmse.at(0)));
}

TEST(ReadMetricsFile, EachRestartIsACurve) {
  test::TempDir dir;
  const auto path =
      dir.write("m.jsonl", R"({"epoch":1,"loss":2,"train_rmse":1,"elapsed":0.5,"restart":1})"
                           "\n"
                           R"({"epoch":2,"loss":1,"train_rmse":1,"elapsed":0.9,"restart":1})"
                           "\n"
                           R"({"epoch":1,"loss":3,"train_rmse":2,"elapsed":0.4,"restart":2})"
                           "\n");
  const auto curves = read_metrics_file(path, "gd");
  ASSERT_EQ(curves.size(), 2U);
  EXPECT_EQ(curves[0].label, "gd (restart 1)");
  EXPECT_EQ(curves[0].epoch.size(), 2U);
  EXPECT_EQ(curves[1].label, "gd (restart 2)");
  EXPECT_EQ(curves[1].loss, (std::vector<double>{3}));
}

TEST(ReadMetricsFile, ErrorsNameTheFileAndLine) {
  test::TempDir dir;
  const std::string good = R"({"epoch":1,"loss":2,"train_rmse":1,"elapsed":0.5})";
  const auto bad_json = dir.write("bad.jsonl", good + "\n{\"epoch\":2,\n");
  EXPECT_TRUE(Contains(error_of(bad_json), bad_json + ":2: not a JSON object: {\"epoch\":2,"));
  const auto missing = dir.write("missing.jsonl", good + "\n" + good + "\n{\"epoch\":3}\n");
  EXPECT_TRUE(Contains(error_of(missing), missing + ":3: no \"elapsed\" field"));
  const auto text =
      dir.write("text.jsonl", R"({"epoch":1,"loss":"big","train_rmse":1,"elapsed":0.5})"
                              "\n");
  EXPECT_TRUE(Contains(error_of(text), text + ":1: \"loss\" is not a number"));
  const auto null_epoch =
      dir.write("null.jsonl", R"({"epoch":null,"loss":1,"train_rmse":1,"elapsed":0.5})"
                              "\n");
  EXPECT_TRUE(Contains(error_of(null_epoch), null_epoch + ":1: \"epoch\" is null"));
  const auto empty = dir.write("empty.jsonl", "");
  EXPECT_TRUE(Contains(error_of(empty), empty + ": no epochs"));
  EXPECT_TRUE(
      Contains(error_of(dir.file("absent.jsonl")), "cannot read " + dir.file("absent.jsonl")));
}

TEST(LearningCurvesChart, SixPanelsOfEveryCurve) {
  const double nan = std::nan("");
  const std::vector<Curve> curves{
      {"a", {1, 2}, {0.5, 1.0}, {2, 1}, {1.5, 1.2}, {nan, nan}},
      {"b", {1, 2, 3}, {0.2, 0.4, 0.6}, {3, 2, 1}, {1.4, 1.1, 1.0}, {1.3, 1.2, 1.1}}};
  const Chart chart = learning_curves_chart(curves);
  EXPECT_EQ(chart.runs, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(chart.panels.size(), 6U);
  EXPECT_EQ(chart.panels[0].id, "loss-epoch");
  EXPECT_EQ(chart.panels[1].id, "loss-seconds");
  EXPECT_EQ(chart.panels[5].id, "validation_rmse-seconds");
  EXPECT_EQ(chart.panels[1].series[1].x, curves[1].elapsed);
  EXPECT_EQ(chart.panels[2].series[0].y, curves[0].train_rmse);
  EXPECT_TRUE(chart.panels[0].integer_x);
  EXPECT_FALSE(chart.panels[1].integer_x);
}

}  // namespace
}  // namespace dmf::plot
