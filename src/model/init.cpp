#include "dmf/model/init.hpp"

#include <cmath>

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"
#include "dmf/model/global_mean.hpp"

namespace dmf::model {

void init_factors(FactorBlock& block, const data::IdDirectory& ids, Stream side,
                  std::uint64_t seed, double scale) {
  DMF_CHECK(block.rows == ids.local_rows() && block.first_row == ids.first_row(),
            "init_factors: the block holds rows [{}, +{}) but the directory owns [{}, +{})",
            block.first_row, block.rows, ids.first_row(), ids.local_rows());
  const double sd = block.k > 0 ? scale / std::sqrt(static_cast<double>(block.k)) : 0.0;
  for (std::uint32_t r = 0; r < block.rows; ++r) {
    Rng rng = Rng::for_stream(seed, side, hash_bytes(ids.token(r)));
    for (auto& x : block.row(r)) x = static_cast<float>(sd * rng.normal());
    block.bias[r] = 0.0F;
  }
}

Model init_model(const dist::Comm& comm, const data::RatingsData& data, int k, Biases biases,
                 std::uint64_t seed, double scale) {
  Model model;
  model.mu = global_mean(comm, data.by_user);
  model.k = k;
  model.biases = biases;
  model.users = FactorBlock(data.users.first_row(), data.users.local_rows(),
                            data.users.total_rows(), k);
  model.items = FactorBlock(data.items.first_row(), data.items.local_rows(),
                            data.items.total_rows(), k);
  init_factors(model.users, data.users, Stream::kUserFactors, seed, scale);
  init_factors(model.items, data.items, Stream::kItemFactors, seed, scale);
  return model;
}

}  // namespace dmf::model
