// The hidden model of dmf generate and one user's draw: which items, when,
// and what rating (explicit feedback; the implicit model's own parts are in
// generator_implicit.cpp). Every random number comes from a stream keyed by
// (seed, purpose, user or item), so a user's ratings do not depend on which
// rank or thread draws them.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "dmf/core/parallel.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/data/generator.hpp"
#include "generator_layout.hpp"

namespace dmf::data {
namespace {

using detail::kDenseShareInverse;
using detail::kItemStream;
using detail::kValueStream;
constexpr double kHour = 3600.0;
constexpr double kYear = 365.0 * 24 * kHour;

}  // namespace

namespace detail {

// Efraimidis-Spirakis: the `want` items with the largest keys
// log(u_i) / w_i, u_i uniform in (0, 1], are a weight-proportional sample
// without replacement. Items already stamped are excluded, which continues a
// partial draw. O(I): a linear-time selection, then the winners in item order.
void draw_exactly(std::uint64_t want, const std::vector<double>& weight, Rng& rng,
                  SyntheticModel::UserRatings& out) {
  if (want == 0) return;
  out.keys.clear();
  for (std::uint32_t i = 0; i < weight.size(); ++i) {
    if (out.stamp[i] == out.epoch) continue;
    out.keys.emplace_back(std::log(1.0 - rng.uniform()) / weight[i], i);
  }
  // (key, item) pairs are distinct, so "among the `want` largest" is exact.
  out.selection.assign(out.keys.begin(), out.keys.end());
  const auto nth = out.selection.begin() + static_cast<std::ptrdiff_t>(want - 1);
  std::nth_element(out.selection.begin(), nth, out.selection.end(), std::greater<>());
  const auto threshold = *nth;
  for (const auto& key : out.keys) {
    if (key >= threshold) out.items.push_back(key.second);
  }
}

void shuffle_in_time(Rng& rng, std::vector<std::uint32_t>& items) {
  for (std::size_t j = items.size(); j > 1; --j) std::swap(items[j - 1], items[rng.below(j)]);
}

}  // namespace detail

SyntheticModel::SyntheticModel(const GeneratorOptions& options, int threads) : options_(options) {
  validate(options_);
  const auto& o = options_;
  const auto k = static_cast<std::size_t>(o.true_rank);
  const double range = o.scale.max - o.scale.min;
  // MovieLens-like spread (3.6 mean on 1..5): mu at 65% of the scale; user
  // bias, item bias and p.q with standard deviations 8%, 10% and 15% of the
  // range. With i.i.d. N(0, s^2) factor entries var(p.q) = K s^4, so
  // s = sqrt(0.15 range / sqrt(K)).
  mean_ = o.scale.min + 0.65 * range;
  user_bias_sd_ = 0.08 * range;
  const double item_bias_sd = 0.10 * range;
  factor_sd_ = std::sqrt(0.15 * range / std::sqrt(static_cast<double>(k)));
  grid_points_ = o.scale.step > 0 ? std::round(range / o.scale.step) : 0.0;

  // Ratings per user: a floor each, the rest by a power law of activity over
  // a seeded order of the users, no user above the number of items.
  const std::uint64_t floor_count = min_ratings_per_user(o);
  const auto by_rank = apportion(detail::power_law(o.users, o.skew),
                                 o.ratings - floor_count * o.users, o.items - floor_count);
  const auto user_order = detail::popularity_order(o.users, o.seed, detail::Side::kUsers);
  counts_.resize(o.users);
  for (std::uint64_t r = 0; r < o.users; ++r) counts_[user_order[r]] = by_rank[r] + floor_count;

  // Item popularity: a power law over a seeded order of the items.
  const auto weight = detail::power_law(o.items, o.popularity_exponent);
  const double mass = std::accumulate(weight.rbegin(), weight.rend(), 0.0);
  const auto item_order = detail::popularity_order(o.items, o.seed, detail::Side::kItems);
  popularity_.resize(o.items);
  for (std::uint64_t r = 0; r < o.items; ++r) popularity_[item_order[r]] = weight[r] / mass;
  auto alias = detail::alias_table(popularity_);
  alias_probability_ = std::move(alias.probability);
  alias_ = std::move(alias.alias);
  if (o.feedback == GeneratedFeedback::kImplicit) {
    build_implicit();
    return;
  }

  // q_i and b_i: a pure function of (seed, item).
  item_factors_.resize(o.items * k);
  item_bias_.resize(o.items);
  parallel_for(threads, static_cast<std::int64_t>(o.items), [&](std::int64_t item) {
    const auto i = static_cast<std::size_t>(item);
    auto rng = Rng::for_stream(o.seed, Stream::kGenerateItem, i);
    item_bias_[i] = static_cast<float>(item_bias_sd * rng.normal());
    for (std::size_t d = 0; d < k; ++d) {
      item_factors_[i * k + d] = static_cast<float>(factor_sd_ * rng.normal());
    }
  });
}

double SyntheticModel::user_factors(std::uint64_t user, double* factors) const {
  // p_u and b_u: a pure function of (seed, user).
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateUser, user);
  const double bias = user_bias_sd_ * rng.normal();
  for (int d = 0; d < options_.true_rank; ++d) factors[d] = factor_sd_ * rng.normal();
  return bias;
}

