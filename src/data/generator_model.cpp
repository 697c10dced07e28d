#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "dmf/core/error.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data {
namespace {

constexpr std::uint64_t kUserOrderSalt = 11;
constexpr std::uint64_t kItemOrderSalt = 12;
constexpr std::uint64_t kValueStream = 1;  // second stream of a user: noise and times
/// A user drawing more than this share of the items switches from rejection
/// sampling to weighted sampling without replacement over all items.
constexpr double kDenseUser = 0.25;
constexpr std::int64_t kYear = 365 * 24 * 3600;

/// Power-law weights (rank + 1)^-skew, the ranks a seeded permutation so that
/// heavy users and popular items are spread over the ID range.
std::vector<double> power_law(std::uint64_t n, double skew, std::uint64_t seed, std::uint64_t salt) {
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0ULL);
  std::ranges::sort(order, {}, [&](std::uint64_t k) { return combine(seed, salt, k); });
  std::vector<double> weight(n);
  for (std::uint64_t rank = 0; rank < n; ++rank) {
    weight[order[rank]] = std::pow(static_cast<double>(rank + 1), -skew);
  }
  return weight;
}

/// Splits `total` into integers proportional to `weight`, none above `cap`
/// (largest remainders; capped entries pass their excess to the others).
std::vector<std::uint64_t> apportion(const std::vector<double>& weight, std::uint64_t total,
                                     std::uint64_t cap) {
  const std::size_t n = weight.size();
  std::vector<std::uint64_t> out(n, 0);
  std::vector<bool> capped(n, false);
  std::uint64_t left = total;
  while (true) {
    double mass = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!capped[k]) mass += weight[k];
    }
    bool changed = false;
    for (std::size_t k = 0; k < n; ++k) {
      if (!capped[k] && static_cast<double>(left) * weight[k] / mass > static_cast<double>(cap)) {
        capped[k] = true;
        out[k] = cap;
        left -= cap;
        changed = true;
      }
    }
    if (!changed) break;
  }
  double mass = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    if (!capped[k]) mass += weight[k];
  }
  std::vector<std::pair<double, std::size_t>> remainders;
  std::uint64_t given = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (capped[k]) continue;
    const double share = static_cast<double>(left) * weight[k] / mass;
    out[k] = static_cast<std::uint64_t>(std::floor(share));
    given += out[k];
    remainders.emplace_back(share - std::floor(share), k);
  }
  std::ranges::sort(remainders, [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (std::size_t r = 0; given < left && r < remainders.size(); ++r, ++given) {
    ++out[remainders[r].second];
  }
  return out;
}

double parse_number(std::string_view text, std::string_view whole) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(value)) {
    fail("expected MIN:MAX:STEP with three numbers, got '{}'", whole);
  }
  return value;
}

}  // namespace

void parse_value(std::string_view text, RatingScale& out) {
  const auto first = text.find(':');
  const auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) fail("expected MIN:MAX:STEP, got '{}'", text);
  RatingScale scale;
  scale.min = parse_number(text.substr(0, first), text);
  scale.max = parse_number(text.substr(first + 1, second - first - 1), text);
  scale.step = parse_number(text.substr(second + 1), text);
  if (scale.min >= scale.max) fail("MIN {} must be below MAX {}", scale.min, scale.max);
  if (scale.step < 0 || scale.step > scale.max - scale.min) {
    fail("STEP {} must be between 0 (continuous) and MAX - MIN", scale.step);
  }
  out = scale;
}

std::string format_value(const RatingScale& scale) {
  return fmt::format("{}:{}:{}", scale.min, scale.max, scale.step);
}

void validate(const GeneratorOptions& o) {
  DMF_CHECK(o.users >= 1 && o.items >= 1, "--users and --items must be at least 1");
  DMF_CHECK(o.ratings >= o.users, "--ratings {} is fewer than --users {}: every user rates at least once",
            o.ratings, o.users);
  DMF_CHECK((o.ratings + o.users - 1) / o.users <= o.items,
            "--ratings {} is more than the --users {} x --items {} distinct pairs", o.ratings,
            o.users, o.items);
  DMF_CHECK(o.users < (1ULL << 32U) && o.items < (1ULL << 32U),
            "--users and --items must be below 2^32");
}

