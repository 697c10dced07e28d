// Fold-in: factors for users the model has not seen (or whose history has
// changed), solved from their ratings against the model's fixed item rows
// with the model's own objective, without retraining — what `implicit`
// calls recalculate_user. For explicit feedback a user row minimizes the
// user's terms of docs/design.md §2 with the items fixed:
//
//   Σ_i (r_ui − μ − b_u − b_i − p_u·q_i)² + λ_u w_u (‖p_u‖² + b_u²)
//
// (b_u only when the model has user biases), solved exactly by ALS's row
// kernel (solvers/als/row_solver) over the user's ratings in canonical item
// order: for a user of the model folded in from its own training rows, the
// row one more user half-sweep of `--als-solve cholesky` gives, bit for bit.
// For implicit feedback a user row minimizes
//
//   Σ_all i c_ui (p_ui − p_u·q_i)² + λ_u w_u ‖p_u‖²
//
// (c and p of the user's observed values, c = 1 and p = 0 for the rest),
// solved exactly by implicit ALS's row kernel (solvers/ials/implicit_row)
// from the Gram matrix of all the model's items (solvers/ials/exact_gram):
// again the row one more user half-sweep of `--als-solve cholesky` gives,
// whatever --als-solve the model was trained with.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/data/token_table.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/model/model_dir.hpp"
#include "dmf/model/model_objective.hpp"

namespace dmf::eval {

/// One user's ratings to fold in: global item rows, ascending and distinct,
/// and the rating of each.
struct FoldInRow {
  std::vector<std::uint32_t> items;
  std::vector<float> values;
};

/// Collective: the user rows (factors and bias) of `rows` solved against
/// `model`'s item rows under `objective` (one block, rows.size() rows, k of
/// the model). A row with no ratings gets zeros (it is ranked by μ + b_i,
/// as a cold user). The feedback kind chooses the row solve.
[[nodiscard]] model::FactorBlock fold_in(const dist::Comm& comm, const model::Model& model,
                                         std::span<const FoldInRow> rows,
                                         const model::ModelObjective& objective, int threads);

/// The users of a fold-in file as the rank that solves them holds them: a
/// user is gathered on the rank its ID hashes to, with every rating the file
/// has of it (duplicate pairs merged by the load options' --duplicates rule,
/// as training merges them).
struct FoldInUsers {
  std::vector<std::uint64_t> keys;         // per user: the hash of its ID
  std::vector<std::uint64_t> first_lines;  // per user: its first line in the file
  std::vector<std::int32_t> readers;       // per user: the rank that read that line
  std::vector<FoldInRow> rows;             // per user: its ratings of the model's items
  /// On the rank that read them: the ID on each line of its range that is
  /// some user's first, to write the lists under.
  std::vector<std::pair<std::uint64_t, std::string>> ids_by_line;
  std::uint64_t users = 0;          // all ranks
  std::uint64_t ratings = 0;        // all ranks, after merging duplicates
  std::uint64_t unknown_items = 0;  // of the ratings, all ranks: items the model does not have
};

/// Collective: reads `path` (a ratings file or data set directory, in the
/// formats of --data) with `load` and gathers its users (above).
[[nodiscard]] FoldInUsers read_fold_in_users(const dist::Comm& comm, const std::string& path,
                                             const data::LoadOptions& load,
                                             const model::LoadedModel& loaded);

/// The rank that solves and ranks a user the model is not asked for by row
/// (a cold user, or a folded-in one): from the hash of its ID.
[[nodiscard]] inline int rank_of_key(std::uint64_t key, int ranks) noexcept {
  return static_cast<int>(key % static_cast<std::uint64_t>(ranks));
}

}  // namespace dmf::eval
