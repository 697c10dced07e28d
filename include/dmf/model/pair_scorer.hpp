// Predictions for (user, item) pairs that may sit on any rank, whatever rows
// of the model that rank holds: validation sets, eval, predict. The rows each
// rank needs are fetched through exchange plans built once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/row_exchange.hpp"
#include "dmf/model/model.hpp"

namespace dmf::model {

/// A pair of global model rows; data::kUnknownRow on a side the model has
/// never seen (a cold user or item).
struct RowPair {
  std::uint32_t user = 0;
  std::uint32_t item = 0;
};

class PairScorer {
 public:
  PairScorer() = default;

  /// Collective. `pairs` are this rank's pairs; `model` gives the layout of
  /// the rows over ranks (it must keep that layout when scoring).
  PairScorer(const dist::Comm& comm, const Model& model, std::vector<RowPair> pairs);

  /// Collective. The prediction of every pair with the model as it is now,
  /// in the order of the pairs. A pair with a cold side gets μ plus the bias
  /// of the side that is known (no factor term).
  void predict(const dist::Comm& comm, const Model& model, std::span<float> out,
               int threads) const;

  [[nodiscard]] std::size_t size() const noexcept { return pairs_.size(); }
  [[nodiscard]] const std::vector<RowPair>& pairs() const noexcept { return pairs_; }
  /// Pairs with a cold side on this rank.
  [[nodiscard]] std::size_t cold() const noexcept { return cold_; }

 private:
  std::vector<RowPair> pairs_;
  std::vector<std::uint32_t> user_slot_;  // per pair: index into the fetched user rows
  std::vector<std::uint32_t> item_slot_;
  dist::RowExchange users_;
  dist::RowExchange items_;
  std::size_t cold_ = 0;
};

}  // namespace dmf::model
