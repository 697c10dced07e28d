// The items most similar to a query item by the cosine of their factor
// rows, over item blocks that live on different ranks (eval/item_ring, as
// top-N lists): the rank that owns a query item scores it against every
// block in turn; no rank holds all items.
//
//   cos(i, j) = q_i·q_j / (‖q_i‖ ‖q_j‖)
//
// summed in double from the float rows in factor order (a product of two
// floats is exact in double), so a score is a function of the two rows
// alone and the lists are the same for any number of ranks and threads.
// Biases play no part: similarity is of the items' directions in factor
// space. An item whose factors are all zero has no direction, so its cosine
// is undefined: it is taken as 0 with every item (as scikit-learn's
// cosine_similarity and python/dmf_model.py's similar_items take it), so
// such an item ranks after every positive cosine, and as a query it gets
// the lowest item rows, all at 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/eval/item_filter.hpp"
#include "dmf/model/model.hpp"

namespace dmf::eval {

struct SimilarItem {
  std::uint32_t item = 0;  // global item row
  double score = 0.0;      // the cosine
};

/// Closer: the higher cosine; between equal ones, the lower item row (the
/// lower ID in canonical order), as recommend breaks ties.
[[nodiscard]] constexpr bool closer(const SimilarItem& a, const SimilarItem& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

/// The cosine of two factor rows as the lists compute it: 0 when either is
/// all zeros.
[[nodiscard]] double cosine(std::span<const float> a, std::span<const float> b);

/// Collective. For each query (a local row of `items`, which this rank
/// owns), its `n` closest items, best first: never the query item itself
/// or one `filter` leaves out.
[[nodiscard]] std::vector<std::vector<SimilarItem>> similar_items(
    const dist::Comm& comm, const model::FactorBlock& items, std::span<const std::uint32_t> queries,
    int n, int threads, const ItemFilter& filter = {});

}  // namespace dmf::eval
