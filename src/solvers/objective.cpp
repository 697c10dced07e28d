#include "dmf/solvers/objective.hpp"

#include <array>
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

Objective total_objective(const dist::Comm& comm, double local_squared_error,
                          const model::Model& model, const data::RatingsData& data,
                          const Regularization& reg, std::uint64_t ratings) {
  std::array<double, 2> sums{
      local_squared_error,
      regularization_term(model.users, data.by_user, reg.lambda_user, reg) +
          regularization_term(model.items, data.by_item, reg.lambda_item, reg)};
  comm.allreduce<double>(sums, dist::Op::kSum);
  return Objective{sums[0], sums[1], ratings};
}

}  // namespace dmf::solvers
