// What `dmf train` will hold in memory on one rank, estimated before the
// model is allocated, so that a --rank too large for the machine is refused
// with the figures instead of filling the memory and dying in bad_alloc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dmf/solvers/registry.hpp"

namespace dmf::cli {

/// The sizes the estimate depends on, as one rank sees them after loading.
using TrainShape = solvers::MemoryShape;
using solvers::MemoryPart;

/// The memory the model and `solver` keep on one rank, part by part: the
/// factor rows, then the solver's parts (SolverConfig::memory). An estimate, meant to be within a
/// small factor; the data blocks, already loaded, are not counted.
[[nodiscard]] std::vector<MemoryPart> train_memory_estimate(const TrainShape& shape,
                                                            const solvers::SolverConfig& solver);

/// The sum of the parts' bytes.
[[nodiscard]] double total_bytes(const std::vector<MemoryPart>& parts);

/// Why a run of `shape` on rank `rank` does not fit in `usable` bytes, in one
/// sentence with the estimate and its largest part; empty when it fits or
/// when `usable` is 0 (unknown).
[[nodiscard]] std::string memory_refusal(const TrainShape& shape,
                                         const solvers::SolverConfig& solver, int rank,
                                         std::uint64_t usable);

/// Bytes of a rating block of `rows` rows and `ratings` entries as the loader
/// builds it for train (data::SparseBlock: offsets, columns, values; train
/// keeps no times or line numbers).
[[nodiscard]] double block_bytes(std::uint64_t rows, std::uint64_t ratings);

/// What one rank holds to train, in the three parts `dmf info` sizes a job
/// by: its user and item rating blocks, the factor rows it owns, and the
/// solver's parts of train_memory_estimate. An estimate, like it.
struct RankMemory {
  double blocks = 0.0;
  double factors = 0.0;
  double solver = 0.0;
  [[nodiscard]] double total() const noexcept { return blocks + factors + solver; }
};

/// The RankMemory of a rank of `shape` trained by `solver`.
[[nodiscard]] RankMemory rank_memory(const TrainShape& shape, const solvers::SolverConfig& solver);

/// The default solver's config with its default options (what `dmf train`
/// uses without --solver and the solver's own options).
[[nodiscard]] std::shared_ptr<solvers::SolverConfig> default_solver_config();

}  // namespace dmf::cli
