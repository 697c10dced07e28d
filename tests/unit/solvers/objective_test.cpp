// The regularization term of the one objective (docs/design.md §2), against
// a plain row-at-a-time reference with its roundings spelled out: each
// row's b² then a fused multiply-add per factor in order, in double, and
// the rows' w (b² + ‖x‖²) added in row order by fused multiply-adds. Bit for
// bit, for row counts on both sides of the rows the kernel takes at once,
// several k and both weightings; the overload for rows held as arrays with
// their degrees (sgd's item blocks) is the same bits.
#include "dmf/solvers/objective.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dmf::solvers {
namespace {

double reference_term(const model::FactorBlock& rows, const data::SparseBlock& block, double lambda,
                      const Regularization& reg) {
  double total = 0.0;
  for (std::uint32_t r = 0; r < rows.rows; ++r) {
    double norm = static_cast<double>(rows.bias[r]) * rows.bias[r];
    for (const float x : rows.row(r)) norm = std::fma(static_cast<double>(x), x, norm);
    total = std::fma(reg.weight(block.degree(r)), norm, total);
  }
  return lambda * total;
}

TEST(Objective, TheRegularizationTermIsTheRowByRowSumBitForBit) {
  std::mt19937 random(3);
  std::normal_distribution<float> value(0.0F, 1.0F);
  for (const int k : {1, 7, 8, 64}) {
    for (const std::uint32_t n : {0U, 1U, 7U, 8U, 9U, 17U, 40U}) {
      model::FactorBlock rows(0, n, n, k);
      for (float& x : rows.factors) x = value(random);
      for (float& b : rows.bias) b = value(random);
      data::SparseBlock block;
      block.offsets.push_back(0);
      for (std::uint32_t r = 0; r < n; ++r) {
        block.offsets.push_back(block.offsets.back() + random() % 50);
      }
      block.columns.resize(block.offsets.back());
      block.values.resize(block.offsets.back());
      for (const RegWeighting w : {RegWeighting::kCount, RegWeighting::kUniform}) {
        const Regularization reg{0.3, 0.3, w};
        const double want = reference_term(rows, block, 0.3, reg);
        EXPECT_EQ(regularization_term(rows, block, 0.3, reg), want)
            << "k " << k << ", " << n << " rows, " << to_string(w);
        EXPECT_EQ(
            regularization_term(rows.factors, rows.bias, rows.width(), block.degrees(), 0.3, reg),
            want)
            << "arrays: k " << k << ", " << n << " rows, " << to_string(w);
      }
    }
  }
}

}  // namespace
}  // namespace dmf::solvers
