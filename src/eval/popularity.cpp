// The popularity baseline as a rank-0 model: b_i = item i's training users.
#include "dmf/eval/popularity.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"

namespace dmf::eval {

model::LoadedModel popularity_model(const dist::Comm& comm, data::RatingsData train) {
  constexpr std::uint64_t kExactInFloat = std::uint64_t{1} << 24U;
  model::LoadedModel out;
  model::Model& m = out.model;
  m.k = 0;
  m.mu = 0.0;
  m.biases = model::Biases::kItem;
  m.users = model::FactorBlock(train.users.first_row(), train.users.local_rows(),
                               train.users.total_rows(), 0);
  m.items = model::FactorBlock(train.items.first_row(), train.items.local_rows(),
                               train.items.total_rows(), 0);
  const data::SparseBlock& by_item = train.by_item;
  DMF_CHECK(by_item.rows() == m.items.rows && by_item.first_row == m.items.first_row,
            "popularity_model: the item block holds rows {}+{}, the directory {}+{}",
            by_item.first_row, by_item.rows(), m.items.first_row, m.items.rows);
  std::uint64_t largest = 0;
  for (std::uint32_t r = 0; r < by_item.rows(); ++r) {
    largest = std::max(largest, by_item.degree(r));
    m.items.bias[r] = static_cast<float>(by_item.degree(r));
  }
  largest = comm.allreduce(largest, dist::Op::kMax);
  comm.agree([&] {
    DMF_CHECK(largest <= kExactInFloat,
              "{}: an item has {} users, more than the popularity baseline counts exactly (2^24)",
              train.report.path, largest);
  });
  out.users = std::move(train.users);
  out.items = std::move(train.items);
  out.manifest = {{"baseline", "popularity"}, {"train", train.report.path}};
  return out;
}

}  // namespace dmf::eval
