// The batches of one gd epoch, worked out once when the epoch starts
// (docs/design.md §4): which of this rank's ratings each step takes, copied
// next to each other so that a step reads memory in order, and the order in
// which a step reads them by item.
//
// The ratings are dealt to the steps by a shuffle (a pure function of seed,
// epoch and rank, Stream::kGdSampling): step s takes the shuffled positions
// [s n / S, (s + 1) n / S). A step then reads its ratings
//   by user  in CSR position order (so grouped by user), and
//   by item  ordered by (item, position),
// the orders in which each row's gradient terms are summed (§5).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dmf::solvers {

/// Which step of the epoch takes each of `n` ratings (CSR positions), for
/// `steps` steps of (nearly) equal size. One step: every rating in step 0.
[[nodiscard]] std::vector<std::uint32_t> deal_to_steps(std::uint64_t n, std::uint64_t steps,
                                                       std::uint64_t seed, std::uint64_t epoch,
                                                       std::uint64_t rank);

struct EpochPlan {
  /// steps + 1 offsets into the per-rating arrays.
  std::vector<std::uint64_t> step_begin;
  /// Per step, its ratings in CSR position order: local user row, item
  /// row, rating.
  std::vector<std::uint32_t> users;
  std::vector<std::uint32_t> items;
  std::vector<float> values;
  /// Per step, places in the step (0 = its first rating) ordered by (item,
  /// position).
  std::vector<std::uint32_t> by_item;
  /// Per step, where each run of one user (of one item in by_item) starts,
  /// then the step's size; step s's entries begin at step_begin[s] + s.
  std::vector<std::uint32_t> user_groups;
  std::vector<std::uint32_t> item_groups;
  std::vector<std::uint32_t> user_group_count;  // per step
  std::vector<std::uint32_t> item_group_count;

  [[nodiscard]] std::uint64_t steps() const noexcept { return step_begin.size() - 1; }
  [[nodiscard]] std::uint64_t step_size(std::uint64_t s) const noexcept {
    return step_begin[s + 1] - step_begin[s];
  }
  /// The step's slice of one of the per-rating arrays.
  template <class T>
  [[nodiscard]] std::span<const T> slice(const std::vector<T>& all, std::uint64_t s) const {
    return std::span(all).subspan(step_begin[s], step_size(s));
  }
  /// Group starts of step s followed by its size (groups + 1 entries).
  [[nodiscard]] std::span<const std::uint32_t> step_user_groups(std::uint64_t s) const {
    return std::span(user_groups).subspan(step_begin[s] + s, user_group_count[s] + 1);
  }
  [[nodiscard]] std::span<const std::uint32_t> step_item_groups(std::uint64_t s) const {
    return std::span(item_groups).subspan(step_begin[s] + s, item_group_count[s] + 1);
  }
};

/// The plan of an epoch whose ratings go to the steps `step_of` says (one
/// entry per CSR position, each below `steps`). `row_of`, `columns` and
/// `values` are the CSR's row, column and value of each position; `items`
/// the number of columns. The steps are laid out on `threads` threads.
[[nodiscard]] EpochPlan plan_epoch(std::span<const std::uint32_t> step_of, std::uint64_t steps,
                                   std::span<const std::uint32_t> row_of,
                                   std::span<const std::uint32_t> columns,
                                   std::span<const float> values, std::uint32_t items, int threads);

}  // namespace dmf::solvers
