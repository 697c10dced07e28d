#include "dmf/dist/row_allreduce.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"
#include "dmf/core/timer.hpp"

namespace dmf::dist {

RowAllreduce::RowAllreduce(std::uint32_t rows, std::size_t width, SparseMode mode)
    : rows_(rows),
      width_(width),
      mode_(mode),
      sums_(static_cast<std::size_t>(rows) * width, 0.0),
      seen_(rows, 0) {}

bool RowAllreduce::goes_sparse(std::span<const std::uint64_t> counts, int ranks) const {
  if (mode_ != SparseMode::kAuto) return mode_ == SparseMode::kOn;
  std::uint64_t total = 0;
  for (const auto c : counts) total += c;
  // Bytes a rank receives: sparse, every other rank's rows with their index;
  // dense, a ring allreduce moves 2 (P − 1) / P of the matrix. Measured at
  // two ranks, their times cross where these bytes do, within the noise
  // (about half the rows touched per rank; docs/design.md §4, gd).
  const double sparse = static_cast<double>(total) * static_cast<double>(width_ * 8 + 4);
  const double dense =
      2.0 * (ranks - 1) / ranks * static_cast<double>(rows_) * static_cast<double>(width_ * 8);
  return sparse <= dense;
}

void RowAllreduce::clear() {
  for (const auto r : touched_) {
    std::fill_n(sums_.begin() + static_cast<std::ptrdiff_t>(r * width_),
                static_cast<std::ptrdiff_t>(width_), 0.0);
  }
  touched_.clear();
}

void RowAllreduce::reduce(const Comm& comm, std::span<const std::uint32_t> rows,
                          std::span<const double> values) {
  DMF_CHECK(values.size() == rows.size() * width_, "row allreduce: {} rows but {} values",
            rows.size(), values.size());
  DMF_CHECK(std::ranges::all_of(rows, [&](std::uint32_t r) { return r < rows_; }),
            "row allreduce: a row beyond the {} of the matrix", rows_);
  Stopwatch clock;
  clear();
  const auto counts = comm.allgather<std::uint64_t>(rows.size());
  if (goes_sparse(counts, comm.size())) {
    reduce_sparse(comm, rows, values, counts);
  } else {
    reduce_dense(comm, rows, values);
  }
  ++stats_.calls;
  stats_.seconds += clock.seconds();
}

void RowAllreduce::reduce_dense(const Comm& comm, std::span<const std::uint32_t> rows,
                                std::span<const double> values) {
  for (std::size_t j = 0; j < rows.size(); ++j) {
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(j * width_), width_,
                sums_.begin() + static_cast<std::ptrdiff_t>(rows[j] * width_));
  }
  // Dense and sparse give the same bits: the sparse path adds the touched
  // rows in rank order from +0, and a rank that did not touch a row adds +0
  // here, which changes nothing. With two ranks each value is one addition,
  // a + b, whatever MPI_Allreduce's algorithm (the fastest dense sum: about
  // half the time of the one below, docs/design.md §4, gd); adding +0 after
  // it (below) gives (0 + a) + b even for a = b = −0.
  if (comm.size() == 2) {
    comm.allreduce<double>(sums_, Op::kSum);
    stats_.bytes += sums_.size() * 8;
  } else if (comm.size() > 2) {
    // Beyond two ranks MPI picks the order of additions by size and rank
    // count, so rank p sums slice p of the rows from every rank's copy in
    // rank order (an all-to-all) and the slices are gathered back: the
    // bytes of a ring allreduce.
    const auto ranks = static_cast<std::size_t>(comm.size());
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto first = [&](std::size_t p) { return static_cast<std::size_t>(rows_) * p / ranks; };
    std::vector<std::uint64_t> slices(ranks);
    for (std::size_t p = 0; p < ranks; ++p) slices[p] = (first(p + 1) - first(p)) * width_;
    const std::size_t mine = slices[me];
    const std::vector<std::uint64_t> from_each(ranks, mine);
    parts_.resize(mine * ranks);
    comm.alltoallv_bytes(std::as_bytes(std::span<const double>(sums_)), slices, from_each,
                         sizeof(double), std::as_writable_bytes(std::span<double>(parts_)));
    slice_.assign(mine, 0.0);
    for (std::size_t p = 0; p < ranks; ++p) {
      const double* part = parts_.data() + p * mine;
      for (std::size_t c = 0; c < mine; ++c) slice_[c] += part[c];
    }
    comm.allgatherv_known<double>(slice_, slices, sums_);
    stats_.bytes += static_cast<std::uint64_t>(2.0 * (comm.size() - 1) / comm.size() *
                                               static_cast<double>(sums_.size() * 8));
  }
  // Every sent row has a positive last column, so the sum's is too.
  const bool plus_zero = comm.size() == 2;
  for (std::uint32_t r = 0; r < rows_; ++r) {
    double* row = sums_.data() + static_cast<std::size_t>(r) * width_;
    if (row[width_ - 1] <= 0.0) continue;
    touched_.push_back(r);
    if (plus_zero) {
      for (std::size_t c = 0; c < width_; ++c) row[c] += 0.0;
    }
  }
}

void RowAllreduce::reduce_sparse(const Comm& comm, std::span<const std::uint32_t> rows,
                                 std::span<const double> values,
                                 std::span<const std::uint64_t> counts) {
  ++stats_.sparse_calls;
  std::vector<std::uint64_t> value_counts(counts.begin(), counts.end());
  for (auto& c : value_counts) c *= width_;
  comm.allgatherv_known<std::uint32_t>(rows, {counts.begin(), counts.end()}, all_rows_);
  comm.allgatherv_known<double>(values, value_counts, all_values_);
  stats_.bytes += static_cast<std::uint64_t>(comm.size() - 1) * rows.size() * (width_ * 8 + 4);
  const auto& all_rows = all_rows_;
  const auto& all_values = all_values_;
  // In rank order, so every rank adds the same numbers in the same order.
  for (std::size_t j = 0; j < all_rows.size(); ++j) {
    const std::uint32_t r = all_rows[j];
    double* sum = sums_.data() + static_cast<std::size_t>(r) * width_;
    const double* add = all_values.data() + j * width_;
    for (std::size_t c = 0; c < width_; ++c) sum[c] += add[c];
    if (seen_[r] == 0) {
      seen_[r] = 1;
      touched_.push_back(r);
    }
  }
  std::ranges::sort(touched_);
  for (const auto r : touched_) seen_[r] = 0;
}

}  // namespace dmf::dist
