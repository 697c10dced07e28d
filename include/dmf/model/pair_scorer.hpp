// Predictions for (user, item) pairs that may sit on any rank, whatever rows
// of the model that rank holds: validation sets, eval, predict. A pair's
// rows are read where they lie when this rank owns them; the others come
// from their owners in one exchange per call, whose plan (which rows each
// rank sends to which) is worked out once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
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
  /// of the side that is known (no factor term). Uses up to `threads`
  /// threads when the pairs are many enough to pay for them.
  void predict(const dist::Comm& comm, const Model& model, std::span<float> out, int threads) const;

  [[nodiscard]] std::size_t size() const noexcept { return pairs_.size(); }
  [[nodiscard]] const std::vector<RowPair>& pairs() const noexcept { return pairs_; }
  /// Pairs with a cold side on this rank.
  [[nodiscard]] std::size_t cold() const noexcept { return cold_; }
  /// Rows this rank receives from other ranks per predict().
  [[nodiscard]] std::size_t fetched_rows() const noexcept { return fetched_rows_; }
  /// Rows this rank sends to other ranks per predict().
  [[nodiscard]] std::size_t served_rows() const noexcept { return served_.size(); }

 private:
  /// A slot with this bit is an index among the fetched rows; without it
  /// (and not data::kUnknownRow, a cold side) a row of this rank's block.
  static constexpr std::uint32_t kFetched = std::uint32_t{1} << 31;

  std::vector<RowPair> pairs_;
  std::vector<std::uint32_t> user_slot_;  // per pair: where its user row is
  std::vector<std::uint32_t> item_slot_;
  // The exchange: the rows other ranks ask of this one, as (side, local
  // row), grouped by asking rank, and the counts of rows each way.
  std::vector<std::uint32_t> served_;  // local user row, or users + local item row
  std::vector<std::uint64_t> serve_counts_;
  std::vector<std::uint64_t> fetch_counts_;
  std::size_t fetched_rows_ = 0;
  std::size_t cold_ = 0;
  mutable std::vector<float> send_, fetched_;
};

}  // namespace dmf::model
