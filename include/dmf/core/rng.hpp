// Counter-keyed random streams. Every random quantity in dmf is drawn from a
// stream whose key is a pure function of (seed, purpose, entity), so results
// do not depend on how many ranks or threads ran, nor in which order.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "dmf/core/hash.hpp"

namespace dmf {

/// Purposes that key independent streams; values are part of the on-disk
/// contract (a model's initial factors depend on them), never renumber.
enum class Stream : std::uint64_t {
  kUserFactors = 1,
  kItemFactors = 2,
  kGenerateUser = 3,
  kGenerateItem = 4,
  kGenerateRatings = 5,
  kSplit = 6,
  kGenerateLayout = 7,
  kGdSampling = 8,
  kSgdOrder = 9,
};

/// xoshiro256** seeded from one 64-bit key by SplitMix64. Small, fast, and
/// good enough for initialisation, sampling and synthetic data.
class Rng {
 public:
  explicit Rng(std::uint64_t key) noexcept {
    for (auto& word : state_) {
      key += 0x9e3779b97f4a7c15ULL;
      word = mix64(key);
    }
  }

  /// A stream for (seed, purpose, entity...).
  template <class... Ids>
  static Rng for_stream(std::uint64_t seed, Stream purpose, Ids... ids) noexcept {
    return Rng(combine(seed, static_cast<std::uint64_t>(purpose),
                       static_cast<std::uint64_t>(ids)...));
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17U;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() noexcept { return unit_interval(next()); }

  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, unbiased).
  std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using Wide = unsigned __int128;
    Wide m = static_cast<Wide>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Wide>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64U);
  }

  /// Standard normal (Box–Muller; the second variate is kept for the next call).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0.0;
    do {
      u1 = uniform();
    } while (u1 <= 0.0);
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4]{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace dmf
