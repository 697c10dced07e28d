// A whole model of random rows and each rank's uneven share of it, for the
// tests of top-N lists and ranking metrics: the distributed figures against a
// reference written plainly over every row.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::test {

/// Every row of a model with k factors, in global row order.
struct WholeModel {
  double mu = 3.5;
  std::vector<float> p, q, bu, bi;  // users × k, items × k, users, items
};

/// Random rows from `seed`: standard normal values, or with `ties` whole
/// quarters in [-max_step / 4, max_step / 4] (many exactly equal scores).
[[nodiscard]] WholeModel random_whole_model(std::uint32_t users, std::uint32_t items, int k,
                                            bool ties, unsigned seed, int max_step);

/// This rank's rows of `total` as (first, count): uneven, rank 0 the largest
/// and rank 1 none when there are 3 or more ranks.
[[nodiscard]] std::pair<std::uint32_t, std::uint32_t> uneven_rows(const dist::Comm& comm,
                                                                  std::uint32_t total);

/// Rows [first, first + rows) of `total` with k factors each, as a block.
[[nodiscard]] model::FactorBlock slice_rows(const std::vector<float>& factors,
                                            const std::vector<float>& bias, std::uint32_t first,
                                            std::uint32_t rows, std::uint32_t total, int k);

}  // namespace dmf::test
