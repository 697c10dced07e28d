#include "dmf/eval/user_ranking.hpp"

#include <algorithm>
#include <array>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/eval/item_ring.hpp"

namespace dmf::eval {
namespace {

struct Scored {
  double score = 0.0;
  std::uint32_t item = 0;  // global item row
};

/// Whether `a` comes before `b` in a ranking: the higher score, then the
/// lower item row (the rule of eval::better, which recommend uses).
constexpr bool ahead(const Scored& a, const Scored& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

/// ahead() without branches: which way a comparison goes is unpredictable.
constexpr bool ahead_branchless(const Scored& a, const Scored& b) noexcept {
  return static_cast<bool>(
      static_cast<int>(a.score > b.score) |
      (static_cast<int>(a.score == b.score) & static_cast<int>(a.item < b.item)));
}

/// In `order` (best first, not empty), the index of the first item that
/// `candidate` is ahead of, or order.size(): a binary search whose steps
/// are conditional moves, not branches (it runs for every candidate item
/// of every ranked user).
std::size_t first_behind(std::span<const Scored> order, const Scored& candidate) noexcept {
  std::size_t base = 0;
  std::size_t n = order.size();
  // The answer lies in [base, base + n].
  while (n > 1) {
    const std::size_t half = n / 2;
    base = ahead_branchless(candidate, order[base + half]) ? base : base + half;
    n -= half;
  }
  return base + static_cast<std::size_t>(!ahead_branchless(candidate, order[base]));
}

/// The first n items seen so far, as a heap with the last on top.
class FirstItems {
 public:
  explicit FirstItems(std::size_t n) : n_(n) {}

  void offer(const Scored& s) {
    if (heap_.size() < n_) {
      heap_.push_back(s);
      std::ranges::push_heap(heap_, ahead);
    } else if (n_ > 0 && ahead(s, heap_.front())) {
      std::ranges::pop_heap(heap_, ahead);
      heap_.back() = s;
      std::ranges::push_heap(heap_, ahead);
    }
  }

  /// Best first.
  std::vector<std::uint32_t> take() {
    std::ranges::sort(heap_, ahead);
    std::vector<std::uint32_t> items(heap_.size());
    std::ranges::transform(heap_, items.begin(), &Scored::item);
    return items;
  }

 private:
  std::size_t n_;
  std::vector<Scored> heap_;
};

/// Items scored together: independent sums, so the multiply-adds of
/// several items overlap instead of each waiting on the previous one.
constexpr std::size_t kTile = 8;

/// ranking_score of user row `p` (bias `user_bias`) with the `count` ≤ kTile
/// packed item rows at `rows`, into `out`. Each item's sum is added in
/// ranking_score's order, so the values are the same bit for bit however
/// the items are tiled (the first pass scores items one at a time).
void score_tile(double mu, float user_bias, std::span<const float> p, const float* rows,
                std::size_t count, double* out) {
  const std::size_t k = p.size();
  const std::size_t width = k + 1;  // packed rows: [factors..., bias]
  std::array<double, kTile> sums{};
  for (std::size_t t = 0; t < count; ++t) {
    sums[t] = mu + static_cast<double>(user_bias) + static_cast<double>(rows[t * width + k]);
  }
  for (std::size_t f = 0; f < k; ++f) {
    const auto pf = static_cast<double>(p[f]);
    for (std::size_t t = 0; t < count; ++t)
      sums[t] += pf * static_cast<double>(rows[t * width + f]);
  }
  std::copy_n(sums.begin(), count, out);
}

/// The packed rows of an item block regrouped kTile items at a time, each
/// group factor-major ([f][t]; the bias as factor k; missing items 0), so
/// that a group's kTile products of one factor are one contiguous load.
std::vector<float> transposed_tiles(std::span<const float> rows, std::size_t count,
                                    std::size_t width) {
  const std::size_t groups = (count + kTile - 1) / kTile;
  std::vector<float> tiles(groups * width * kTile, 0.0F);
  for (std::size_t j = 0; j < count; ++j) {
    float* tile = tiles.data() + (j / kTile) * width * kTile + j % kTile;
    for (std::size_t f = 0; f < width; ++f) tile[f * kTile] = rows[j * width + f];
  }
  return tiles;
}

/// score_tile over one group of transposed_tiles: the same sums in the same
/// order, so the same bits.
void score_transposed_tile(double mu, float user_bias, std::span<const float> p, const float* tile,
                           double* out) {
  const std::size_t k = p.size();
  std::array<double, kTile> sums{};
  for (std::size_t t = 0; t < kTile; ++t) {
    sums[t] = mu + static_cast<double>(user_bias) + static_cast<double>(tile[k * kTile + t]);
  }
  for (std::size_t f = 0; f < k; ++f) {
    const auto pf = static_cast<double>(p[f]);
    for (std::size_t t = 0; t < kTile; ++t) {
      sums[t] += pf * static_cast<double>(tile[f * kTile + t]);
    }
  }
  std::copy(sums.begin(), sums.end(), out);
}

/// A query's working state.
struct State {
  std::vector<double> relevant_scores;  // per relevant item, in item order
  std::vector<Scored> relevant_order;   // the relevant items, best first
  /// overtaken[j]: candidates ahead of relevant_order[j] but not of any
  /// relevant item before it; its prefix sums count the candidates ahead.
  std::vector<std::uint64_t> overtaken;
  FirstItems top;
};

}  // namespace

std::vector<RankedUser> rank_users(const dist::Comm& comm, const model::Model& model,
                                   std::span<const RankingQuery> queries, int top, int threads) {
  DMF_CHECK(top >= 0, "rank_users: top = {}", top);
  const auto k = static_cast<std::size_t>(model.k);
  const std::size_t width = k + 1;  // packed item rows: [factors..., bias]
  const auto n = static_cast<std::int64_t>(queries.size());
  std::vector<State> states(queries.size(),
                            State{{}, {}, {}, FirstItems(static_cast<std::size_t>(top))});
  // Scores of `count` consecutive packed item rows for a query's user.
  auto score = [&](const RankingQuery& query, const float* item_rows, std::size_t count,
                   double* out) {
    score_tile(model.mu, model.users.bias[query.user], model.users.row(query.user), item_rows,
               count, out);
  };

  // Pass 1: the scores of each query's relevant items.
  for (std::size_t q = 0; q < queries.size(); ++q) {
    DMF_CHECK(!queries[q].relevant.empty(), "rank_users: query {} has no relevant item", q);
    states[q].relevant_scores.resize(queries[q].relevant.size());
  }
  for_each_item_block(
      comm, model.items,
      [&](std::uint32_t first_item, std::size_t count, std::span<const float> rows) {
        parallel_for(threads, n, [&](std::int64_t q) {
          const RankingQuery& query = queries[static_cast<std::size_t>(q)];
          State& state = states[static_cast<std::size_t>(q)];
          const auto begin = query.relevant.begin();
          for (auto it = std::ranges::lower_bound(query.relevant, first_item);
               it != query.relevant.end() && *it - first_item < count; ++it) {
            score(query, rows.data() + static_cast<std::size_t>(*it - first_item) * width, 1,
                  &state.relevant_scores[static_cast<std::size_t>(it - begin)]);
          }
        });
      });
  for (std::size_t q = 0; q < queries.size(); ++q) {
    State& state = states[q];
    for (std::size_t j = 0; j < queries[q].relevant.size(); ++j) {
      state.relevant_order.push_back({state.relevant_scores[j], queries[q].relevant[j]});
    }
    std::ranges::sort(state.relevant_order, ahead);
    state.overtaken.assign(state.relevant_order.size(), 0);
  }

  // Pass 2: every candidate item, counted against the relevant items it is
  // ahead of (a relevant item is a candidate too, never ahead of itself).
  for_each_item_block(
      comm, model.items,
      [&](std::uint32_t first_item, std::size_t count, std::span<const float> rows) {
        // Every query scores every item of the block: regrouped once for it.
        const std::vector<float> tiles = transposed_tiles(rows, count, width);
        parallel_for_dynamic(threads, n, 1, [&](std::int64_t q, int /*worker*/) {
          const RankingQuery& query = queries[static_cast<std::size_t>(q)];
          State& state = states[static_cast<std::size_t>(q)];
          auto next_excluded = std::ranges::lower_bound(query.excluded, first_item);
          std::array<double, kTile> tile{};
          for (std::size_t j = 0; j < count; ++j) {
            if (j % kTile == 0) {
              score_transposed_tile(model.mu, model.users.bias[query.user],
                                    model.users.row(query.user),
                                    tiles.data() + (j / kTile) * width * kTile, tile.data());
            }
            const auto item = static_cast<std::uint32_t>(first_item + j);
            if (next_excluded != query.excluded.end() && *next_excluded == item) {
              ++next_excluded;
              continue;
            }
            const Scored candidate{tile[j % kTile], item};
            // The relevant items are best first, so those the candidate is
            // ahead of are a suffix.
            const std::size_t at = first_behind(state.relevant_order, candidate);
            if (at != state.relevant_order.size()) ++state.overtaken[at];
            state.top.offer(candidate);
          }
        });
      });

  std::vector<RankedUser> out(queries.size());
  for (std::size_t q = 0; q < queries.size(); ++q) {
    State& state = states[q];
    UserRanking& ranking = out[q].ranking;
    ranking.candidates = model.items.total_rows - queries[q].excluded.size();
    std::uint64_t ahead_of = 0;
    for (const std::uint64_t overtaken : state.overtaken) {
      ahead_of += overtaken;
      ranking.relevant_positions.push_back(ahead_of + 1);
    }
    out[q].top = state.top.take();
  }
  return out;
}

}  // namespace dmf::eval
