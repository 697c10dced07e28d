#include "dmf/train/validation.hpp"

#include <array>

#include "dmf/core/error.hpp"
#include "dmf/eval/owned_user_items.hpp"
#include "dmf/eval/ranking_eval.hpp"

namespace dmf::train {

std::string metric_label(const eval::MetricSpec& metric) {
  if (metric.kind == eval::MetricKind::kRmse) return "RMSE";
  if (metric.kind == eval::MetricKind::kMae) return "MAE";
  return metric.name();
}

Validation::Validation(const dist::Comm& comm, const model::Model& model,
                       const data::RatingsData& train, const data::LocalRatings& ratings,
                       const std::string& path, eval::MetricSpec metric,
                       std::optional<double> relevant_threshold, bool predicts_ratings)
    : set_(comm, model, train.users, train.items, ratings, path, eval::ColdStart::kMean),
      metric_(metric),
      predicts_ratings_(predicts_ratings) {
  DMF_CHECK(predicts_ratings_ || eval::is_ranking(metric_.kind),
            "Validation: a model that predicts no ratings is measured by a ranking metric");
  if (!eval::is_ranking(metric_.kind)) return;
  // The validation pairs by user, on the user's owner: where the training
  // data's CSR already holds the user's rated items, the ones left out.
  const eval::OwnedUserItems test =
      eval::group_by_owned_user(comm, train.users, train.items, ratings);
  DMF_CHECK(train.by_user.first_row == train.users.first_row() &&
                train.by_user.rows() == train.users.local_rows(),
            "Validation: the training block is not the user directory's rows");
  std::vector<std::vector<eval::ItemValue>> rated(test.of_user.size());
  for (std::uint32_t u = 0; u < rated.size(); ++u) {
    if (test.of_user[u].empty()) continue;  // not ranked: nothing to leave out
    for (const std::uint32_t item : train.by_user.row_columns(u)) rated[u].push_back({item, 0.0F});
  }
  std::uint64_t left_out = 0;
  queries_ = eval::ranking_queries(test.of_user, rated, relevant_threshold, &left_out);
  std::array<std::uint64_t, 2> counts{queries_.size(), left_out};
  comm.allreduce<std::uint64_t>(counts, dist::Op::kSum);
  users_ranked_ = counts[0];
  rated_left_out_ = counts[1];
}

ValidationFigures Validation::measure(const dist::Comm& comm, const model::Model& model,
                                      int threads) const {
  ValidationFigures figures;
  if (predicts_ratings_) {
    figures.score = set_.score(comm, model, threads);
  } else {
    figures.score.count = set_.count();
    figures.score.cold = set_.cold();
  }
  switch (metric_.kind) {
    case eval::MetricKind::kRmse:
      figures.watched = figures.score.rmse;
      break;
    case eval::MetricKind::kMae:
      figures.watched = figures.score.mae;
      break;
    default:
      figures.watched =
          eval::ranking_figures(comm, model, queries_, std::span(&metric_, 1), threads).values[0];
  }
  return figures;
}

}  // namespace dmf::train
