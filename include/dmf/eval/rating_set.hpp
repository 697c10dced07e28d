// Ratings measured against a model — a validation or test set while
// training, the file of `dmf eval`, the pairs of `dmf predict`. They stay on
// the rank that read them; the model rows they need are fetched through a
// PairScorer. Ratings of users or items the model has never seen ("cold")
// follow a ColdStart policy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/model/pair_scorer.hpp"

namespace dmf::eval {

/// What to do with a rating of a user or item the model has not seen.
enum class ColdStart {
  kMean,   // predict μ plus whichever bias is known
  kDrop,   // leave it out (counted as cold, not scored)
  kError,  // stop with the file and line of the first one
};

inline std::span<const EnumName<ColdStart>> enum_names(ColdStart /*tag*/) {
  static constexpr std::array<EnumName<ColdStart>, 3> kNames{{
      {ColdStart::kMean, "mean"},
      {ColdStart::kDrop, "drop"},
      {ColdStart::kError, "error"},
  }};
  return kNames;
}

/// How well the model predicts a set of ratings, over all ranks. RMSE and
/// MAE of no ratings are not 0 but undefined: absent.
struct SetScore {
  std::optional<double> rmse;
  std::optional<double> mae;
  std::uint64_t count = 0;  // ratings scored
  std::uint64_t cold = 0;   // ratings of a user or item the model has not seen
};

class RatingSet {
 public:
  /// Collective. `ratings` were read on this rank from `path`
  /// (data::read_ratings_here); their IDs are looked up in the model's
  /// directories. Under kError a cold rating raises, on every rank, an error
  /// naming path:line.
  RatingSet(const dist::Comm& comm, const model::Model& model, const data::IdDirectory& users,
            const data::IdDirectory& items, const data::LocalRatings& ratings,
            const std::string& path, ColdStart cold_start);

  /// Collective: the prediction of every kept rating on this rank, in file
  /// order.
  [[nodiscard]] std::vector<float> predict(const dist::Comm& comm, const model::Model& model,
                                           int threads) const;

  /// Collective: RMSE and MAE of the model as it is now.
  [[nodiscard]] SetScore score(const dist::Comm& comm, const model::Model& model,
                               int threads) const;

  /// For each kept rating on this rank, its index in the ratings given.
  [[nodiscard]] const std::vector<std::size_t>& kept() const noexcept { return kept_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t cold() const noexcept { return cold_; }

 private:
  model::PairScorer scorer_;
  std::vector<float> values_;
  std::vector<std::size_t> kept_;
  std::uint64_t count_ = 0;             // kept, over all ranks
  std::uint64_t cold_ = 0;              // cold, over all ranks (kept or not)
  mutable std::vector<float> scratch_;  // score()'s predictions
};

}  // namespace dmf::eval
