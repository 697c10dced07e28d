// The distributed dictionary of one side's IDs (users or items). The IDs are
// sorted in canonical order across ranks (a sample sort: no rank ever holds
// them all); rank p owns a contiguous range of rows balanced by ratings, and
// keeps the tokens of the rows it owns, which is what writers need.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/data/partition.hpp"
#include "dmf/data/token_table.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// lookup() result for a token that is not in the directory.
inline constexpr std::uint32_t kUnknownRow = std::numeric_limits<std::uint32_t>::max();

class IdDirectory {
 public:
  IdDirectory() = default;

  /// Collective. Builds the directory from every rank's distinct tokens
  /// (`local_tokens`) and how many ratings each has on this rank
  /// (`local_counts`). Returns, via `global_of_local`, the global row of
  /// each local token and, via `owned_counts` when given, how many ratings
  /// each row this rank owns has over all ranks (what its block will hold).
  static IdDirectory build(const dist::Comm& comm, const TokenTable& local_tokens,
                           std::span<const std::uint64_t> local_counts,
                           std::vector<std::uint32_t>& global_of_local,
                           std::vector<std::uint64_t>* owned_counts = nullptr);

  /// Collective. The directory of IDs that are already in canonical order
  /// without repeats (a data set directory's ID files, data/dataset_dir.hpp):
  /// this rank owns rows [ownership.begin(rank), ownership.end(rank)), whose
  /// tokens are `owned`. No sorting.
  static IdDirectory from_canonical(const dist::Comm& comm, TokenTable owned,
                                    Ownership ownership, TokenOrder order);

  /// Rows of this side over all ranks.
  [[nodiscard]] std::uint32_t total_rows() const noexcept { return ownership_.total_rows(); }
  [[nodiscard]] const Ownership& ownership() const noexcept { return ownership_; }
  /// The global row of this rank's first row, and how many it owns.
  [[nodiscard]] std::uint32_t first_row() const noexcept { return first_row_; }
  [[nodiscard]] std::uint32_t local_rows() const noexcept {
    return static_cast<std::uint32_t>(tokens_.size());
  }
  /// The original token of owned row `local_row` (0-based on this rank).
  [[nodiscard]] std::string_view token(std::uint32_t local_row) const { return tokens_[local_row]; }
  [[nodiscard]] const TokenTable& tokens() const noexcept { return tokens_; }
  [[nodiscard]] TokenOrder order() const noexcept { return order_; }

  /// Collective: the global rows of `queries` (kUnknownRow when absent).
  [[nodiscard]] std::vector<std::uint32_t> lookup(const dist::Comm& comm,
                                                  const TokenTable& queries) const;
  /// Collective: the tokens of the global rows `rows` (any rows, any rank).
  [[nodiscard]] std::vector<std::string> tokens_of(const dist::Comm& comm,
                                                   std::span<const std::uint32_t> rows) const;

 private:
  TokenTable tokens_;  // owned rows, canonical order
  std::uint32_t first_row_ = 0;
  Ownership ownership_;
  TokenOrder order_;
  std::vector<std::string> first_tokens_;  // first token of each part ("" when empty)
};

}  // namespace dmf::data
