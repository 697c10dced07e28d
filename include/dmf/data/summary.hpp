// Descriptive statistics of a loaded data set (what `dmf info` prints),
// computed across ranks without gathering the data.
#pragma once

#include <cstdint>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Quantiles of the number of ratings per row (nearest-rank definition).
struct DegreeStats {
  std::uint64_t min = 0;
  std::uint64_t p50 = 0;
  std::uint64_t p90 = 0;
  std::uint64_t p99 = 0;
  std::uint64_t max = 0;
  double mean = 0.0;
};

struct HistogramBin {
  double low = 0.0;   // a rating value, or a bin's lower edge
  double high = 0.0;  // equal to low for exact values
  std::uint64_t count = 0;
};

struct DataSummary {
  std::uint64_t users = 0;
  std::uint64_t items = 0;
  std::uint64_t ratings = 0;
  double density = 0.0;  // ratings / (users * items)
  double rating_min = 0.0;
  double rating_max = 0.0;
  double rating_mean = 0.0;
  /// One bin per distinct rating value when there are few (star scales),
  /// else equal-width bins over [min, max].
  std::vector<HistogramBin> histogram;
  DegreeStats user_degrees;
  DegreeStats item_degrees;
};

/// Collective: the summary of `data`, the same on every rank.
[[nodiscard]] DataSummary summarize(const dist::Comm& comm, const RatingsData& data);

/// Collective: throws the same dmf::Error on every rank when every rating of
/// `data` has one value (a click file, a file without a rating column):
/// an explicit-rating model fits them with RMSE 0 and learns no ranking.
/// The message names --feedback implicit, what such data is trained with.
void require_varied_ratings(const dist::Comm& comm, const RatingsData& data);

/// Collective: the ratings each of `parts` ranks would hold in `block`'s
/// side under dmf's partitioner (the same rule the loader uses).
[[nodiscard]] std::vector<std::uint64_t> partition_loads(const dist::Comm& comm,
                                                         const SparseBlock& block, int parts);

}  // namespace dmf::data
