// Synthetic data from a known low-rank model (dmf generate): explicit
// ratings (the model plus noise) or implicit feedback (play counts of items
// drawn by popularity and a hidden taste mixture, docs/design.md §3). Every
// quantity is a pure function of the seed and the user or item number, so
// the output is the same bytes for any number of ranks and threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/io/format.hpp"

namespace dmf::data {

/// The rating scale: ratings are rounded to the grid MIN, MIN + STEP, ...,
/// MAX and clipped to [MIN, MAX]; STEP 0 keeps them continuous (clipped only).
struct RatingScale {
  double min = 1.0;
  double max = 5.0;
  double step = 1.0;
};

/// "MIN:MAX:STEP", e.g. "1:5:1", "0.5:5:0.5", "-100:100:0". MAX - MIN must be
/// a whole number of STEPs so that MAX is on the grid.
void parse_value(std::string_view text, RatingScale& out);
[[nodiscard]] std::string format_value(const RatingScale& scale);

/// What the data set records: ratings on a scale, or how often a user
/// played (clicked, bought) an item.
enum class GeneratedFeedback { kExplicit, kImplicit };

inline std::span<const EnumName<GeneratedFeedback>> enum_names(GeneratedFeedback /*tag*/) {
  static constexpr std::array<EnumName<GeneratedFeedback>, 2> kNames{{
      {GeneratedFeedback::kExplicit, "explicit"},
      {GeneratedFeedback::kImplicit, "implicit"},
  }};
  return kNames;
}

/// Defaults are shaped like MovieLens 1M.
struct GeneratorOptions {
  GeneratedFeedback feedback = GeneratedFeedback::kExplicit;
  std::uint64_t users = 6040;
  std::uint64_t items = 3706;
  std::uint64_t ratings = 1000209;   // pairs, for implicit feedback
  int true_rank = 10;                // K of the hidden model (implicit: the number of tastes)
  double noise = 0.5;                // sigma of the Gaussian noise added to each rating
  double skew = 0.8;                 // power-law exponent of user activity
  double popularity_exponent = 0.8;  // power-law exponent of item popularity
  RatingScale scale;
  std::uint64_t seed = 1;
  std::int64_t start_time = 946684800;  // 2000-01-01T00:00:00Z
};

/// The exponents dmf generate uses when none is given: user activity and
/// item popularity 0.8 for explicit ratings (MovieLens-like), 0.3 and 0.75
/// for implicit feedback (last.fm-360k-like at its size: users list 40 to
/// 100 artists, the top artist is in a third of the lists, the top 1% of
/// artists hold a quarter of the pairs).
struct DefaultExponents {
  double activity;
  double popularity;
};
[[nodiscard]] DefaultExponents default_exponents(GeneratedFeedback feedback) noexcept;

/// Throws dmf::Error naming the option for impossible requests: no users or
/// items, fewer ratings than users, more than users x items, rank below 1
/// (or, for implicit feedback, above the items), negative or non-finite
/// noise or exponents, a scale off its own grid.
void validate(const GeneratorOptions& options);

/// The fewest ratings any user gets: min(20, max(1, N / (2U))). MovieLens
/// keeps users with at least 20; smaller requests get what they can afford.
[[nodiscard]] std::uint64_t min_ratings_per_user(const GeneratorOptions& options);

/// Splits `total` into integers proportional to `weights` (largest
/// remainders, ties to the lower index), none above `cap`: entries whose
/// share would pass the cap get exactly `cap` and the rest is shared among
/// the others. `weights` must be positive and non-increasing (then the capped
/// entries are a prefix); total <= weights.size() * cap. Sums to `total`.
[[nodiscard]] std::vector<std::uint64_t> apportion(std::span<const double> weights,
                                                   std::uint64_t total, std::uint64_t cap);

/// The hidden model and the layout of the data set: how many ratings each
/// user has and which items are popular. Users and items are numbered 0..
/// here; their IDs in the file are 1...
///   explicit: r(u, i) = mu + b_u + b_i + p_u . q_i, plus noise
///   implicit: user u picks item i with probability proportional to
///             pop_i / Pop_g(i) * theta_u,g(i) (a rank-K preference: item i
///             has one taste g(i) of K, user u a mixture theta_u of them) and
///             plays it a log-normal number of times, more when the user
///             favours its taste (docs/design.md §3, "Generated data").
class SyntheticModel {
 public:
  /// `threads` only speeds up building the item factors.
  explicit SyntheticModel(const GeneratorOptions& options, int threads = 1);

  [[nodiscard]] const GeneratorOptions& options() const noexcept { return options_; }
  /// mu of the hidden model.
  [[nodiscard]] double mean() const noexcept { return mean_; }
  /// The noise-free rating of (user, item), before rounding and clipping
  /// (explicit feedback).
  [[nodiscard]] double true_rating(std::uint64_t user, std::uint64_t item) const;
  /// The chance that one of the user's draws picks `item` (implicit
  /// feedback): pop_i / Pop_g(i) * theta_u,g(i); sums to 1 over the items.
  [[nodiscard]] double preference(std::uint64_t user, std::uint64_t item) const;
  /// theta_u (implicit feedback): the share of the user's draws that go to
  /// each taste; K values summing to 1.
  [[nodiscard]] std::vector<double> tastes(std::uint64_t user) const;
  /// The taste of `item` (implicit feedback), in 0..K-1.
  [[nodiscard]] std::uint32_t taste_of(std::uint64_t item) const { return taste_.at(item); }
  /// How many ratings `user` has; they sum to options().ratings.
  [[nodiscard]] std::uint64_t ratings_of(std::uint64_t user) const { return counts_.at(user); }
  [[nodiscard]] const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }
  /// The chance that one draw by popularity picks `item` (sums to 1).
  [[nodiscard]] double popularity(std::uint64_t item) const { return popularity_.at(item); }

