// Synthetic explicit ratings from a known low-rank model plus noise
// (dmf generate). Every quantity is a pure function of the seed and the
// user or item number, so the output is the same bytes for any number of
// ranks and threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/io/format.hpp"

namespace dmf::data {

/// The rating scale: ratings are rounded to multiples of `step` above `min`
/// and clipped to [min, max]; step 0 keeps them continuous (clipped only).
struct RatingScale {
  double min = 1.0;
  double max = 5.0;
  double step = 1.0;
};

/// "MIN:MAX:STEP", e.g. "1:5:1", "0.5:5:0.5", "-100:100:0".
void parse_value(std::string_view text, RatingScale& out);
[[nodiscard]] std::string format_value(const RatingScale& scale);

/// Defaults are shaped like MovieLens 1M.
struct GeneratorOptions {
  std::uint64_t users = 6040;
  std::uint64_t items = 3706;
  std::uint64_t ratings = 1000209;
  int true_rank = 10;       // K of the hidden model
  double noise = 0.5;       // sigma of the Gaussian noise added to each rating
  double skew = 0.8;        // power-law exponent of user activity and item popularity
  RatingScale scale;
  std::uint64_t seed = 1;
  std::int64_t start_time = 946684800;  // 2000-01-01T00:00:00Z
};

/// Throws dmf::Error naming the option for impossible requests.
void validate(const GeneratorOptions& options);

/// The hidden model, r(u, i) = mu + b_u + b_i + p_u . q_i, and the layout of
/// the data set: how many ratings each user has and which items are popular.
/// Users and items are numbered 0.. here; their IDs in the file are 1...
class SyntheticModel {
 public:
  explicit SyntheticModel(const GeneratorOptions& options);

  [[nodiscard]] const GeneratorOptions& options() const noexcept { return options_; }
  [[nodiscard]] double mean() const noexcept { return mean_; }
  /// The noise-free rating of (user, item), before rounding and clipping.
  [[nodiscard]] double true_rating(std::uint64_t user, std::uint64_t item) const;
  /// How many ratings `user` has; they sum to options().ratings.
  [[nodiscard]] std::uint64_t ratings_of(std::uint64_t user) const { return counts_.at(user); }
  /// The share of the ratings an item gets when every user could rate it.
  [[nodiscard]] double popularity(std::uint64_t item) const { return popularity_.at(item); }

  /// One user's ratings, items ascending by time.
  struct Rating {
    std::uint64_t item;
    float value;
    std::int64_t time;
  };
  /// The ratings of `user`: distinct items drawn by popularity, noisy values
  /// on the scale, increasing times. A pure function of (seed, user).
  [[nodiscard]] std::vector<Rating> ratings_for(std::uint64_t user) const;

 private:
  [[nodiscard]] std::vector<double> user_factors(std::uint64_t user, double& bias) const;
  [[nodiscard]] std::vector<std::uint64_t> draw_items(std::uint64_t user, std::uint64_t count) const;

  GeneratorOptions options_;
  double mean_ = 0.0;
  double factor_sd_ = 0.0;
  double user_bias_sd_ = 0.0;
  std::vector<std::uint64_t> counts_;
  std::vector<double> popularity_;
  std::vector<float> item_factors_;  // items x K
  std::vector<float> item_bias_;
  // Vose alias table over item popularity: O(1) draws.
  std::vector<double> alias_probability_;
  std::vector<std::uint64_t> alias_;
};

/// What generate_ratings wrote.
struct GenerateReport {
  std::uint64_t ratings = 0;
  std::uint64_t bytes = 0;
  double seconds = 0.0;
};

/// Collective. Writes the data set to `path` in `format` (kAuto: from the
/// file name's extension; csv otherwise), every rank writing a contiguous
/// block of users. Refuses an existing file unless `overwrite`.
GenerateReport generate_ratings(const dist::Comm& comm, const GeneratorOptions& options,
                                const std::string& path, io::FormatKind format, bool overwrite,
                                int threads);

}  // namespace dmf::data
