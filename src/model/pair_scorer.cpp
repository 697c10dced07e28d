#include "dmf/model/pair_scorer.hpp"

#include <algorithm>

#include "dmf/core/parallel.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/model/row_pack.hpp"

namespace dmf::model {
namespace {

/// The distinct known rows of one side of `pairs`, ascending, and for each
/// pair the index of its row among them.
std::vector<std::uint32_t> distinct_rows(const std::vector<RowPair>& pairs,
                                         std::uint32_t RowPair::*side,
                                         std::vector<std::uint32_t>& slot) {
  std::vector<std::uint32_t> rows;
  rows.reserve(pairs.size());
  for (const auto& p : pairs) {
    if (p.*side != data::kUnknownRow) rows.push_back(p.*side);
  }
  std::ranges::sort(rows);
  rows.erase(std::ranges::unique(rows).begin(), rows.end());
  slot.resize(pairs.size());
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const std::uint32_t row = pairs[k].*side;
    slot[k] = row == data::kUnknownRow
                  ? data::kUnknownRow
                  : static_cast<std::uint32_t>(std::ranges::lower_bound(rows, row) - rows.begin());
  }
  return rows;
}

}  // namespace

PairScorer::PairScorer(const dist::Comm& comm, const Model& model, std::vector<RowPair> pairs)
    : pairs_(std::move(pairs)) {
  for (const auto& p : pairs_) {
    DMF_CHECK(p.user == data::kUnknownRow || p.user < model.users.total_rows,
              "PairScorer: user row {} of {}", p.user, model.users.total_rows);
    DMF_CHECK(p.item == data::kUnknownRow || p.item < model.items.total_rows,
              "PairScorer: item row {} of {}", p.item, model.items.total_rows);
    if (p.user == data::kUnknownRow || p.item == data::kUnknownRow) ++cold_;
  }
  const auto users = distinct_rows(pairs_, &RowPair::user, user_slot_);
  const auto items = distinct_rows(pairs_, &RowPair::item, item_slot_);
  users_ = dist::RowExchange(comm, row_boundaries(comm, model.users), users);
  items_ = dist::RowExchange(comm, row_boundaries(comm, model.items), items);
}

void PairScorer::predict(const dist::Comm& comm, const Model& model, std::span<float> out,
                         int threads) const {
  DMF_CHECK(out.size() == pairs_.size(), "PairScorer: {} outputs for {} pairs", out.size(),
            pairs_.size());
  const std::size_t width = packed_width(model.users);
  std::vector<float> packed;
  pack_rows(model.users, packed);
  std::vector<float> user_rows(users_.wanted_rows() * width);
  users_.exchange<float>(comm, packed, width, user_rows);
  pack_rows(model.items, packed);
  std::vector<float> item_rows(items_.wanted_rows() * width);
  items_.exchange<float>(comm, packed, width, item_rows);

  const auto mu = static_cast<float>(model.mu);
  const auto k = static_cast<std::size_t>(model.k);
  parallel_for(threads, static_cast<std::int64_t>(pairs_.size()), [&](std::int64_t n) {
    const auto at = static_cast<std::size_t>(n);
    const std::uint32_t u = user_slot_[at];
    const std::uint32_t i = item_slot_[at];
    const std::span<const float> p =
        u == data::kUnknownRow ? std::span<const float>()
                               : std::span<const float>(user_rows).subspan(u * width, width);
    const std::span<const float> q =
        i == data::kUnknownRow ? std::span<const float>()
                               : std::span<const float>(item_rows).subspan(i * width, width);
    const float user_bias = p.empty() ? 0.0F : p[k];
    const float item_bias = q.empty() ? 0.0F : q[k];
    out[at] = (p.empty() || q.empty()) ? mu + user_bias + item_bias
                                       : model::predict(mu, user_bias, item_bias, p.first(k), q.first(k));
  });
}

}  // namespace dmf::model
