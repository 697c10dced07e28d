// The metrics of `dmf eval --metrics` and the ranking metrics' formulas for
// one user (README "Commands: eval", docs/design.md §7). Every top-k metric,
// and AUC, depends only on where the user's relevant items fall in the
// ordering of the items the user may be recommended, so one user's ranking
// is summarised by those positions (UserRanking). Pure functions: the
// distributed part is eval/ranking_eval.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dmf::eval {

enum class MetricKind {
  kRmse,
  kMae,
  kPrecision,
  kRecall,
  kMap,
  kNdcg,
  kMrr,
  kHit,
  kAuc,
  kCoverage,  // catalogue coverage: over all users, not per user
};

/// A metric as `--metrics` names it: its kind and, for a top-k metric, k.
struct MetricSpec {
  MetricKind kind = MetricKind::kRmse;
  int k = 0;  // the cut-off of a top-k metric; 0 for rmse, mae and auc

  /// The name as printed: "rmse", "auc", "ndcg@10".
  [[nodiscard]] std::string name() const;
  friend bool operator==(const MetricSpec&, const MetricSpec&) = default;
};

/// Whether the metric is measured on rankings (not on predicted ratings).
[[nodiscard]] bool is_ranking(MetricKind kind) noexcept;

/// Whether the metric has a cut-off k.
[[nodiscard]] bool takes_k(MetricKind kind) noexcept;

/// Whether a higher value is the better one: true for the ranking metrics,
/// false for rmse and mae (the comparison of early stopping and --restarts).
[[nodiscard]] bool higher_is_better(MetricKind kind) noexcept;

/// The accepted names, for --help and errors: "rmse, mae, precision@k, ...";
/// with `per_user_only`, without catalogue coverage (a figure of the whole
/// catalogue, not a mean over users).
[[nodiscard]] std::string accepted_metrics(bool per_user_only = false);

/// Parses a comma-separated list such as "rmse,ndcg@20,precision": a top-k
/// metric written without @k (or with the letter k) takes `default_k`. A name
/// given twice counts once; the order is kept. Throws dmf::Error naming the
/// accepted metrics for an unknown name, a bad or misplaced @k, an empty list.
[[nodiscard]] std::vector<MetricSpec> parse_metrics(std::string_view list, int default_k);

/// Parses one name as `option` takes it (`dmf train --validation-metric
/// ndcg@10`), by the rules of parse_metrics, but catalogue coverage is
/// refused: the option takes a metric that is a mean over users. Errors
/// name `option` and the accepted metrics.
[[nodiscard]] MetricSpec parse_per_user_metric(std::string_view text, int default_k,
                                               std::string_view option);

/// One user's ranking, as the metrics need it: the items ranked for the user
/// (the catalogue minus the items excluded for the user) in order, best
/// first, and where the user's relevant items fall in that order.
struct UserRanking {
  std::uint64_t candidates = 0;  // items ranked
  /// 1-based positions of the relevant items, ascending, distinct, each at
  /// most `candidates`. Non-empty: users without a relevant item are not
  /// ranked.
  std::vector<std::uint64_t> relevant_positions;
};

/// The value of a per-user metric (precision, recall, map, ndcg, mrr, hit,
/// auc) for one user, in [0, 1]; absent when undefined (auc of a user whose
/// every candidate is relevant). The formulas are the README's:
///   precision@k = h / k,  recall@k = h / R   (h = relevant in the top k,
///                                             R = relevant items)
///   map@k  = (Σ_{relevant at position j ≤ k} h_j / j) / min(k, R)
///            (h_j = relevant in the top j)
///   ndcg@k = (Σ_{relevant at position j ≤ k} 1 / log2(j + 1))
///            / (Σ_{j=1}^{min(k, R)} 1 / log2(j + 1))
///   mrr@k  = 1 / (position of the first relevant) if it is ≤ k, else 0
///   hit@k  = 1 if a relevant item is in the top k, else 0
///   auc    = (relevant, non-relevant) pairs with the relevant one first
///            / (R · (candidates − R))
[[nodiscard]] std::optional<double> user_metric(const MetricSpec& metric,
                                                const UserRanking& ranking);

}  // namespace dmf::eval
