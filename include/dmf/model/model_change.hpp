// How far a model moved: ‖θ − θ_before‖ / ‖θ_before‖ over factors and
// biases (the --tol-params stopping rule).
#pragma once

#include <cstdint>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::model {

struct SquaredChange {
  double difference = 0.0;  // Σ (θ − θ_before)²
  double before = 0.0;      // Σ θ_before²

  SquaredChange& operator+=(const SquaredChange& other) noexcept {
    difference += other.difference;
    before += other.before;
    return *this;
  }
};

/// Over rows [first, first + count) of two blocks of the same shape.
[[nodiscard]] SquaredChange squared_change(const FactorBlock& now, const FactorBlock& before,
                                           std::uint32_t first, std::uint32_t count);
/// Over every row.
[[nodiscard]] SquaredChange squared_change(const FactorBlock& now, const FactorBlock& before);

/// Collective: √(Σ difference / Σ before) over ranks (0 when nothing moved).
[[nodiscard]] double relative_change(const dist::Comm& comm, const SquaredChange& local);

}  // namespace dmf::model
