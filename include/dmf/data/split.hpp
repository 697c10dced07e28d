// Train / validation / test membership of ratings (docs/design.md §3): by a hash
// of the IDs, by a fraction of each user's ratings, or by each user's latest
// ratings. Every rule is a pure function of the data and the seed, so the
// same split comes out for any number of ranks and any file order.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

enum class SplitMethod { kRandom, kUser, kTime };

inline std::span<const EnumName<SplitMethod>> enum_names(SplitMethod /*tag*/) {
  static constexpr std::array<EnumName<SplitMethod>, 3> kNames{{
      {SplitMethod::kRandom, "random"},
      {SplitMethod::kUser, "user"},
      {SplitMethod::kTime, "time"},
  }};
  return kNames;
}

enum class Subset : std::uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };

struct SplitOptions {
  SplitMethod method = SplitMethod::kRandom;
  double test_ratio = 0.1;
  double validation_ratio = 0.0;
  std::uint64_t seed = 1;
};

/// kRandom: the subset of the rating (user, item), a pure function of the
/// seed and the two ID tokens.
[[nodiscard]] Subset random_subset(const SplitOptions& options, std::string_view user,
                                   std::string_view item) noexcept;

/// kUser / kTime: how many of a user's n ratings go to validation and test.
/// n * ratio is rounded up or down at random (keyed by seed and user), so the
/// expected fractions are exact even when most users have few ratings; a
/// user always keeps at least one rating in train.
struct HeldOut {
  std::uint64_t validation = 0;
  std::uint64_t test = 0;
};
[[nodiscard]] HeldOut held_out_counts(const SplitOptions& options, std::string_view user,
                                      std::uint64_t n) noexcept;

/// The subset of one kept rating, identified by its source line.
struct LineSubset {
  std::uint64_t line = 0;
  Subset subset = Subset::kTrain;
  /// False under kRandom: the rank that reads the line decides from its IDs.
  bool decided = true;
};

/// Collective. For every rating of `data` (loaded with keep_lines, and with
/// keep_time for kTime), its subset, sent to the rank that read its line:
/// returns this rank's lines, sorted. Lines merged away as duplicates or
/// skipped as bad are absent.
[[nodiscard]] std::vector<LineSubset> assign_subsets(const dist::Comm& comm,
                                                     const RatingsData& data,
                                                     const SplitOptions& options);

}  // namespace dmf::data
