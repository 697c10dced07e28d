// dmf generate's pure pieces: apportioning N ratings exactly (largest
// remainders under a cap), the rating scale's text form, and the output
// format chosen from a file name.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "dmf/core/error.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data {
namespace {

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

TEST(Apportion, HandComputedLargestRemainders) {
  // Shares 10 * (4, 3, 2, 1) / 10 = 4, 3, 2, 1 exactly.
  EXPECT_EQ(apportion(std::vector<double>{4, 3, 2, 1}, 10, 100),
            (std::vector<std::uint64_t>{4, 3, 2, 1}));
  // Shares 7 * (1/3 each) = 2.33: one extra unit, to the lowest index on a tie.
  EXPECT_EQ(apportion(std::vector<double>{1, 1, 1}, 7, 100), (std::vector<std::uint64_t>{3, 2, 2}));
  // Shares 5 * (0.5, 0.3, 0.2) = 2.5, 1.5, 1.0: floors 2, 1, 1 and the one
  // unit left to the first of the tied remainders .5, .5.
  EXPECT_EQ(apportion(std::vector<double>{5, 3, 2}, 5, 100), (std::vector<std::uint64_t>{3, 1, 1}));
  // Shares 6 * (0.5, 0.3, 0.2) = 3, 1.8, 1.2: one unit to the larger remainder.
  EXPECT_EQ(apportion(std::vector<double>{5, 3, 2}, 6, 100), (std::vector<std::uint64_t>{3, 2, 1}));
}

TEST(Apportion, CapPassesTheExcessOn) {
  // Shares of 12 by (8, 2, 1, 1): 8 > cap 4, so it gets 4 and 8 are shared
  // by (2, 1, 1): 4, 2, 2, where 4 meets the cap exactly.
  EXPECT_EQ(apportion(std::vector<double>{8, 2, 1, 1}, 12, 4),
            (std::vector<std::uint64_t>{4, 4, 2, 2}));
  // Everything full.
  EXPECT_EQ(apportion(std::vector<double>{9, 1, 1e-9}, 9, 3),
            (std::vector<std::uint64_t>{3, 3, 3}));
  EXPECT_THROW((void)apportion(std::vector<double>{1, 1}, 7, 3), Error);
}

TEST(Apportion, PowerLawsSumExactlyWithinOneOfTheirShare) {
  for (const double skew : {0.0, 0.5, 0.8, 1.5, 4.0}) {
    for (const std::uint64_t n : {1ULL, 7ULL, 1000ULL, 100000ULL}) {
      std::vector<double> w(n);
      for (std::uint64_t r = 0; r < n; ++r) w[r] = std::pow(static_cast<double>(r + 1), -skew);
      const double mass = std::accumulate(w.begin(), w.end(), 0.0);
      for (const std::uint64_t total : {n, 3 * n + 1, 50 * n}) {
        const std::uint64_t cap = 60;
        if (total > n * cap) continue;
        const auto out = apportion(w, total, cap);
        SCOPED_TRACE(::testing::Message() << "skew " << skew << " n " << n << " total " << total);
        ASSERT_EQ(out.size(), n);
        EXPECT_EQ(sum(out), total);
        for (std::uint64_t r = 0; r < n; ++r) {
          EXPECT_LE(out[r], cap);
          // Shares fall with r and ties go to the lower index: never rising.
          if (r > 0) {
            EXPECT_LE(out[r], out[r - 1]) << "rises at " << r;
          }
          // Without capping, every entry is its share rounded up or down.
          if (out[0] < cap) {
            EXPECT_NEAR(static_cast<double>(out[r]), static_cast<double>(total) * w[r] / mass, 1.0);
          }
        }
      }
    }
  }
}

TEST(RatingScale, ParsesAndRejectsWithReasons) {
  RatingScale s;
  parse_value("0.5:5:0.5", s);
  EXPECT_EQ(s.min, 0.5);
  EXPECT_EQ(s.max, 5.0);
  EXPECT_EQ(s.step, 0.5);
  EXPECT_EQ(format_value(s), "0.5:5:0.5");
  parse_value("-100:100:0", s);
  EXPECT_EQ(s.step, 0.0);
  parse_value("1:2:0.1", s);  // 10 steps, though 0.1 is not exact in binary
  auto reason = [](std::string_view text) {
    RatingScale t;
    try {
      parse_value(text, t);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(reason("5:1:1"), "MIN 5 must be below MAX 1");
  EXPECT_EQ(reason("1:5:1.5"), "MAX - MIN = 4 must be a whole number of STEP 1.5");
  EXPECT_EQ(reason("1:5:-1"), "STEP -1 must be between 0 (continuous) and MAX - MIN = 4");
  EXPECT_EQ(reason("1:5"), "expected MIN:MAX:STEP, got '1:5'");
  EXPECT_EQ(reason("1:x:1"), "expected MIN:MAX:STEP with three numbers, got '1:x:1'");
  EXPECT_EQ(reason("1:inf:1"), "expected MIN:MAX:STEP with three numbers, got '1:inf:1'");
}

TEST(OutputFormat, ByExtensionUnlessAsked) {
  using io::FormatKind;
  EXPECT_EQ(output_format("a/r.csv", FormatKind::kAuto), FormatKind::kCsv);
  EXPECT_EQ(output_format("r.tsv", FormatKind::kAuto), FormatKind::kTsv);
  EXPECT_EQ(output_format("ratings.dat", FormatKind::kAuto), FormatKind::kMovieLens);
  EXPECT_EQ(output_format("r.mtx", FormatKind::kAuto), FormatKind::kMatrixMarket);
  EXPECT_EQ(output_format("r.mm", FormatKind::kAuto), FormatKind::kMatrixMarket);
  EXPECT_EQ(output_format("ml/u.data", FormatKind::kAuto), FormatKind::kUData);
  EXPECT_EQ(output_format("x.data", FormatKind::kAuto), FormatKind::kUData);
  EXPECT_EQ(output_format("r.libmf", FormatKind::kAuto), FormatKind::kLibmf);
  EXPECT_EQ(output_format("ratings", FormatKind::kAuto), FormatKind::kCsv);
  EXPECT_EQ(output_format("r.csv", FormatKind::kTsv), FormatKind::kTsv);
}

}  // namespace
}  // namespace dmf::data
