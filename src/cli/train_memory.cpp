#include "dmf/cli/train_memory.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "dmf/cli/params.hpp"
#include "dmf/core/memory.hpp"

namespace dmf::cli {

std::vector<MemoryPart> train_memory_estimate(const TrainShape& s,
                                              const solvers::SolverConfig& solver) {
  std::vector<MemoryPart> parts{
      {fmt::format("factor rows of its {} users and {} items", s.local_users, s.local_items),
       s.own_bytes()}};
  for (auto& part : solver.memory(s)) parts.push_back(std::move(part));
  return parts;
}

double total_bytes(const std::vector<MemoryPart>& parts) {
  double sum = 0.0;
  for (const auto& part : parts) sum += part.bytes;
  return sum;
}

double block_bytes(std::uint64_t rows, std::uint64_t ratings) {
  // rows + 1 offsets (uint64), then per rating its column (uint32) and value (float).
  return (static_cast<double>(rows) + 1.0) * sizeof(std::uint64_t) +
         static_cast<double>(ratings) * (sizeof(std::uint32_t) + sizeof(float));
}

RankMemory rank_memory(const TrainShape& shape, const solvers::SolverConfig& solver) {
  RankMemory memory;
  memory.blocks = block_bytes(shape.local_users, shape.user_ratings) +
                  block_bytes(shape.local_items, shape.item_ratings);
  const auto parts = train_memory_estimate(shape, solver);
  memory.factors = parts.front().bytes;  // train_memory_estimate's first part: the own rows
  memory.solver = total_bytes(parts) - memory.factors;
  return memory;
}

std::shared_ptr<solvers::SolverConfig> default_solver_config() {
  // The config as train declares it, left at its defaults: no option is parsed.
  ParamSet params("train", "");
  std::string name = solvers::default_solver();
  auto solver = params.add("solver", &name, "");
  return solvers::registered_solvers().front().declare(params, solver);
}

std::string memory_refusal(const TrainShape& shape, const solvers::SolverConfig& solver, int rank,
                           std::uint64_t usable) {
  const auto parts = train_memory_estimate(shape, solver);
  const double needed = total_bytes(parts);
  if (usable == 0 || needed <= static_cast<double>(usable)) return {};
  const auto largest = std::ranges::max_element(parts, {}, &MemoryPart::bytes);
  return fmt::format(
      "--rank {} needs about {} of memory on rank {} ({} for {}), more than the {} this "
      "machine has; lower --rank or --threads, or spread the data over more nodes",
      shape.k, human_bytes(needed), rank, human_bytes(largest->bytes), largest->what,
      human_bytes(static_cast<double>(usable)));
}

}  // namespace dmf::cli
