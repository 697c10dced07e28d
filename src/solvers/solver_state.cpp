#include "dmf/solvers/solver_state.hpp"

#include <fmt/format.h>

namespace dmf::solvers {

std::string_view side_name(Side side) noexcept { return side == Side::kUser ? "user" : "item"; }

void add_factor_arrays(std::vector<StateArray>& out, Side side, const model::FactorBlock& block,
                       std::uint32_t local_first, std::uint32_t count) {
  const std::size_t k = block.width();
  const std::uint32_t first = block.first_row + local_first;
  out.push_back({fmt::format("{}_factors", side_name(side)), side, k, first,
                 std::span<const float>(block.factors).subspan(local_first * k, count * k)});
  out.push_back({fmt::format("{}_bias", side_name(side)), side, 0, first,
                 std::span<const float>(block.bias).subspan(local_first, count)});
}

model::FactorBlock load_factor_block(const StateSource& source, Side side, int k,
                                     std::uint32_t first, std::uint32_t count,
                                     std::uint32_t total) {
  model::FactorBlock block(first, count, total, k);
  block.factors = source.floats(fmt::format("{}_factors", side_name(side)), side,
                                static_cast<std::uint64_t>(k), first, count);
  block.bias = source.floats(fmt::format("{}_bias", side_name(side)), side, 0, first, count);
  return block;
}

}  // namespace dmf::solvers
