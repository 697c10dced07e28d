// Each user's whole ranking, computed on the rank that owns the user
// against every item block in turn (eval/item_ring), reduced to what the
// ranking metrics need: where the user's relevant items fall (UserRanking)
// and, for catalogue coverage, the first items of the list.
//
// The order is the one `dmf recommend` uses: the higher score first, equal
// scores by the lower item row (canonical ID order). The score here is
//   (μ + b_u + b_i) + p_u1 q_i1 + p_u2 q_i2 + ... + p_uk q_ik
// summed in double in this order from the float rows: a function of the two
// rows alone (a product of two floats is exact in double, so a fused
// multiply-add gives the same sum), so the order — and every figure — is
// the same for any number of ranks and threads (docs/design.md §5).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/eval/ranking_metrics.hpp"
#include "dmf/model/model.hpp"

namespace dmf::eval {

/// One user to rank.
struct RankingQuery {
  std::uint32_t user = 0;               // local row of model.users
  std::vector<std::uint32_t> relevant;  // global item rows, ascending, none excluded, not empty
  std::vector<std::uint32_t> excluded;  // global item rows, ascending: not ranked
};

struct RankedUser {
  UserRanking ranking;
  std::vector<std::uint32_t> top;  // the first `top` items of the ranking, best first
};

/// Collective. Ranks every item of the model but the excluded ones for each
/// query; `top` (≥ 0) items of each list are kept.
[[nodiscard]] std::vector<RankedUser> rank_users(const dist::Comm& comm, const model::Model& model,
                                                 std::span<const RankingQuery> queries, int top,
                                                 int threads);

}  // namespace dmf::eval
