// Power laws, exact apportioning of the rating count, and the alias table
// of dmf generate. Every function here is pure and runs the same on every
// rank, so every rank knows the whole layout without communicating.
#include "generator_layout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data {
namespace detail {

std::vector<std::uint32_t> popularity_order(std::uint64_t n, std::uint64_t seed, Side side) {
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  // Fisher-Yates, O(n): a sort by hashed keys would cost n log n hashes.
  auto rng = Rng::for_stream(seed, Stream::kGenerateLayout, static_cast<std::uint64_t>(side));
  for (std::uint64_t k = n; k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
  return order;
}

std::vector<double> power_law(std::uint64_t n, double skew) {
  std::vector<double> weight(n);
  for (std::uint64_t r = 0; r < n; ++r) weight[r] = std::pow(static_cast<double>(r + 1), -skew);
  return weight;
}

AliasTable alias_table(const std::vector<double>& p) {
  const std::size_t n = p.size();
  AliasTable table;
  table.probability.assign(n, 1.0);
  table.alias.resize(n);
  std::iota(table.alias.begin(), table.alias.end(), 0U);
  // Slots with scaled mass below 1 are topped up from one slot above 1; the
  // leftovers (rounding) keep probability 1 and alias themselves.
  std::vector<double> scaled(n);
  std::vector<std::uint32_t> small;
  std::vector<std::uint32_t> large;
  for (std::size_t k = 0; k < n; ++k) {
    scaled[k] = p[k] * static_cast<double>(n);
    (scaled[k] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(k));
  }
  while (!small.empty() && !large.empty()) {
    const std::uint32_t s = small.back();
    small.pop_back();
    const std::uint32_t l = large.back();
    table.probability[s] = scaled[s];
    table.alias[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  return table;
}

}  // namespace detail

std::vector<std::uint64_t> apportion(std::span<const double> weights, std::uint64_t total,
                                     std::uint64_t cap) {
  const std::size_t n = weights.size();
  __extension__ using Wide = unsigned __int128;
  DMF_CHECK(static_cast<Wide>(total) <= static_cast<Wide>(n) * cap,
            "apportion: {} does not fit in {} entries of at most {}", total, n, cap);
  if (n == 0) return {};
  // mass[k] = sum of weights[k..n), summed from the small end for accuracy.
  std::vector<double> mass(n + 1, 0.0);
  for (std::size_t k = n; k > 0; --k) mass[k - 1] = mass[k] + weights[k - 1];

  // Entry k gets share_k = left * w_k / mass_k. Weights are non-increasing,
  // so the entries whose share passes the cap form a prefix; capping one
  // only raises the others' shares, so the scan finds the whole prefix.
  std::vector<std::uint64_t> out(n, 0);
  std::uint64_t left = total;
  std::size_t first = 0;
  while (first<n&& static_cast<double>(left) * weights[first] / mass[first]> static_cast<double>(
      cap)) {
    out[first++] = cap;
    left -= cap;
  }
  if (first == n) return out;

  // Largest remainders among the rest: floors first, then one more each for
  // the `left - given` largest fractional parts (ties to the lower index).
  const double scale = static_cast<double>(left) / mass[first];
  std::vector<std::pair<double, std::size_t>> remainders;
  remainders.reserve(n - first);
  std::uint64_t given = 0;
  for (std::size_t k = first; k < n; ++k) {
    const double share = scale * weights[k];
    out[k] = std::min(cap, static_cast<std::uint64_t>(share));
    given += out[k];
    remainders.emplace_back(share - static_cast<double>(out[k]), k);
  }
  auto larger = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::ranges::sort(remainders, larger);
  // Rounding can leave the floors a unit off either way; the loops settle it
  // exactly without passing the cap or going below zero.
  while (given > left) {
    for (auto it = remainders.rbegin(); it != remainders.rend() && given > left; ++it) {
      if (out[it->second] > 0) {
        --out[it->second];
        --given;
      }
    }
  }
  while (given < left) {
    for (auto it = remainders.begin(); it != remainders.end() && given < left; ++it) {
      if (out[it->second] < cap) {
        ++out[it->second];
        ++given;
      }
    }
  }
  return out;
}

}  // namespace dmf::data
