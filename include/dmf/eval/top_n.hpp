// Top-N recommendation over item blocks that live on different ranks: each
// rank scores the queries it holds against its own item block, then passes
// the block on around a ring of ranks, P steps in all, keeping the N best
// items of every query. No rank ever holds more than two item blocks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/eval/item_filter.hpp"
#include "dmf/model/model.hpp"

namespace dmf::eval {

struct Recommendation {
  std::uint32_t item = 0;  // global item row
  float score = 0.0F;      // μ + b_u + b_i + p_u·q_i
};

/// Better: the higher score; between equal scores, the lower item row (the
/// lower ID in canonical order).
[[nodiscard]] constexpr bool better(const Recommendation& a, const Recommendation& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

/// One query: a user row this rank owns (local index into model.users), or
/// kColdUser for a user the model has not seen (scored by μ + b_i alone).
inline constexpr std::uint32_t kColdUser = 0xFFFFFFFFU;

/// Collective. For each of this rank's queries, its `n` best items over the
/// whole model, best first, never one of `excluded[q]` (ascending global item
/// rows) nor an item `filter` leaves out. `excluded` is empty or has one
/// list per query.
[[nodiscard]] std::vector<std::vector<Recommendation>> top_n(
    const dist::Comm& comm, const model::Model& model, std::span<const std::uint32_t> queries,
    std::span<const std::vector<std::uint32_t>> excluded, int n, int threads,
    const ItemFilter& filter = {});

/// The same with the queries' rows in `users` (local rows; kColdUser as
/// above) rather than the model's: users whose factors were solved after
/// training (fold-in), scored against the model's `items` and μ.
[[nodiscard]] std::vector<std::vector<Recommendation>> top_n(
    const dist::Comm& comm, double mu, const model::FactorBlock& users,
    const model::FactorBlock& items, std::span<const std::uint32_t> queries,
    std::span<const std::vector<std::uint32_t>> excluded, int n, int threads,
    const ItemFilter& filter = {});

}  // namespace dmf::eval
