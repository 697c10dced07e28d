// Implicit ALS's float SIMD kernels (solvers/ials/weighted_pass) against
// their formulas written plainly in double, for ranks on both sides of every
// SIMD width's thresholds (a packet of 4, 8 or 16 floats; the 8 packets the
// specialized kernels keep in registers) and rows on both sides of a float
// chunk; and the same bits for any layout of the feature rows.
#include "dmf/solvers/ials/weighted_pass.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace dmf::solvers {
namespace {

constexpr int kRanks[] = {1,  2,  3,  4,  5,  7,   8,   9,   15,  16,  17,  31,  32,
                          33, 48, 63, 64, 65, 127, 128, 129, 130, 143, 144, 145, 200};
constexpr std::size_t kCounts[] = {
    0, 1, 7, kWeightedChunk - 1, kWeightedChunk, kWeightedChunk + 1, 3 * kWeightedChunk + 50};
constexpr std::size_t kOthers = 61;
/// Float's unit roundoff, 2^-24.
constexpr double kUnit = 0x1p-24;

/// A row's observations of kOthers feature rows: slots, weights w ≥ 0 and
/// targets (1 + w, or 0 for a preference 0).
struct Observations {
  std::vector<std::uint32_t> slots;
  std::vector<float> weights;
  std::vector<float> targets;
};

Observations make_observations(std::size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> weight(0.0F, 3.0F);
  Observations o;
  for (std::size_t j = 0; j < count; ++j) {
    o.slots.push_back(static_cast<std::uint32_t>(rng() % kOthers));
    o.weights.push_back(weight(rng));
    o.targets.push_back(rng() % 4 == 0 ? 0.0F : 1.0F + o.weights.back());
  }
  return o;
}

/// kOthers rows of k values at `stride` floats from `offset` floats into the
/// buffer (the rows' alignment), the gaps NaN: a kernel that read them would
/// show it.
std::vector<float> layout(const std::vector<float>& rows, int k, std::size_t stride,
                          std::size_t offset) {
  std::vector<float> out(offset + kOthers * stride, std::numeric_limits<float>::quiet_NaN());
  const auto width = static_cast<std::size_t>(k);
  for (std::size_t r = 0; r < kOthers; ++r) {
    for (std::size_t a = 0; a < width; ++a) out[offset + r * stride + a] = rows[r * width + a];
  }
  return out;
}

std::vector<float> random_values(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0F, 0.5F);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

/// v padded with zeros to padded_rank(k), as the kernels take it.
std::vector<float> padded(std::vector<float> v, int k) {
  v.resize(padded_rank(k), 0.0F);
  return v;
}

TEST(WeightedPass, IsTheWeightedSumWithinFloatRounding) {
  std::mt19937 rng(17);
  for (const int k : kRanks) {
    const auto width = static_cast<std::size_t>(k);
    const std::vector<float> rows = random_values(kOthers * width, rng);
    const std::vector<float> features = layout(rows, k, width, 0);
    const std::vector<float> direction = padded(random_values(width, rng), k);
    for (const std::size_t count : kCounts) {
      const Observations o = make_observations(count, rng);
      for (const bool with_targets : {false, true}) {
        SCOPED_TRACE(testing::Message() << "k " << k << ", " << count << " observations"
                                        << (with_targets ? ", targets" : ""));
        std::vector<double> got(width, -1.0);
        const WeightedPassInput input{
            o.slots.data(), o.weights.data(), o.targets.data(), count, features.data(), width, k};
        weighted_pass(input, direction.data(), with_targets, got.data());
        // e_j = t_j − w_j (y_j·v) (no t_j without targets), Σ_j e_j y_j, in
        // double; and the sums of magnitudes that bound float rounding: a
        // dot of k terms, then sums of at most a chunk of terms.
        std::vector<double> want(width, 0.0);
        std::vector<double> bound(width, 0.0);
        for (std::size_t j = 0; j < count; ++j) {
          const float* y = rows.data() + o.slots[j] * width;
          double dot = 0.0;
          double dot_magnitude = 0.0;
          for (std::size_t a = 0; a < width; ++a) {
            dot += static_cast<double>(y[a]) * direction[a];
            dot_magnitude += std::abs(static_cast<double>(y[a]) * direction[a]);
          }
          const double target = with_targets ? o.targets[j] : 0.0;
          const double e = target - o.weights[j] * dot;
          const double e_magnitude = std::abs(target) + o.weights[j] * dot_magnitude;
          for (std::size_t a = 0; a < width; ++a) {
            want[a] += e * y[a];
            bound[a] += e_magnitude * std::abs(y[a]);
          }
        }
        const double gamma = static_cast<double>(width + kWeightedChunk + 2) * kUnit;
        for (std::size_t a = 0; a < width; ++a) {
          EXPECT_NEAR(got[a], want[a], gamma * bound[a]) << "entry " << a;
        }
      }
    }
  }
}

TEST(WeightedPass, HasTheSameBitsForAnyStrideAndAlignment) {
  std::mt19937 rng(23);
  for (const int k : kRanks) {
    SCOPED_TRACE(testing::Message() << "k " << k);
    const auto width = static_cast<std::size_t>(k);
    const std::vector<float> rows = random_values(kOthers * width, rng);
    const std::vector<float> direction = padded(random_values(width, rng), k);
    const Observations o = make_observations(kWeightedChunk + 40, rng);
    // Packed, the exchange's k + 1 from an odd offset, whole cache lines.
    const std::size_t lines = (width + 15) / 16 * 16;
    for (const bool with_targets : {false, true}) {
      std::vector<double> packed;
      for (const auto& [stride, offset] :
           {std::pair{width, std::size_t{0}}, std::pair{width + 1, std::size_t{3}},
            std::pair{lines, std::size_t{16}}}) {
        const std::vector<float> features = layout(rows, k, stride, offset);
        std::vector<double> got(width, 0.0);
        const WeightedPassInput input{o.slots.data(),
                                      o.weights.data(),
                                      o.targets.data(),
                                      o.slots.size(),
                                      features.data() + offset,
                                      stride,
                                      k};
        weighted_pass(input, direction.data(), with_targets, got.data());
        if (packed.empty()) {
          packed = got;
        } else {
          EXPECT_EQ(got, packed) << "stride " << stride << ", offset " << offset
                                 << (with_targets ? ", targets" : "");
        }
      }
    }
  }
}

TEST(PackedGram, MultipliesWithinFloatRounding) {
  std::mt19937 rng(29);
  for (const int k : kRanks) {
    SCOPED_TRACE(testing::Message() << "k " << k);
    const auto width = static_cast<std::size_t>(k);
    std::vector<double> gram(width * width);
    const std::vector<float> upper = random_values(width * width, rng);
    for (std::size_t a = 0; a < width; ++a) {
      for (std::size_t b = a; b < width; ++b) {
        gram[a * width + b] = gram[b * width + a] = 40.0 * upper[a * width + b];
      }
    }
    const std::vector<float> v = padded(random_values(width, rng), k);
    std::vector<double> got(width, -1.0);
    PackedGram(gram, k).multiply(v.data(), got.data());
    for (std::size_t a = 0; a < width; ++a) {
      double want = 0.0;
      double bound = 0.0;
      for (std::size_t b = 0; b < width; ++b) {
        want += gram[a * width + b] * v[b];
        bound += std::abs(gram[a * width + b] * v[b]);
      }
      // G rounded to float, then k multiply-adds in float.
      EXPECT_NEAR(got[a], want, static_cast<double>(width + 2) * kUnit * bound) << "entry " << a;
    }
  }
}

}  // namespace
}  // namespace dmf::solvers
