// Initial factors: each row a pure function of (seed, side, original ID), so
// a model starts the same for any number of ranks and any file order
// (docs/design.md §5).
#pragma once

#include <cstdint>

#include "dmf/core/rng.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::model {

/// Fills `block` (this rank's rows of `ids`) with N(0, scale²/k) entries, so
/// a row's norm is about `scale`, and zero biases. `side` is
/// Stream::kUserFactors or Stream::kItemFactors.
void init_factors(FactorBlock& block, const data::IdDirectory& ids, Stream side,
                  std::uint64_t seed, double scale);

/// Collective: a new model over `data`'s rows, μ its mean rating, rows
/// initialised by init_factors with `seed` and `scale`.
[[nodiscard]] Model init_model(const dist::Comm& comm, const data::RatingsData& data, int k,
                               Biases biases, std::uint64_t seed, double scale);

}  // namespace dmf::model
