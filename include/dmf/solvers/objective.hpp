// The one objective every solver minimizes (docs/design.md §2):
//   L = Σ_Ω (r − r̂)² + λ_u Σ_u w_u (‖p_u‖² + b_u²) + λ_i Σ_i w_i (‖q_i‖² + b_i²)
// with w = the row's rating count (default) or 1; under implicit feedback
// the squared error is the confidence-weighted sum over all pairs (§2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::solvers {

enum class RegWeighting { kCount, kUniform };

inline std::span<const EnumName<RegWeighting>> enum_names(RegWeighting /*tag*/) {
  static constexpr std::array<EnumName<RegWeighting>, 2> kNames{{
      {RegWeighting::kCount, "count"},
      {RegWeighting::kUniform, "uniform"},
  }};
  return kNames;
}

struct Regularization {
  double lambda_user = 0.05;
  double lambda_item = 0.05;
  RegWeighting weighting = RegWeighting::kCount;

  /// The weight w of a row with `ratings` training ratings.
  [[nodiscard]] double weight(std::uint64_t ratings) const noexcept {
    return weighting == RegWeighting::kCount ? static_cast<double>(ratings) : 1.0;
  }
};

/// The objective's parts, summed over all ranks.
struct Objective {
  double squared_error = 0.0;   // Σ_Ω (r − r̂)² (all_pairs: Σ_all c (p − r̂)²)
  double regularization = 0.0;  // the λ terms
  std::uint64_t ratings = 0;    // |Ω|
  /// The implicit-feedback objective (§2): squared_error sums over every
  /// user-item pair, so it is no RMSE of the ratings.
  bool all_pairs = false;

  [[nodiscard]] double value() const noexcept { return squared_error + regularization; }
  /// L / |Ω|, the reported "loss".
  [[nodiscard]] double per_rating() const noexcept {
    return ratings == 0 ? 0.0 : value() / static_cast<double>(ratings);
  }
  [[nodiscard]] double rmse() const noexcept;
  /// The RMSE of the training ratings, when the objective has one.
  [[nodiscard]] std::optional<double> train_rmse() const noexcept {
    return all_pairs ? std::nullopt : std::optional<double>(rmse());
  }
};

/// Collective: the objective from this rank's Σ (r − r̂)² and the
/// penalties of the rows it owns (model.users over data.by_user,
/// model.items over data.by_item), summed over ranks; |Ω| = `ratings`.
[[nodiscard]] Objective total_objective(const dist::Comm& comm, double local_squared_error,
                                        const model::Model& model, const data::RatingsData& data,
                                        const Regularization& reg, std::uint64_t ratings);

/// Collective: the objective from this rank's Σ (r − r̂)² and the penalties
/// it summed, whichever rows they were (every row once over all ranks).
[[nodiscard]] Objective total_objective(const dist::Comm& comm, double local_squared_error,
                                        double local_regularization, std::uint64_t ratings);

/// This rank's regularization term for its rows of one side: λ Σ w (‖row‖² + b²),
/// where w counts the row's ratings in `block` (the side's CSR or CSC).
[[nodiscard]] double regularization_term(const model::FactorBlock& rows,
                                         const data::SparseBlock& block, double lambda,
                                         const Regularization& reg);

/// The same term, the same bits, for rows held as arrays: rows × k factors,
/// a bias per row, and each row's rating count in `degrees`.
[[nodiscard]] double regularization_term(std::span<const float> factors,
                                         std::span<const float> bias, std::size_t k,
                                         std::span<const std::uint64_t> degrees, double lambda,
                                         const Regularization& reg);

}  // namespace dmf::solvers
