// dmf generate's options: the rating scale's text form and the checks that
// turn impossible requests into one sentence naming the option.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "dmf/core/error.hpp"
#include "dmf/data/generator.hpp"

namespace dmf::data {
namespace {

double parse_number(std::string_view text, std::string_view whole) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value)) {
    fail("expected MIN:MAX:STEP with three numbers, got '{}'", whole);
  }
  return value;
}

/// Throws unless MIN < MAX and MAX - MIN is a whole number of STEPs (or STEP 0).
void check_scale(const RatingScale& s) {
  if (!(s.min < s.max)) fail("MIN {} must be below MAX {}", s.min, s.max);
  if (s.step < 0 || s.step > s.max - s.min) {
    fail("STEP {} must be between 0 (continuous) and MAX - MIN = {}", s.step, s.max - s.min);
  }
  if (s.step > 0) {
    // Otherwise MAX would be off the grid and clipping would leave the grid.
    const double steps = (s.max - s.min) / s.step;
    if (std::fabs(steps - std::round(steps)) > 1e-9 * std::max(1.0, steps)) {
      fail("MAX - MIN = {} must be a whole number of STEP {}", s.max - s.min, s.step);
    }
  }
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
  check_scale(scale);
  out = scale;
}

std::string format_value(const RatingScale& scale) {
  return fmt::format("{}:{}:{}", scale.min, scale.max, scale.step);
}

void validate(const GeneratorOptions& o) {
  DMF_CHECK(o.users >= 1, "--users must be at least 1 (got {})", o.users);
  DMF_CHECK(o.items >= 1, "--items must be at least 1 (got {})", o.items);
  // Item numbers are stored in 32 bits while drawing.
  DMF_CHECK(o.users < (1ULL << 32U), "--users must be below 2^32 (got {})", o.users);
  DMF_CHECK(o.items < (1ULL << 32U), "--items must be below 2^32 (got {})", o.items);
  DMF_CHECK(o.ratings >= o.users,
            "--ratings {} is fewer than --users {}: every user rates at least once", o.ratings,
            o.users);
  // ceil(N / U) <= I is N <= U * I without overflow.
  DMF_CHECK(o.ratings / o.users + (o.ratings % o.users != 0 ? 1 : 0) <= o.items,
            "--ratings {} is more than the --users {} x --items {} distinct pairs", o.ratings,
            o.users, o.items);
  DMF_CHECK(o.true_rank >= 1, "--true-rank must be at least 1 (got {})", o.true_rank);
  DMF_CHECK(std::isfinite(o.noise) && o.noise >= 0, "--noise must be 0 or more (got {})", o.noise);
  // Beyond 10 the tail weights (rank^-skew) underflow towards zero.
  DMF_CHECK(std::isfinite(o.skew) && o.skew >= 0 && o.skew <= 10,
            "--skew must be between 0 and 10 (got {})", o.skew);
  DMF_CHECK(std::isfinite(o.popularity_exponent) && o.popularity_exponent >= 0 &&
                o.popularity_exponent <= 10,
            "--popularity-exponent must be between 0 and 10 (got {})", o.popularity_exponent);
  // Every taste of the implicit model needs an item to draw.
  DMF_CHECK(o.feedback != GeneratedFeedback::kImplicit ||
                static_cast<std::uint64_t>(o.true_rank) <= o.items,
            "--true-rank {} is more than --items {}: with --feedback implicit every one of the "
            "K tastes needs an item",
            o.true_rank, o.items);
  try {
    check_scale(o.scale);
  } catch (const Error& e) {
    fail("--scale: {}", e.what());
  }
}

DefaultExponents default_exponents(GeneratedFeedback feedback) noexcept {
  return feedback == GeneratedFeedback::kImplicit ? DefaultExponents{0.3, 0.75}
                                                  : DefaultExponents{0.8, 0.8};
}

std::uint64_t min_ratings_per_user(const GeneratorOptions& o) {
  return std::clamp<std::uint64_t>(o.ratings / (2 * o.users), 1, 20);
}

}  // namespace dmf::data
