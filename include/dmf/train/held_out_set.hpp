// Ratings the model does not train on but is measured against every epoch
// (validation) or at the end (test). They stay on the rank that read them;
// the model rows they need are fetched through a PairScorer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmf/data/id_directory.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/model/pair_scorer.hpp"

namespace dmf::train {

/// How well the model predicts a set of ratings, over all ranks.
struct SetScore {
  double rmse = 0.0;
  double mae = 0.0;
  std::uint64_t count = 0;
  std::uint64_t cold = 0;  // ratings of a user or item the model has not seen
};

class HeldOutSet {
 public:
  /// Collective. `ratings` were read on this rank (data::read_ratings_here);
  /// their IDs are looked up in the training directories. Ratings of unseen
  /// users or items are kept and predicted from μ and the known bias.
  HeldOutSet(const dist::Comm& comm, const model::Model& model, const data::IdDirectory& users,
             const data::IdDirectory& items, const data::LocalRatings& ratings);

  /// Collective: the score of the model as it is now.
  [[nodiscard]] SetScore score(const dist::Comm& comm, const model::Model& model,
                               int threads) const;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t cold() const noexcept { return cold_; }

 private:
  model::PairScorer scorer_;
  std::vector<float> values_;
  std::uint64_t count_ = 0;  // over all ranks
  std::uint64_t cold_ = 0;
};

}  // namespace dmf::train
