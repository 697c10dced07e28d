#include "dmf/cli/train_memory.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dmf/core/memory.hpp"

namespace dmf::cli {

std::vector<MemoryPart> train_memory_estimate(const TrainShape& s) {
  const double width = static_cast<double>(s.k) + 1.0;  // factors and the bias
  const double row = width * sizeof(float);
  const auto rows = [](std::uint64_t n) { return static_cast<double>(n); };
  const double own = (rows(s.local_users) + rows(s.local_items)) * row;
  std::vector<MemoryPart> parts;
  parts.push_back(
      {fmt::format("factor rows of its {} users and {} items", s.local_users, s.local_items), own});
  if (s.solver == SolverKind::kAls) {
    // Each half-sweep fetches the other side's rows its ratings touch (at
    // most one per rating) and packs its own rows for sending.
    const double fetched = (std::min(rows(s.total_items), rows(s.user_ratings)) +
                            std::min(rows(s.total_users), rows(s.item_ratings))) *
                           row;
    parts.push_back({"the other side's rows fetched per half-sweep", fetched + own});
    // A RowSolver per thread: the (k+1) x (k+1) normal equations and their
    // Cholesky factor in double, plus float chunks of the same size.
    parts.push_back({fmt::format("{} thread(s) x the (k+1)^2 normal equations", s.threads),
                     static_cast<double>(s.threads) * width * width * (3 * sizeof(double))});
    parts.push_back({"the copy kept to step back after a divergence", own});
  } else {
    // gd replicates every item row, sums item gradients in double, keeps
    // its optimizer state per parameter, and a copy of all of it to step
    // back after a divergence.
    const double replicated = rows(s.total_items) * row;
    const double params = own + replicated;
    parts.push_back(
        {fmt::format("every item's row, replicated ({} items)", s.total_items), replicated});
    parts.push_back(
        {"the item gradient sums", rows(s.total_items) * (width + 1.0) * sizeof(double)});
    parts.push_back({fmt::format("{} optimizer state array(s)", s.optimizer_slots),
                     params * s.optimizer_slots});
    parts.push_back(
        {"the copy kept to step back after a divergence", params * (1.0 + s.optimizer_slots)});
    parts.push_back({fmt::format("{} thread(s) x gradient scratch", s.threads),
                     static_cast<double>(s.threads) * (3.0 * width + 2.0) * sizeof(double)});
  }
  return parts;
}

double total_bytes(const std::vector<MemoryPart>& parts) {
  double sum = 0.0;
  for (const auto& part : parts) sum += part.bytes;
  return sum;
}

std::string memory_refusal(const TrainShape& shape, int rank, std::uint64_t usable) {
  const auto parts = train_memory_estimate(shape);
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
