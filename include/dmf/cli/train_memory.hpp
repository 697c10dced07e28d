// What `dmf train` will hold in memory on one rank, estimated before the
// model is allocated, so that a --rank too large for the machine is refused
// with the figures instead of filling the memory and dying in bad_alloc.
#pragma once

#include <cstdint>
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

}  // namespace dmf::cli
