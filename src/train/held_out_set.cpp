#include "dmf/train/held_out_set.hpp"

#include <array>
#include <cmath>

namespace dmf::train {
namespace {

std::vector<model::RowPair> row_pairs(const dist::Comm& comm, const data::IdDirectory& users,
                                      const data::IdDirectory& items,
                                      const data::LocalRatings& ratings) {
  const auto user_rows = users.lookup(comm, ratings.user_tokens);
  const auto item_rows = items.lookup(comm, ratings.item_tokens);
  std::vector<model::RowPair> pairs(ratings.size());
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    pairs[k] = {user_rows[ratings.users[k]], item_rows[ratings.items[k]]};
  }
  return pairs;
}

}  // namespace

HeldOutSet::HeldOutSet(const dist::Comm& comm, const model::Model& model,
                       const data::IdDirectory& users, const data::IdDirectory& items,
                       const data::LocalRatings& ratings)
    : scorer_(comm, model, row_pairs(comm, users, items, ratings)), values_(ratings.values) {
  std::array<std::uint64_t, 2> counts{scorer_.size(), scorer_.cold()};
  comm.allreduce<std::uint64_t>(counts, dist::Op::kSum);
  count_ = counts[0];
  cold_ = counts[1];
}

SetScore HeldOutSet::score(const dist::Comm& comm, const model::Model& model,
                           int threads) const {
  std::vector<float> predictions(values_.size());
  scorer_.predict(comm, model, predictions, threads);
  std::array<double, 2> sums{0.0, 0.0};  // squared, absolute
  for (std::size_t k = 0; k < predictions.size(); ++k) {
    const double error = static_cast<double>(values_[k]) - predictions[k];
    sums[0] += error * error;
    sums[1] += std::abs(error);
  }
  comm.allreduce<double>(sums, dist::Op::kSum);
  const double n = count_ == 0 ? 1.0 : static_cast<double>(count_);
  return SetScore{std::sqrt(sums[0] / n), sums[1] / n, count_, cold_};
}

}  // namespace dmf::train