SyntheticModel::SyntheticModel(const GeneratorOptions& options) : options_(options) {
  validate(options_);
  const auto& o = options_;
  const double range = o.scale.max - o.scale.min;
  // MovieLens-like spread: mean at 65% of the scale, biases and the factor
  // term each a modest fraction of the range.
  mean_ = o.scale.min + 0.65 * range;
  user_bias_sd_ = 0.08 * range;
  const double item_bias_sd = 0.10 * range;
  // var(p.q) = K s^4 for i.i.d. N(0, s^2) entries: the term has sd 0.15 range.
  factor_sd_ = std::sqrt(0.15 * range / std::sqrt(static_cast<double>(o.true_rank)));

  // Every user gets a floor (MovieLens has at least 20 each), the rest by activity.
  const std::uint64_t floor_count = std::clamp<std::uint64_t>(o.ratings / (2 * o.users), 1, 20);
  counts_ = apportion(power_law(o.users, o.skew, o.seed, kUserOrderSalt),
                      o.ratings - floor_count * o.users, o.items - floor_count);
  for (auto& c : counts_) c += floor_count;

  popularity_ = power_law(o.items, o.skew, o.seed, kItemOrderSalt);
  const double mass = std::accumulate(popularity_.begin(), popularity_.end(), 0.0);
  for (auto& p : popularity_) p /= mass;

  // Vose's alias method.
  const std::size_t n = popularity_.size();
  alias_probability_.assign(n, 1.0);
  alias_.resize(n);
  std::iota(alias_.begin(), alias_.end(), 0ULL);
  std::vector<double> scaled(n);
  std::vector<std::size_t> small;
  std::vector<std::size_t> large;
  for (std::size_t k = 0; k < n; ++k) {
    scaled[k] = popularity_[k] * static_cast<double>(n);
    (scaled[k] < 1.0 ? small : large).push_back(k);
  }
  while (!small.empty() && !large.empty()) {
    const std::size_t s = small.back();
    small.pop_back();
    const std::size_t l = large.back();
    alias_probability_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }

  const auto k = static_cast<std::size_t>(o.true_rank);
  item_factors_.resize(n * k);
  item_bias_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto rng = Rng::for_stream(o.seed, Stream::kGenerateItem, i);
    item_bias_[i] = static_cast<float>(item_bias_sd * rng.normal());
    for (std::size_t d = 0; d < k; ++d) item_factors_[i * k + d] = static_cast<float>(factor_sd_ * rng.normal());
  }
}

std::vector<double> SyntheticModel::user_factors(std::uint64_t user, double& bias) const {
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateUser, user);
  bias = user_bias_sd_ * rng.normal();
  std::vector<double> p(static_cast<std::size_t>(options_.true_rank));
  for (auto& x : p) x = factor_sd_ * rng.normal();
  return p;
}

double SyntheticModel::true_rating(std::uint64_t user, std::uint64_t item) const {
  double bias = 0.0;
  const auto p = user_factors(user, bias);
  const float* q = &item_factors_.at(item * p.size());
  double dot = 0.0;
  for (std::size_t d = 0; d < p.size(); ++d) dot += p[d] * q[d];
  return mean_ + bias + item_bias_[item] + dot;
}

std::vector<std::uint64_t> SyntheticModel::draw_items(std::uint64_t user, std::uint64_t count) const {
  const std::uint64_t n = options_.items;
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateRatings, user);
  std::vector<std::uint64_t> chosen;
  if (static_cast<double>(count) <= kDenseUser * static_cast<double>(n)) {
    // Rejection: draw by popularity, skip repeats; give up on a pathological
    // run (a very skewed popularity) and fall through to the exact method.
    std::unordered_set<std::uint64_t> seen;
    for (std::uint64_t tries = 0; chosen.size() < count && tries < 50 * count; ++tries) {
      const std::uint64_t slot = rng.below(n);
      const std::uint64_t item = rng.uniform() < alias_probability_[slot] ? slot : alias_[slot];
      if (seen.insert(item).second) chosen.push_back(item);
    }
    if (chosen.size() == count) return chosen;
  }
  // Efraimidis-Spirakis: the `count` items with the largest log(u) / p_i are
  // a weighted sample without replacement.
  std::vector<std::pair<double, std::uint64_t>> keys(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    double u = 0.0;
    do {
      u = rng.uniform();
    } while (u <= 0.0);
    keys[i] = {std::log(u) / popularity_[i], i};
  }
  std::ranges::partial_sort(keys, keys.begin() + static_cast<std::ptrdiff_t>(count),
                            std::greater<>());
  chosen.clear();
  for (std::uint64_t k = 0; k < count; ++k) chosen.push_back(keys[k].second);
  return chosen;
}

std::vector<SyntheticModel::Rating> SyntheticModel::ratings_for(std::uint64_t user) const {
  const std::uint64_t count = counts_.at(user);
  const auto items = draw_items(user, count);
  double bias = 0.0;
  const auto p = user_factors(user, bias);
  auto rng = Rng::for_stream(options_.seed, Stream::kGenerateRatings, user, kValueStream);

  // Active from a start in the first eight years for up to two years.
  const std::int64_t start = options_.start_time + static_cast<std::int64_t>(rng.uniform() * 8 * kYear);
  const double span = 1.0 + rng.uniform() * 2 * kYear;
  std::vector<std::int64_t> times(count);
  for (auto& t : times) t = start + static_cast<std::int64_t>(rng.uniform() * span);
  std::ranges::sort(times);

  const auto& scale = options_.scale;
  std::vector<Rating> out(count);
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t item = items[k];
    const float* q = &item_factors_[item * p.size()];
    double dot = 0.0;
    for (std::size_t d = 0; d < p.size(); ++d) dot += p[d] * q[d];
    // r = mu + b_u + b_i + p_u . q_i + noise, on the scale.
    double r = mean_ + bias + item_bias_[item] + dot + options_.noise * rng.normal();
    if (scale.step > 0) r = scale.min + std::round((r - scale.min) / scale.step) * scale.step;
    r = std::clamp(r, scale.min, scale.max);
    out[k] = {item, static_cast<float>(r), times[k]};
  }
  return out;
}

}  // namespace dmf::data
