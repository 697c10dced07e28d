// Factor rows and their bias side by side, (k + 1) floats per row: the unit
// that exchange plans move, so one exchange carries both.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::model {

/// Values per packed row.
[[nodiscard]] inline std::size_t packed_width(const FactorBlock& block) noexcept {
  return block.width() + 1;
}

/// `block`'s rows packed as [factors..., bias], row after row.
void pack_rows(const FactorBlock& block, std::vector<float>& out);

/// Collective: the global row boundaries of a side (rank p owns rows
/// [b[p], b[p+1])), from every rank's block.
[[nodiscard]] std::vector<std::uint32_t> row_boundaries(const dist::Comm& comm,
                                                        const FactorBlock& block);

}  // namespace dmf::model
