#include "dmf/solvers/objective.hpp"

#include <cmath>

#include "dmf/core/error.hpp"

namespace dmf::solvers {

double Objective::rmse() const noexcept {
  return ratings == 0 ? 0.0 : std::sqrt(squared_error / static_cast<double>(ratings));
}

double regularization_term(const model::FactorBlock& rows, const data::SparseBlock& block,
                           double lambda, const Regularization& reg) {
  DMF_CHECK(block.rows() == rows.rows, "regularization: {} rows of factors, {} of ratings",
            rows.rows, block.rows());
  double total = 0.0;
  for (std::uint32_t r = 0; r < rows.rows; ++r) {
    double norm = static_cast<double>(rows.bias[r]) * rows.bias[r];
    for (const float x : rows.row(r)) norm += static_cast<double>(x) * x;
    total += reg.weight(block.degree(r)) * norm;
  }
  return lambda * total;
}

}  // namespace dmf::solvers
