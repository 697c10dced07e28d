// `dmf gradcheck`: the analytic gradient of the objective L (the code gd
// trains with, gradient_terms.hpp, run in double) against central finite
// differences of L on a sample of coordinates. L is quadratic in any single
// coordinate, so a central difference is exact but for rounding: any real
// disagreement is a wrong gradient.
#pragma once

#include <cstdint>
#include <string>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/objective.hpp"

namespace dmf::solvers {

struct GradcheckOptions {
  std::uint64_t samples = 200;  // coordinates checked
  double step = 1e-3;           // h of (L(θ + h) − L(θ − h)) / 2h
  std::uint64_t seed = 1;       // which coordinates
};

/// One checked coordinate.
struct Coordinate {
  std::string side;            // "user" or "item"
  std::uint32_t row = 0;       // global row
  int column = 0;              // 0..k-1 a factor, k the bias
  double analytic = 0.0;       // ∂L/∂θ
  double numeric = 0.0;        // the central difference
  [[nodiscard]] double relative_error() const noexcept;
};

struct GradcheckResult {
  std::uint64_t checked = 0;
  Coordinate worst;  // the largest relative error
};

/// Collective. Checks ∂L/∂θ of `model` on `data` under `reg`.
[[nodiscard]] GradcheckResult gradient_check(const dist::Comm& comm,
                                             const data::RatingsData& data,
                                             const model::Model& model, const Regularization& reg,
                                             const GradcheckOptions& options);

}  // namespace dmf::solvers
