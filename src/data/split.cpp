#include "dmf/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dmf/core/hash.hpp"

namespace dmf::data {
namespace {

/// Salts that keep the split's random draws apart from each other.
constexpr std::uint64_t kPairSalt = 0x5eed'0001;
constexpr std::uint64_t kCountSalt = 0x5eed'0002;
constexpr std::uint64_t kOrderSalt = 0x5eed'0003;

/// floor(n * ratio) plus one with probability frac(n * ratio).
std::uint64_t randomized_round(double expected, double u) {
  const double whole = std::floor(expected);
  return static_cast<std::uint64_t>(whole) + (u < expected - whole ? 1 : 0);
}

/// The rank whose byte range holds `line`.
int reader_of(const std::vector<std::uint64_t>& first_line, std::uint64_t line) {
  const auto it = std::upper_bound(first_line.begin(), first_line.end() - 1, line);
  return static_cast<int>(it - first_line.begin()) - 1;
}

}  // namespace

Subset random_subset(const SplitOptions& options, std::string_view user,
                     std::string_view item) noexcept {
  const double u = unit_interval(combine(options.seed, kPairSalt, hash_bytes(user), hash_bytes(item)));
  if (u < options.test_ratio) return Subset::kTest;
  if (u < options.test_ratio + options.validation_ratio) return Subset::kValidation;
  return Subset::kTrain;
}

HeldOut held_out_counts(const SplitOptions& options, std::string_view user,
                        std::uint64_t n) noexcept {
  if (n <= 1) return {};
  const std::uint64_t key = combine(options.seed, kCountSalt, hash_bytes(user));
  const auto count = static_cast<double>(n);
  HeldOut out;
  out.test = randomized_round(count * options.test_ratio, unit_interval(mix64(key)));
  out.validation = randomized_round(count * options.validation_ratio, unit_interval(mix64(key + 1)));
  // At least one rating stays in train: trim validation first, then test.
  const std::uint64_t room = n - 1;
  out.test = std::min(out.test, room);
  out.validation = std::min(out.validation, room - out.test);
  return out;
}

std::vector<LineSubset> assign_subsets(const dist::Comm& comm, const RatingsData& data,
                                       const SplitOptions& options) {
  const SparseBlock& block = data.by_user;
  DMF_CHECK(block.lines.size() == block.nnz(), "internal: split needs the ratings' lines");
  DMF_CHECK(options.method != SplitMethod::kTime || block.times.size() == block.nnz(),
            "internal: a time split needs the ratings' times");
  std::vector<LineSubset> decisions(block.nnz());
  for (std::uint64_t k = 0; k < block.nnz(); ++k) {
    decisions[k] = {block.lines[k], Subset::kTrain, options.method != SplitMethod::kRandom};
  }
  if (options.method != SplitMethod::kRandom) {
    std::vector<std::uint64_t> order;
    for (std::uint32_t r = 0; r < block.rows(); ++r) {
      const std::string_view user = data.users.token(r);
      const std::uint64_t begin = block.offsets[r];
      const std::uint64_t n = block.degree(r);
      const HeldOut held = held_out_counts(options, user, n);
      if (held.test + held.validation == 0) continue;
      // Rank the user's ratings: the last ones are held out.
      order.resize(n);
      std::iota(order.begin(), order.end(), begin);
      if (options.method == SplitMethod::kTime) {
        std::ranges::sort(order, [&](std::uint64_t a, std::uint64_t b) {
          return block.times[a] != block.times[b] ? block.times[a] < block.times[b]
                                                  : block.lines[a] < block.lines[b];
        });
      } else {
        const std::uint64_t key = combine(options.seed, kOrderSalt, hash_bytes(user));
        std::ranges::sort(order, {}, [&](std::uint64_t k) { return combine(key, block.columns[k]); });
      }
      for (std::uint64_t j = 0; j < held.test; ++j) decisions[order[n - 1 - j]].subset = Subset::kTest;
      for (std::uint64_t j = 0; j < held.validation; ++j) {
        decisions[order[n - 1 - held.test - j]].subset = Subset::kValidation;
      }
    }
  }

  // Send each decision to the rank that read its line.
  const auto& first_line = data.report.first_line;
  DMF_CHECK(first_line.size() == static_cast<std::size_t>(comm.size()) + 1,
            "internal: the load report has no line ranges");
  std::ranges::sort(decisions, {}, &LineSubset::line);  // also groups by reader
  std::vector<std::size_t> counts(static_cast<std::size_t>(comm.size()), 0);
  for (const auto& d : decisions) ++counts[static_cast<std::size_t>(reader_of(first_line, d.line))];
  auto mine = comm.alltoallv<LineSubset>(decisions, counts);
  std::ranges::sort(mine, {}, &LineSubset::line);
  return mine;
}

}  // namespace dmf::data
