// A point of a solver's run (Solver::snapshot), and how it is saved and
// loaded by a checkpoint. A solver does not know about files (docs/design.md §8):
// it lists its state as named arrays of rows, in the sides' global row
// order, plus a few counters; the trainer writes them, and hands them back
// through a StateSource.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/model/model.hpp"

namespace dmf::solvers {

/// Whose rows an array holds.
enum class Side { kUser, kItem };

/// "user" or "item": the prefix of a side's array names.
[[nodiscard]] std::string_view side_name(Side side) noexcept;

/// One array of a state as this rank holds it: its rows starting at global
/// row `first_row`, `width` values each (0: one value, saved as a vector).
/// Over all ranks, in rank order, the rows are the side's rows in order.
struct StateArray {
  std::string name;  // e.g. "user_factors", "item_factor_state0"
  Side side = Side::kUser;
  std::uint64_t width = 0;
  std::uint32_t first_row = 0;
  std::variant<std::span<const float>, std::span<const std::uint32_t>> values;
};

/// Where a saved state's arrays are read back from: rows [first, first +
/// count) of an array in the side's global row order, whatever the number
/// of ranks that wrote it.
class StateSource {
 public:
  virtual ~StateSource() = default;
  [[nodiscard]] virtual std::vector<float> floats(const std::string& name, Side side,
                                                  std::uint64_t width, std::uint32_t first,
                                                  std::uint32_t count) const = 0;
  [[nodiscard]] virtual std::vector<std::uint32_t> uint32s(const std::string& name, Side side,
                                                           std::uint64_t width, std::uint32_t first,
                                                           std::uint32_t count) const = 0;
  /// What SolverState::counters() returned.
  [[nodiscard]] virtual const nlohmann::json& counters() const = 0;
};

/// Everything a solver needs to go back to a point of its run: the model's
/// rows and any state beyond them (optimizer state, counters).
class SolverState {
 public:
  virtual ~SolverState() = default;
  /// This rank's arrays. The model's are named user_factors, user_bias,
  /// item_factors and item_bias, so a saved state is a model directory.
  [[nodiscard]] virtual std::vector<StateArray> arrays() const = 0;
  /// Scalars beyond the arrays (step counters), the same on every rank.
  [[nodiscard]] virtual nlohmann::json counters() const { return nlohmann::json::object(); }
};

/// The arrays of rows [local_first, local_first + count) of one side's
/// factors and biases, `block` holding global rows from block.first_row.
void add_factor_arrays(std::vector<StateArray>& out, Side side, const model::FactorBlock& block,
                       std::uint32_t local_first, std::uint32_t count);

/// Global rows [first, first + count) of one side's factors and biases,
/// read back from `source`; `total` rows on the side, k factors each.
[[nodiscard]] model::FactorBlock load_factor_block(const StateSource& source, Side side, int k,
                                                   std::uint32_t first, std::uint32_t count,
                                                   std::uint32_t total);

}  // namespace dmf::solvers
