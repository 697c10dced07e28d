// The implicit-feedback model of dmf generate (docs/design.md §3, "Generated
// data"): K tastes, each item of one taste, each user a mixture of them.
//   P(u picks i) = theta_u,g(i) * pop_i / Pop_g(i)        (rank K)
// with pop the items' power-law popularity, Pop_g the popularity of taste g's
// items together and theta_u = softmax(s z_u), z_u ~ N(0, I_K): one draw is a
// taste by theta_u, then an item of it by popularity, both O(1). A pair's
// value is its play count,
//   c_ui = max(1, round(exp(log m + sigma eps + log(K theta_u,g(i)) / 2)))
// log-normal around the median m, more for a favoured taste, so the counts
// carry the preference too (what a confidence weight c = 1 + alpha r uses).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/data/generator.hpp"
#include "generator_layout.hpp"

namespace dmf::data {
namespace {

/// s of theta_u = softmax(s z): with K = 10 a user's favourite taste gets
/// about a third of its draws, the least favoured about 1%.
constexpr double kTasteSpread = 1.5;
/// m and sigma of the play counts: median 50, mean about 100, a long tail
/// (last.fm's top-artist counts are of that order).
constexpr double kMedianPlays = 50.0;
constexpr double kPlaysSpread = 1.2;
/// Counts stay whole numbers a float holds exactly.
constexpr double kMaxPlays = 16777216.0;  // 2^24

}  // namespace

void SyntheticModel::build_implicit() {
  const auto& o = options_;
  const auto k = static_cast<std::uint64_t>(o.true_rank);
  // Taste g holds the items of popularity ranks g, g + K, g + 2K, ...: every
  // taste gets items of every popularity, and about a K-th of the mass.
  const auto item_order = detail::popularity_order(o.items, o.seed, detail::Side::kItems);
  taste_.resize(o.items);
  taste_first_.assign(k + 1, 0);
  for (std::uint64_t r = 0; r < o.items; ++r) {
    taste_[item_order[r]] = static_cast<std::uint32_t>(r % k);
    ++taste_first_[r % k + 1];
  }
  std::partial_sum(taste_first_.begin(), taste_first_.end(), taste_first_.begin());
  // Items of a taste in item order.
  taste_items_.resize(o.items);
  std::vector<std::uint64_t> next(taste_first_.begin(), taste_first_.end() - 1);
  for (std::uint64_t i = 0; i < o.items; ++i) {
    taste_items_[next[taste_[i]]++] = static_cast<std::uint32_t>(i);
  }
  taste_mass_.assign(k, 0.0);
  taste_alias_probability_.resize(o.items);
  taste_alias_.resize(o.items);
  std::vector<double> share;
  for (std::uint64_t g = 0; g < k; ++g) {
    const std::uint64_t first = taste_first_[g];
    const std::uint64_t last = taste_first_[g + 1];
    share.clear();
    for (std::uint64_t s = first; s < last; ++s) share.push_back(popularity_[taste_items_[s]]);
    const double mass = std::accumulate(share.begin(), share.end(), 0.0);
    taste_mass_[g] = mass;
    for (double& p : share) p /= mass;
    auto table = detail::alias_table(share);
    std::ranges::copy(table.probability, taste_alias_probability_.begin() + first);
    std::ranges::copy(table.alias, taste_alias_.begin() + first);
  }
}

void SyntheticModel::user_tastes(std::uint64_t user, std::vector<double>& cumulative) const {
  // theta_u: a pure function of (seed, user).
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateUser, user);
  const auto k = static_cast<std::size_t>(options_.true_rank);
  cumulative.resize(k);
  double total = 0.0;
  for (std::size_t g = 0; g < k; ++g)
    cumulative[g] = total += std::exp(kTasteSpread * rng.normal());
  for (double& c : cumulative) c /= total;
  cumulative[k - 1] = 1.0;
}

std::vector<double> SyntheticModel::tastes(std::uint64_t user) const {
  DMF_CHECK(options_.feedback == GeneratedFeedback::kImplicit,
            "SyntheticModel::tastes: the model is not of implicit feedback");
  std::vector<double> theta;
  user_tastes(user, theta);
  for (std::size_t g = theta.size(); g-- > 1;) theta[g] -= theta[g - 1];
  return theta;
}

double SyntheticModel::preference(std::uint64_t user, std::uint64_t item) const {
  const std::uint32_t g = taste_.at(item);
  return tastes(user)[g] * popularity_.at(item) / taste_mass_[g];
}

void SyntheticModel::draw_preferred_items(std::uint64_t user, std::uint64_t count,
                                          UserRatings& out) const {
  const std::uint64_t n = options_.items;
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateRatings, user, detail::kItemStream);
  start_draw(out);
  user_tastes(user, out.factors);
  const auto& cumulative = out.factors;
  if (count * detail::kDenseShareInverse <= n) {
    // Successive draws with repeats rejected, as draw_items does; a user
    // whose tastes run out of items finishes with the exact sampler.
    const std::uint64_t budget = 4 * count + 2 * n;
    for (std::uint64_t tries = 0; out.items.size() < count && tries < budget; ++tries) {
      const double u = rng.uniform();
      const auto g =
          static_cast<std::size_t>(std::ranges::upper_bound(cumulative, u) - cumulative.begin());
      const std::uint64_t first = taste_first_[std::min(g, cumulative.size() - 1)];
      const std::uint64_t size = taste_first_[std::min(g, cumulative.size() - 1) + 1] - first;
      const std::uint64_t slot = first + rng.below(size);
      const std::uint64_t chosen =
          rng.uniform() < taste_alias_probability_[slot] ? slot : first + taste_alias_[slot];
      const std::uint32_t item = taste_items_[chosen];
      if (out.stamp[item] != out.epoch) {
        out.stamp[item] = out.epoch;
        out.items.push_back(item);
      }
    }
  }
  if (out.items.size() < count) {
    out.weights.resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint32_t g = taste_[i];
      const double theta = cumulative[g] - (g > 0 ? cumulative[g - 1] : 0.0);
      // Positive even where theta underflows, so every item can be drawn.
      out.weights[i] = std::max(theta * popularity_[i] / taste_mass_[g], 1e-300);
    }
    detail::draw_exactly(count - out.items.size(), out.weights, rng, out);
  }
  detail::shuffle_in_time(rng, out.items);
}

void SyntheticModel::draw_counts(std::uint64_t count, Rng& rng, UserRatings& out) const {
  // out.factors still holds theta_u's cumulative sums from the item draw.
  const auto& cumulative = out.factors;
  const double k = static_cast<double>(options_.true_rank);
  out.values.resize(count);
  for (std::uint64_t j = 0; j < count; ++j) {
    const std::uint32_t g = taste_[out.items[j]];
    const double theta = cumulative[g] - (g > 0 ? cumulative[g - 1] : 0.0);
    const double plays = std::exp(std::log(kMedianPlays) + kPlaysSpread * rng.normal() +
                                  0.5 * std::log(std::max(k * theta, 1e-300)));
    out.values[j] = static_cast<float>(std::clamp(std::round(plays), 1.0, kMaxPlays));
  }
}

}  // namespace dmf::data
