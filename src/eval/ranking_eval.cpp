#include "dmf/eval/ranking_eval.hpp"

#include <algorithm>
#include <limits>

#include "dmf/core/error.hpp"
#include "dmf/eval/unit_sum.hpp"

namespace dmf::eval {

std::vector<RankingQuery> ranking_queries(std::span<const std::vector<ItemValue>> test,
                                          std::span<const std::vector<ItemValue>> excluded,
                                          std::optional<double> threshold,
                                          std::uint64_t* left_out) {
  DMF_CHECK(excluded.empty() || excluded.size() == test.size(),
            "ranking_queries: {} exclusion lists for {} users", excluded.size(), test.size());
  std::vector<RankingQuery> queries;
  std::uint64_t left_out_here = 0;
  for (std::size_t u = 0; u < test.size(); ++u) {
    RankingQuery query;
    query.user = static_cast<std::uint32_t>(u);
    if (!excluded.empty()) {
      for (const ItemValue& e : excluded[u]) query.excluded.push_back(e.item);
    }
    for (const ItemValue& t : test[u]) {
      if (std::ranges::binary_search(query.excluded, t.item)) {
        ++left_out_here;
        continue;
      }
      if (threshold && static_cast<double>(t.value) < *threshold) continue;
      query.relevant.push_back(t.item);
    }
    if (!query.relevant.empty()) queries.push_back(std::move(query));
  }
  if (left_out != nullptr) *left_out = left_out_here;
  return queries;
}

RankingFigures ranking_figures(const dist::Comm& comm, const model::Model& model,
                               std::span<const RankingQuery> queries,
                               std::span<const MetricSpec> metrics, int threads) {
  int top = 0;  // coverage needs the lists themselves, as long as its largest k
  for (const MetricSpec& m : metrics) {
    DMF_CHECK(is_ranking(m.kind), "ranking_figures: {} is not a ranking metric", m.name());
    if (m.kind == MetricKind::kCoverage) top = std::max(top, m.k);
  }
  const std::vector<RankedUser> ranked = rank_users(comm, model, queries, top, threads);

  // Per metric, the exact sum of the users' values and how many users count.
  std::vector<UnitIntervalSum> sums(metrics.size());
  std::vector<std::uint64_t> counts(metrics.size(), 0);
  // For coverage: the best place each item takes in any user's list.
  constexpr auto kNowhere = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> best_place(top > 0 ? model.items.total_rows : 0, kNowhere);
  for (const RankedUser& user : ranked) {
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      if (metrics[m].kind == MetricKind::kCoverage) continue;
      if (const auto value = user_metric(metrics[m], user.ranking)) {
        sums[m].add(*value);
        ++counts[m];
      }
    }
    for (std::size_t place = 0; place < user.top.size(); ++place) {
      auto& best = best_place[user.top[place]];
      best = std::min(best, static_cast<std::uint32_t>(place + 1));
    }
  }
  if (top > 0) comm.allreduce<std::uint32_t>(best_place, dist::Op::kMin);
  comm.allreduce<std::uint64_t>(counts, dist::Op::kSum);
  // Integer sums: the same whichever rank holds which user.
  const std::vector<UnitIntervalSum> all_sums = comm.allgatherv<UnitIntervalSum>(sums);
  for (std::size_t m = 0; m < metrics.size(); ++m) sums[m] = UnitIntervalSum();
  for (std::size_t j = 0; j < all_sums.size(); ++j) sums[j % metrics.size()].add(all_sums[j]);

  RankingFigures figures;
  figures.items = model.items.total_rows;
  figures.users_ranked = comm.allreduce<std::uint64_t>(queries.size(), dist::Op::kSum);
  figures.users_skipped = model.users.total_rows - figures.users_ranked;
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    if (metrics[m].kind == MetricKind::kCoverage) {
      const auto k = static_cast<std::uint32_t>(metrics[m].k);
      const auto covered =
          std::ranges::count_if(best_place, [k](std::uint32_t p) { return p <= k; });
      figures.values.push_back(figures.items == 0 || figures.users_ranked == 0
                                   ? std::nullopt
                                   : std::optional<double>(static_cast<double>(covered) /
                                                           static_cast<double>(figures.items)));
    } else {
      figures.values.push_back(
          counts[m] == 0 ? std::nullopt
                         : std::optional<double>(sums[m].value() / static_cast<double>(counts[m])));
    }
  }
  return figures;
}

std::optional<double> exact_mean(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  UnitIntervalSum sum;
  for (const double v : values) sum.add(v);
  return sum.value() / static_cast<double>(values.size());
}

}  // namespace dmf::eval
