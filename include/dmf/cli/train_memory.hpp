// What `dmf train` will hold in memory on one rank, estimated before the
// model is allocated, so that a --rank too large for the machine is refused
// with the figures instead of filling the memory and dying in bad_alloc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dmf/cli/train_options.hpp"

namespace dmf::cli {

/// The sizes the estimate depends on, as one rank sees them after loading.
struct TrainShape {
  std::uint64_t local_users = 0;  // user rows this rank owns
  std::uint64_t local_items = 0;  // item rows this rank owns
  std::uint64_t total_users = 0;
  std::uint64_t total_items = 0;
  std::uint64_t user_ratings = 0;  // ratings in this rank's user block
  std::uint64_t item_ratings = 0;  // ratings in this rank's item block
  int k = 0;
  int threads = 1;
  SolverKind solver = SolverKind::kAls;
  int optimizer_slots = 0;  // gd: state arrays per parameter
};

/// One item of the estimate: what it is and its bytes (a double: an absurd
/// --rank must not overflow the sum).
struct MemoryPart {
  std::string what;
  double bytes = 0.0;
};

/// The memory the model and the solver keep on one rank, part by part:
/// the factor rows (and the copy the trainer keeps to step back after a
/// divergence), the other side's rows the solver fetches or replicates, its
/// per-thread scratch and optimizer state. An estimate, meant to be within a
/// small factor; the data blocks, already loaded, are not counted.
[[nodiscard]] std::vector<MemoryPart> train_memory_estimate(const TrainShape& shape);

/// The sum of the parts' bytes.
[[nodiscard]] double total_bytes(const std::vector<MemoryPart>& parts);

/// Why a run of `shape` on rank `rank` does not fit in `usable` bytes, in one
/// sentence with the estimate and its largest part; empty when it fits or
/// when `usable` is 0 (unknown).
[[nodiscard]] std::string memory_refusal(const TrainShape& shape, int rank, std::uint64_t usable);

}  // namespace dmf::cli
