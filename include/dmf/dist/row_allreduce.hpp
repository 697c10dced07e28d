// Summing rows of a replicated matrix across ranks when each rank touched
// only some of them (the item gradients of a gd step). Two ways:
//   dense   the whole matrix summed over ranks (each rank sums a slice of
//           the rows from every rank, then the slices are gathered: the
//           bytes of a ring allreduce); its cost does not depend on how
//           many rows were touched;
//   sparse  every rank sends only its touched rows (their indices and
//           values) to every other (MPI_Allgatherv), and each sums them in
//           rank order; cheaper when few rows are touched.
// Both add every row's values in rank order, so they give the same bits at
// any rank count, and `auto` (a rule of the touched counts alone, set from
// a measured crossover: docs/design.md §4, gd) changes the time, never the
// model.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dmf/core/enum_names.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::dist {

enum class SparseMode { kAuto, kOn, kOff };

inline std::span<const EnumName<SparseMode>> enum_names(SparseMode /*tag*/) {
  static constexpr std::array<EnumName<SparseMode>, 3> kNames{{
      {SparseMode::kAuto, "auto"},
      {SparseMode::kOn, "on"},
      {SparseMode::kOff, "off"},
  }};
  return kNames;
}

/// What the calls so far moved, this rank's share.
struct RowAllreduceStats {
  std::uint64_t calls = 0;
  std::uint64_t sparse_calls = 0;
  std::uint64_t bytes = 0;  // sent to other ranks (a model of the algorithm's traffic)
  double seconds = 0.0;     // inside the collectives
};

class RowAllreduce {
 public:
  RowAllreduce() = default;
  /// A matrix of `rows` × `width` doubles, replicated on every rank. The
  /// last column of every row a rank sends must be positive (gd sends its
  /// count of ratings there): the dense path finds the touched rows by it.
  RowAllreduce(std::uint32_t rows, std::size_t width, SparseMode mode);

  /// Collective. `rows` are this rank's touched rows, ascending and distinct;
  /// `values` their rows (rows.size() × width). Afterwards touched() is the
  /// ascending union over all ranks and row(r) the sum of every rank's row r.
  void reduce(const Comm& comm, std::span<const std::uint32_t> rows,
              std::span<const double> values);

  [[nodiscard]] std::span<const std::uint32_t> touched() const noexcept { return touched_; }
  [[nodiscard]] std::span<const double> row(std::uint32_t r) const noexcept {
    return std::span(sums_).subspan(static_cast<std::size_t>(r) * width_, width_);
  }
  [[nodiscard]] const RowAllreduceStats& stats() const noexcept { return stats_; }

  /// True when a call with these touched counts (one per rank) goes sparse.
  [[nodiscard]] bool goes_sparse(std::span<const std::uint64_t> counts, int ranks) const;

 private:
  void clear();
  void reduce_dense(const Comm& comm, std::span<const std::uint32_t> rows,
                    std::span<const double> values);
  void reduce_sparse(const Comm& comm, std::span<const std::uint32_t> rows,
                     std::span<const double> values, std::span<const std::uint64_t> counts);

  std::uint32_t rows_ = 0;
  std::size_t width_ = 0;
  SparseMode mode_ = SparseMode::kAuto;
  std::vector<double> sums_;  // rows × width; zero outside touched_
  std::vector<std::uint32_t> touched_;
  std::vector<std::uint8_t> seen_;       // per row, during a sparse merge
  std::vector<std::uint32_t> all_rows_;  // every rank's rows, in rank order (sparse)
  std::vector<double> all_values_;
  std::vector<double> parts_;  // every rank's copy of this rank's slice (dense)
  std::vector<double> slice_;  // their sum
  RowAllreduceStats stats_;
};

}  // namespace dmf::dist
