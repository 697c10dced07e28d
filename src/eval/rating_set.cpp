#include "dmf/eval/rating_set.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace dmf::eval {
namespace {

struct Mapped {
  std::vector<model::RowPair> pairs;
  std::vector<float> values;
  std::vector<std::size_t> kept;
  std::uint64_t cold = 0;  // on this rank
};

bool is_cold(const model::RowPair& p) {
  return p.user == data::kUnknownRow || p.item == data::kUnknownRow;
}

Mapped map_ratings(const dist::Comm& comm, const data::IdDirectory& users,
                   const data::IdDirectory& items, const data::LocalRatings& ratings,
                   const std::string& path, ColdStart cold_start) {
  const auto user_rows = users.lookup(comm, ratings.user_tokens);
  const auto item_rows = items.lookup(comm, ratings.item_tokens);
  Mapped mapped;
  std::uint64_t first_cold_line = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t k = 0; k < ratings.size(); ++k) {
    const model::RowPair pair{user_rows[ratings.users[k]], item_rows[ratings.items[k]]};
    if (is_cold(pair)) {
      ++mapped.cold;
      first_cold_line = std::min(first_cold_line, ratings.lines[k]);
      if (cold_start != ColdStart::kMean) continue;
    }
    mapped.pairs.push_back(pair);
    mapped.values.push_back(ratings.values[k]);
    mapped.kept.push_back(k);
  }
  if (cold_start == ColdStart::kError) {
    const auto first = comm.allreduce(first_cold_line, dist::Op::kMin);
    if (first != std::numeric_limits<std::uint64_t>::max()) {
      // The rank that read the line says which IDs are unknown.
      std::string what;
      for (std::size_t k = 0; k < ratings.size(); ++k) {
        if (ratings.lines[k] != first) continue;
        const bool user_cold = user_rows[ratings.users[k]] == data::kUnknownRow;
        what = fmt::format("{}: {} {} is not in the model (see --cold-start)",
                           ratings.line_names(path, first), user_cold ? "user" : "item",
                           user_cold ? ratings.user_tokens[ratings.users[k]]
                                     : ratings.item_tokens[ratings.items[k]]);
      }
      comm.raise_if_any(what.empty() ? std::nullopt : std::optional<std::string>(what));
    }
  }
  return mapped;
}

}  // namespace

RatingSet::RatingSet(const dist::Comm& comm, const model::Model& model,
                     const data::IdDirectory& users, const data::IdDirectory& items,
                     const data::LocalRatings& ratings, const std::string& path,
                     ColdStart cold_start) {
  Mapped mapped = map_ratings(comm, users, items, ratings, path, cold_start);
  scorer_ = model::PairScorer(comm, model, std::move(mapped.pairs));
  values_ = std::move(mapped.values);
  kept_ = std::move(mapped.kept);
  std::array<std::uint64_t, 2> counts{values_.size(), mapped.cold};
  comm.allreduce<std::uint64_t>(counts, dist::Op::kSum);
  count_ = counts[0];
  cold_ = counts[1];
}

std::vector<float> RatingSet::predict(const dist::Comm& comm, const model::Model& model,
                                      int threads) const {
  std::vector<float> predictions(values_.size());
  scorer_.predict(comm, model, predictions, threads);
  return predictions;
}

SetScore RatingSet::score(const dist::Comm& comm, const model::Model& model, int threads) const {
  // Scored every epoch of a training run: the predictions' array is kept.
  std::vector<float>& predictions = scratch_;
  predictions.resize(values_.size());
  scorer_.predict(comm, model, predictions, threads);
  std::array<double, 2> sums{0.0, 0.0};  // squared, absolute
  for (std::size_t k = 0; k < predictions.size(); ++k) {
    const double error = static_cast<double>(values_[k]) - predictions[k];
    sums[0] += error * error;
    sums[1] += std::abs(error);
  }
  comm.allreduce<double>(sums, dist::Op::kSum);
  if (count_ == 0) return SetScore{std::nullopt, std::nullopt, count_, cold_};
  const auto n = static_cast<double>(count_);
  return SetScore{std::sqrt(sums[0] / n), sums[1] / n, count_, cold_};
}

}  // namespace dmf::eval
