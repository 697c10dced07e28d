#include "dmf/solvers/objective.hpp"

#include <array>
#include <cmath>

#include "dmf/core/error.hpp"

namespace dmf::solvers {

double Objective::rmse() const noexcept {
  return ratings == 0 ? 0.0 : std::sqrt(squared_error / static_cast<double>(ratings));
}

namespace {

/// λ Σ w(n_r) (b_r² + ‖x_r‖²) over `rows` rows of k factors and a bias,
/// n_r = degree(r): the one chain every caller sums, so that the term is the
/// same bits whoever computes it.
template <class Degree>
double penalty_of_rows(const float* factors, const float* bias, std::uint32_t rows, std::size_t k,
                       Degree degree, double lambda, const Regularization& reg) {
  // Each row's b² + ‖x‖² is one chain in double, b² then a fused
  // multiply-add per factor in order, and the rows' w (b² + ‖x‖²) are added
  // in row order, each a fused multiply-add too (under uniform weighting
  // w = 1, and fma(1, n, t) is t + n). The roundings are spelled out so
  // that no build can change them (docs/design.md §2). One row's chain is
  // k dependent additions, so kRows rows go at once as independent chains
  // (the same bits; MovieTweetings' 32k rows at k = 64: the term and the
  // objective's allreduce 1.3-1.5 -> 1.0 ms, the rest reading the rows).
  constexpr std::uint32_t kRows = 8;
  double total = 0.0;
  std::uint32_t r = 0;
  for (; r + kRows <= rows; r += kRows) {
    const float* x = factors + static_cast<std::size_t>(r) * k;
    std::array<double, kRows> norm{};
    for (std::uint32_t j = 0; j < kRows; ++j) {
      norm[j] = static_cast<double>(bias[r + j]) * bias[r + j];
    }
    for (std::size_t f = 0; f < k; ++f) {
      for (std::uint32_t j = 0; j < kRows; ++j) {
        const auto v = static_cast<double>(x[j * k + f]);
        norm[j] = std::fma(v, v, norm[j]);
      }
    }
    for (std::uint32_t j = 0; j < kRows; ++j) {
      total = std::fma(reg.weight(degree(r + j)), norm[j], total);
    }
  }
  for (; r < rows; ++r) {
    double norm = static_cast<double>(bias[r]) * bias[r];
    const float* x = factors + static_cast<std::size_t>(r) * k;
    for (std::size_t f = 0; f < k; ++f) norm = std::fma(static_cast<double>(x[f]), x[f], norm);
    total = std::fma(reg.weight(degree(r)), norm, total);
  }
  return lambda * total;
}

}  // namespace

double regularization_term(const model::FactorBlock& rows, const data::SparseBlock& block,
                           double lambda, const Regularization& reg) {
  DMF_CHECK(block.rows() == rows.rows, "regularization: {} rows of factors, {} of ratings",
            rows.rows, block.rows());
  return penalty_of_rows(
      rows.factors.data(), rows.bias.data(), rows.rows, rows.width(),
      [&](std::uint32_t r) { return block.degree(r); }, lambda, reg);
}

double regularization_term(std::span<const float> factors, std::span<const float> bias,
                           std::size_t k, std::span<const std::uint64_t> degrees, double lambda,
                           const Regularization& reg) {
  const std::size_t rows = degrees.size();
  DMF_CHECK(bias.size() == rows && factors.size() == rows * k,
            "regularization: {} factors and {} biases for {} rows of {}", factors.size(),
            bias.size(), rows, k);
  return penalty_of_rows(
      factors.data(), bias.data(), static_cast<std::uint32_t>(rows), k,
      [&](std::uint32_t r) { return degrees[r]; }, lambda, reg);
}

Objective total_objective(const dist::Comm& comm, double local_squared_error,
                          const model::Model& model, const data::RatingsData& data,
                          const Regularization& reg, std::uint64_t ratings) {
  return total_objective(comm, local_squared_error,
                         regularization_term(model.users, data.by_user, reg.lambda_user, reg) +
                             regularization_term(model.items, data.by_item, reg.lambda_item, reg),
                         ratings);
}

Objective total_objective(const dist::Comm& comm, double local_squared_error,
                          double local_regularization, std::uint64_t ratings) {
  std::array<double, 2> sums{local_squared_error, local_regularization};
  comm.allreduce<double>(sums, dist::Op::kSum);
  return Objective{sums[0], sums[1], ratings};
}

}  // namespace dmf::solvers
