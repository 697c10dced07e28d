// The Gram matrix of one side's factor rows, Σ_rows y yᵀ (k × k), summed
// over every rank so that it is bitwise the same for any number of ranks and
// threads (docs/design.md §5, implicit ALS). A float product y_a·y_b is exact
// in double; scaled by a power of two agreed by all ranks (from the largest
// |entry| and the row count) it is truncated to an integer, and the integers
// are added in 64 bits, which is exact and associative: no order of addition
// can change a bit. The scale keeps every total below 2^62, so each product
// keeps about 62 − log2(rows) bits relative to the largest one — far below
// the rounding of the float factors.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::solvers {

/// The exponent s of the scale 2^s for `rows` rows whose largest |entry| is
/// `largest` (> 0): rows products of at most largest², scaled, stay below 2^62.
[[nodiscard]] int gram_exponent(float largest, std::uint64_t rows);

/// Adds to `sums` (k × k, upper triangle) each product y_a·y_b (a ≤ b) of
/// rows [begin, end) of `block`, scaled by 2^exponent and truncated.
void add_gram_terms(const model::FactorBlock& block, std::uint32_t begin, std::uint32_t end,
                    int exponent, std::span<std::int64_t> sums);

/// The symmetric k × k Gram matrix (row-major) of the integer `sums`.
[[nodiscard]] std::vector<double> gram_from_sums(std::span<const std::int64_t> sums, std::size_t k,
                                                 int exponent);

/// Collective: Σ over every rank's rows of `block` of row rowᵀ, k × k
/// row-major (symmetric), the same bits on every rank and for any split of
/// the rows over ranks and `threads`.
[[nodiscard]] std::vector<double> exact_gram(const dist::Comm& comm,
                                             const model::FactorBlock& block, int threads);

}  // namespace dmf::solvers