  /// One rating of a user.
  struct Rating {
    std::uint64_t item;
    float value;
    std::int64_t time;
  };
  /// The ratings of `user` in time order: distinct items drawn by
  /// popularity (implicit: and taste), noisy values on the scale (implicit:
  /// play counts, whole numbers from 1), strictly increasing times.
  /// A pure function of (seed, user).
  [[nodiscard]] std::vector<Rating> ratings_for(std::uint64_t user) const;

  /// The same ratings as ratings_for, into reusable buffers: the fast path of
  /// the writer. One per thread; sized for the model on first use.
  struct UserRatings {
    std::vector<std::uint32_t> items;
    std::vector<float> values;
    std::vector<std::int64_t> times;
    // Scratch of the draws.
    std::vector<std::uint32_t> stamp;  // stamp[i] == epoch: item i already drawn
    std::uint32_t epoch = 0;
    std::vector<std::pair<double, std::uint32_t>> keys;
    std::vector<std::pair<double, std::uint32_t>> selection;
    std::vector<double> gaps;
    std::vector<double> factors;  // explicit: p_u; implicit: theta_u's cumulative sums
    std::vector<double> weights;  // implicit: each item's preference, for the exact sampler
  };
  void draw(std::uint64_t user, UserRatings& out) const;

 private:
  void build_implicit();
  void start_draw(UserRatings& out) const;
  void draw_items(std::uint64_t user, std::uint64_t count, UserRatings& out) const;
  void draw_preferred_items(std::uint64_t user, std::uint64_t count, UserRatings& out) const;
  void draw_times(std::uint64_t count, Rng& rng, UserRatings& out) const;
  void draw_counts(std::uint64_t count, Rng& rng, UserRatings& out) const;
  [[nodiscard]] double user_factors(std::uint64_t user, double* factors) const;
  /// theta_u as cumulative sums (the last is 1).
  void user_tastes(std::uint64_t user, std::vector<double>& cumulative) const;

  GeneratorOptions options_;
  double mean_ = 0.0;
  double factor_sd_ = 0.0;
  double user_bias_sd_ = 0.0;
  double grid_points_ = 0.0;  // (MAX - MIN) / STEP; 0 when continuous
  std::vector<std::uint64_t> counts_;
  std::vector<double> popularity_;
  std::vector<float> item_factors_;  // items x K, row-major
  std::vector<float> item_bias_;
  // Vose alias table over item popularity: O(1) draws.
  std::vector<double> alias_probability_;
  std::vector<std::uint32_t> alias_;
  // Implicit feedback: the taste of each item, the items of each taste
  // (taste g's are taste_items_[taste_first_[g] .. taste_first_[g + 1])),
  // each taste's share of the popularity (Pop_g), and one alias table per
  // taste over its items' popularity, in the same slots as taste_items_
  // (an alias is a slot within its taste).
  std::vector<std::uint32_t> taste_;
  std::vector<std::uint64_t> taste_first_;
  std::vector<std::uint32_t> taste_items_;
  std::vector<double> taste_mass_;
  std::vector<double> taste_alias_probability_;
  std::vector<std::uint32_t> taste_alias_;
};

/// Where and how generate_ratings writes.
struct GenerateOutput {
  std::string path;
  io::FormatKind format = io::FormatKind::kAuto;  // kAuto: from the file name
  bool overwrite = false;
  int threads = 1;  // OpenMP threads per rank
  /// Ratings each rank formats per collective write: bounds the memory
  /// (about 25 MiB of csv text per rank), whatever the size of the data set.
  std::uint64_t ratings_per_round = std::uint64_t{1} << 20U;
};

/// The format a file named `path` gets: `requested` unless kAuto, else by
/// extension (.csv, .tsv/.tab, .dat = movielens, .mtx/.mm, u.data/.data,
/// .libmf), csv otherwise.
[[nodiscard]] io::FormatKind output_format(const std::string& path, io::FormatKind requested);

/// The lines a generated file of this format starts with (csv and tsv: the
/// column names; MatrixMarket: the banner, the model, the sizes; else none).
[[nodiscard]] std::string generated_header(io::FormatKind kind, const GeneratorOptions& options);

/// What generate_ratings wrote.
struct GenerateReport {
  io::FormatKind format = io::FormatKind::kCsv;
  std::uint64_t ratings = 0;
  std::uint64_t bytes = 0;
  std::uint64_t rounds = 0;
  double seconds = 0.0;  // the slowest rank, model building included
};

/// Collective. Writes the data set, lines ordered by user then time, every
/// rank writing a contiguous block of the users of each round. Refuses an
/// existing file unless `output.overwrite`.
GenerateReport generate_ratings(const dist::Comm& comm, const GeneratorOptions& options,
                                const GenerateOutput& output);

}  // namespace dmf::data