namespace {
/// mu + b_u + b_i + p_u . q_i
double predict(double mean, double user_bias, const double* p, float item_bias, const float* q,
               std::size_t k) {
  double dot = 0.0;
  for (std::size_t d = 0; d < k; ++d) dot += p[d] * q[d];
  return mean + user_bias + item_bias + dot;
}
}  // namespace

double SyntheticModel::true_rating(std::uint64_t user, std::uint64_t item) const {
  const auto k = static_cast<std::size_t>(options_.true_rank);
  std::vector<double> p(k);
  const double bias = user_factors(user, p.data());
  return predict(mean_, bias, p.data(), item_bias_.at(item), &item_factors_.at(item * k), k);
}

void SyntheticModel::start_draw(UserRatings& out) const {
  const std::uint64_t n = options_.items;
  out.items.clear();
  if (out.stamp.size() != n) {
    out.stamp.assign(n, 0);
    out.epoch = 0;
  }
  if (++out.epoch == 0) {  // wrapped: old stamps could match again
    std::ranges::fill(out.stamp, 0U);
    out.epoch = 1;
  }
}

void SyntheticModel::draw_items(std::uint64_t user, std::uint64_t count, UserRatings& out) const {
  const std::uint64_t n = options_.items;
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateRatings, user, kItemStream);
  start_draw(out);
  if (count * kDenseShareInverse <= n) {
    // Successive draws by popularity with repeats rejected: a weighted sample
    // without replacement. When the popular items are used up rejections
    // pile up; past about the cost of the exact sampler, switch to it.
    const std::uint64_t budget = 4 * count + 2 * n;
    for (std::uint64_t tries = 0; out.items.size() < count && tries < budget; ++tries) {
      const std::uint64_t slot = rng.below(n);
      const auto item = static_cast<std::uint32_t>(
          rng.uniform() < alias_probability_[slot] ? slot : alias_[slot]);
      if (out.stamp[item] != out.epoch) {
        out.stamp[item] = out.epoch;
        out.items.push_back(item);
      }
    }
  }
  if (out.items.size() < count) {
    detail::draw_exactly(count - out.items.size(), popularity_, rng, out);
  }
  detail::shuffle_in_time(rng, out.items);
}

void SyntheticModel::draw(std::uint64_t user, UserRatings& out) const {
  const auto& o = options_;
  const std::uint64_t count = counts_.at(user);
  const bool implicit = o.feedback == GeneratedFeedback::kImplicit;
  if (implicit) {
    draw_preferred_items(user, count, out);
  } else {
    draw_items(user, count, out);
  }
  auto rng = Rng::for_stream(o.seed, Stream::kGenerateRatings, user, kValueStream);
  draw_times(count, rng, out);
  if (implicit) {
    draw_counts(count, rng, out);
    return;
  }

  // Values: r = mu + b_u + b_i + p_u . q_i + sigma * eps, eps ~ N(0, 1),
  // rounded to the grid MIN + n * STEP and clipped to [MIN, MAX].
  const auto k = static_cast<std::size_t>(o.true_rank);
  out.factors.resize(k);
  const double* p = out.factors.data();
  const double bias = user_factors(user, out.factors.data());
  const auto& s = o.scale;
  out.values.resize(count);
  for (std::uint64_t j = 0; j < count; ++j) {
    const std::uint32_t i = out.items[j];
    const double r =
        predict(mean_, bias, p, item_bias_[i], &item_factors_[i * k], k) + o.noise * rng.normal();
    const double v =
        grid_points_ > 0
            ? s.min + std::clamp(std::round((r - s.min) / s.step), 0.0, grid_points_) * s.step
            : r;
    out.values[j] = static_cast<float>(std::clamp(v, s.min, s.max));
  }
}

void SyntheticModel::draw_times(std::uint64_t count, Rng& rng, UserRatings& out) const {
  const auto& o = options_;
  // Times: active from a start in the first eight years for an hour to two
  // years, ratings at the points of a Poisson process over that span:
  // t_k = start + span * G_k / G_count with G_k the sum of k + 1 Exp(1) gaps
  // (uniform order statistics without a sort), one second apart at least.
  const double start = static_cast<double>(o.start_time) + std::floor(rng.uniform() * 8 * kYear);
  const double span = kHour + rng.uniform() * 2 * kYear;
  out.gaps.resize(count + 1);
  double total = 0.0;
  for (auto& g : out.gaps) g = total += -std::log(1.0 - rng.uniform());
  out.times.resize(count);
  std::int64_t last = 0;
  for (std::uint64_t j = 0; j < count; ++j) {
    auto t = static_cast<std::int64_t>(start + std::floor(span * out.gaps[j] / total));
    if (j > 0) t = std::max(t, last + 1);
    out.times[j] = last = t;
  }
}

std::vector<SyntheticModel::Rating> SyntheticModel::ratings_for(std::uint64_t user) const {
  UserRatings draws;
  draw(user, draws);
  std::vector<Rating> out(draws.items.size());
  for (std::size_t j = 0; j < out.size(); ++j) {
    out[j] = {draws.items[j], draws.values[j], draws.times[j]};
  }
  return out;
}

}  // namespace dmf::data
