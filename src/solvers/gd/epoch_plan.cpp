#include "dmf/solvers/gd/epoch_plan.hpp"

#include <algorithm>
#include <numeric>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/rng.hpp"

namespace dmf::solvers {
namespace {

/// Writes, for `keys` (one per place in a step), where each run of equal
/// keys read in `order` starts, then the size; returns the number of runs.
template <class Key>
std::uint32_t group_starts(std::size_t size, Key key, std::uint32_t* out) {
  std::uint32_t groups = 0;
  for (std::size_t j = 0; j < size; ++j) {
    if (j == 0 || key(j) != key(j - 1)) out[groups++] = static_cast<std::uint32_t>(j);
  }
  out[groups] = static_cast<std::uint32_t>(size);
  return groups;
}

/// The places 0..size-1 of a step ordered by (item, place): a counting sort
/// when the step is large next to the item count, else a sort.
void order_by_item(std::span<const std::uint32_t> items, std::uint32_t item_count,
                   std::vector<std::uint32_t>& counts, std::span<std::uint32_t> out) {
  const std::size_t size = items.size();
  if (size * 8 < item_count) {
    std::vector<std::uint64_t> keys(size);
    for (std::size_t j = 0; j < size; ++j) keys[j] = (std::uint64_t{items[j]} << 32) | j;
    std::sort(keys.begin(), keys.end());
    for (std::size_t j = 0; j < size; ++j) out[j] = static_cast<std::uint32_t>(keys[j]);
    return;
  }
  counts.assign(std::size_t{item_count} + 1, 0);
  for (const std::uint32_t i : items) ++counts[i + 1];
  std::partial_sum(counts.begin(), counts.end(), counts.begin());
  for (std::size_t j = 0; j < size; ++j) out[counts[items[j]]++] = static_cast<std::uint32_t>(j);
}

}  // namespace

std::vector<std::uint32_t> deal_to_steps(std::uint64_t n, std::uint64_t steps, std::uint64_t seed,
                                         std::uint64_t epoch, std::uint64_t rank) {
  DMF_CHECK(steps >= 1 && steps <= std::uint64_t{0xFFFFFFFF},
            "gd: {} steps per epoch (1 to 2^32 - 1 can be planned)", steps);
  std::vector<std::uint32_t> step_of(n, 0);
  if (steps == 1) return step_of;
  // A Fisher-Yates shuffle of the positions, cut into `steps` slices.
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), std::uint64_t{0});
  auto rng = Rng::for_stream(seed, Stream::kGdSampling, epoch, rank);
  for (std::uint64_t j = n; j > 1; --j) std::swap(order[j - 1], order[rng.below(j)]);
  for (std::uint64_t s = 0; s < steps; ++s) {
    for (std::uint64_t j = s * n / steps; j < (s + 1) * n / steps; ++j) {
      step_of[order[j]] = static_cast<std::uint32_t>(s);
    }
  }
  return step_of;
}

EpochPlan plan_epoch(std::span<const std::uint32_t> step_of, std::uint64_t steps,
                     std::span<const std::uint32_t> row_of, std::span<const std::uint32_t> columns,
                     std::span<const float> values, std::uint32_t items, int threads) {
  const std::size_t n = step_of.size();
  DMF_CHECK(row_of.size() == n && columns.size() == n && values.size() == n,
            "gd plan: {} steps of ratings, {} rows, {} columns, {} values", n, row_of.size(),
            columns.size(), values.size());
  EpochPlan plan;
  plan.step_begin.assign(steps + 1, 0);
  for (const std::uint32_t s : step_of) {
    DMF_CHECK(s < steps, "gd plan: a rating in step {} of {}", s, steps);
    ++plan.step_begin[s + 1];
  }
  std::partial_sum(plan.step_begin.begin(), plan.step_begin.end(), plan.step_begin.begin());
  for (std::uint64_t s = 0; s < steps; ++s) {
    DMF_CHECK(plan.step_size(s) < std::uint64_t{0xFFFFFFFF},
              "gd: a step of {} ratings on one rank (at most 2^32 - 2: use a smaller "
              "--batch-size or more ranks)",
              plan.step_size(s));
  }

  // The ratings in CSR order into their steps' slices: each slice in
  // position order, read and written front to back.
  std::vector<std::uint64_t> next(plan.step_begin.begin(), plan.step_begin.end() - 1);
  plan.users.resize(n);
  plan.items.resize(n);
  plan.values.resize(n);
  for (std::uint64_t pos = 0; pos < n; ++pos) {
    const std::uint64_t j = next[step_of[pos]]++;
    plan.users[j] = row_of[pos];
    plan.items[j] = columns[pos];
    plan.values[j] = values[pos];
  }

  plan.by_item.resize(n);
  plan.user_groups.resize(n + steps);
  plan.item_groups.resize(n + steps);
  plan.user_group_count.resize(steps);
  plan.item_group_count.resize(steps);
  std::vector<std::vector<std::uint32_t>> counts(static_cast<std::size_t>(std::max(1, threads)));
  parallel_for_dynamic(
      threads, static_cast<std::int64_t>(steps), 1, [&](std::int64_t i, int worker) {
        const auto s = static_cast<std::uint64_t>(i);
        const std::uint64_t first = plan.step_begin[s];
        const std::size_t size = plan.step_size(s);
        const auto step_users = plan.slice(plan.users, s);
        const auto step_items = plan.slice(plan.items, s);
        const std::span<std::uint32_t> by_item(plan.by_item.data() + first, size);
        order_by_item(step_items, items, counts[static_cast<std::size_t>(worker)], by_item);
        plan.user_group_count[s] = group_starts(
            size, [&](std::size_t j) { return step_users[j]; },
            plan.user_groups.data() + first + s);
        plan.item_group_count[s] = group_starts(
            size, [&](std::size_t j) { return step_items[by_item[j]]; },
            plan.item_groups.data() + first + s);
      });
  return plan;
}

}  // namespace dmf::solvers
