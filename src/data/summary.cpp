#include "dmf/data/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "dmf/data/partition.hpp"

namespace dmf::data {
namespace {

/// Rating scales with at most this many distinct values get exact bins.
constexpr std::size_t kMaxExactValues = 32;
constexpr std::size_t kBins = 10;

struct DegreeCount {
  std::uint64_t degree = 0;
  std::uint64_t rows = 0;
};

DegreeStats degree_stats(const dist::Comm& comm, const SparseBlock& block) {
  std::map<std::uint64_t, std::uint64_t> local;
  for (std::uint32_t r = 0; r < block.rows(); ++r) ++local[block.degree(r)];
  std::vector<DegreeCount> mine;
  for (const auto& [degree, rows] : local) mine.push_back({degree, rows});
  // Distinct degrees are few (at most about sqrt(2 * ratings)), so every
  // rank can hold the merged histogram.
  std::map<std::uint64_t, std::uint64_t> all;
  for (const auto& d : comm.allgatherv<DegreeCount>(mine)) all[d.degree] += d.rows;

  DegreeStats stats;
  std::uint64_t rows = 0;
  std::uint64_t ratings = 0;
  for (const auto& [degree, count] : all) {
    rows += count;
    ratings += degree * count;
  }
  if (rows == 0) return stats;
  stats.min = all.begin()->first;
  stats.max = all.rbegin()->first;
  stats.mean = static_cast<double>(ratings) / static_cast<double>(rows);
  // Nearest rank: the smallest degree d with at least ceil(q * rows) rows <= d.
  auto quantile = [&](double q) {
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(rows)));
    std::uint64_t seen = 0;
    for (const auto& [degree, count] : all) {
      seen += count;
      if (seen >= rank) return degree;
    }
    return stats.max;
  };
  stats.p50 = quantile(0.50);
  stats.p90 = quantile(0.90);
  stats.p99 = quantile(0.99);
  return stats;
}

std::vector<HistogramBin> histogram(const dist::Comm& comm, const SparseBlock& block, double min,
                                    double max) {
  // Exact counts per value while there are few distinct values (star scales).
  struct ValueCount {
    float value;
    std::uint64_t count;
  };
  std::vector<ValueCount> exact;  // sorted by value
  bool few = true;
  float last = std::numeric_limits<float>::quiet_NaN();
  std::size_t last_at = 0;
  for (const float v : block.values) {
    if (v == last) {  // runs of equal ratings are common
      ++exact[last_at].count;
      continue;
    }
    const auto it = std::ranges::lower_bound(exact, v, {}, &ValueCount::value);
    if (it == exact.end() || it->value != v) {
      if (exact.size() == kMaxExactValues) {
        few = false;
        break;
      }
      const auto inserted = exact.insert(it, {v, 0});  // may reallocate: then take begin()
      last_at = static_cast<std::size_t>(inserted - exact.begin());
    } else {
      last_at = static_cast<std::size_t>(it - exact.begin());
    }
    last = v;
    ++exact[last_at].count;
  }
  if (comm.all(few)) {
    std::map<float, std::uint64_t> merged;
    for (const auto& [v, n] : comm.allgatherv<ValueCount>(exact)) merged[v] += n;
    if (merged.size() <= kMaxExactValues) {
      std::vector<HistogramBin> bins;
      for (const auto& [v, n] : merged) bins.push_back({v, v, n});
      return bins;
    }
  }
  // Equal-width bins over [min, max].
  std::vector<HistogramBin> bins;
  const double width = (max - min) / kBins;
  for (std::size_t b = 0; b < kBins; ++b) {
    bins.push_back(
        {min + width * static_cast<double>(b), min + width * static_cast<double>(b + 1), 0});
  }
  std::vector<std::uint64_t> counts(kBins, 0);
  for (const float v : block.values) {
    const auto b = static_cast<std::size_t>((v - min) / width);
    ++counts[std::min(b, kBins - 1)];
  }
  comm.allreduce(std::span(counts), dist::Op::kSum);
  for (std::size_t b = 0; b < bins.size(); ++b) bins[b].count = counts[b];
  return bins;
}

}  // namespace

DataSummary summarize(const dist::Comm& comm, const RatingsData& data) {
  DataSummary s;
  s.users = data.users.total_rows();
  s.items = data.items.total_rows();
  s.ratings = comm.allreduce<std::uint64_t>(data.by_user.nnz(), dist::Op::kSum);
  s.density = static_cast<double>(s.ratings) /
              (static_cast<double>(s.users) * static_cast<double>(s.items));

  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  double sum = 0.0;
  for (const float v : data.by_user.values) {
    low = std::min<double>(low, v);
    high = std::max<double>(high, v);
    sum += v;
  }
  s.rating_min = comm.allreduce(low, dist::Op::kMin);
  s.rating_max = comm.allreduce(high, dist::Op::kMax);
  s.rating_mean = comm.allreduce(sum, dist::Op::kSum) / static_cast<double>(s.ratings);
  s.histogram = histogram(comm, data.by_user, s.rating_min, s.rating_max);
  s.user_degrees = degree_stats(comm, data.by_user);
  s.item_degrees = degree_stats(comm, data.by_item);
  return s;
}

void require_varied_ratings(const dist::Comm& comm, const RatingsData& data) {
  float low = std::numeric_limits<float>::infinity();
  float high = -low;
  for (const float v : data.by_user.values) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  low = comm.allreduce(low, dist::Op::kMin);
  high = comm.allreduce(high, dist::Op::kMax);
  if (low != high) return;
  const auto& report = data.report;
  throw Error(fmt::format("all {} ratings in {} are {}{}: an explicit-rating model cannot learn "
                          "from them; for clicks, plays or purchases train with --feedback "
                          "implicit",
                          report.ratings, report.path, low,
                          report.format.has_rating ? "" : " (it has no rating column)"),
              /*collective=*/true);
}

std::vector<std::uint64_t> partition_loads(const dist::Comm& comm, const SparseBlock& block,
                                           int parts) {
  return partition_sizes(comm, block, parts).ratings;
}

}  // namespace dmf::data
