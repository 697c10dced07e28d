// Per-rating stochastic gradient descent of the biased model, stratified
// (docs/design.md §4, sgd): one step per rating (rating_step.hpp); across
// ranks DSGD, an epoch of P sub-epochs in which rank p updates its users
// against item block (p + s) mod P and the item blocks then move one step
// round the ring (item_ring.hpp); inside a rank FPSGD, each sub-epoch's
// ratings in a G × G grid whose rounds of disjoint cells threads share
// (block_grid.hpp). No allreduce per step; every rating once per epoch.
//
// Determinism (docs/design.md §5): the cells of a round touch disjoint rows,
// so a round's result is that of its cells run one after the other, in any
// order; the rounds' order is a pure function of (seed, epoch, blocks). A
// layout (ranks, threads) thus gives the same model run to run, and a run
// resumed at an epoch boundary the model of the uninterrupted run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/gd/schedule.hpp"
#include "dmf/solvers/sgd/block_grid.hpp"
#include "dmf/solvers/sgd/item_ring.hpp"
#include "dmf/solvers/sgd/rating_step.hpp"
#include "dmf/solvers/solver.hpp"

namespace dmf::solvers::sgd {

struct SgdOptions {
  Regularization regularization;
  StepRule rule = StepRule::kAdagradRow;
  double learning_rate = 0.0;  // 0: default_learning_rate(rule)
  double eps = 1e-8;           // ε of both adagrads
  Schedule schedule;           // of the learning rate, t in epochs
  std::uint64_t seed = 1;      // of the visiting order
  int threads = 1;
  int cells = 0;  // G of the grid; 0: grid_cells(threads)
  /// A cell's rows (factors of its user and item ranges), in bytes, above
  /// which a cell prefetches the rows of the ratings ahead (0: always).
  /// MovieTweetings' cells (about 1 MB at k = 64, 1 rank) ran an epoch in
  /// 0.84-0.93 of the CPU time with prefetches; ml1m-shaped ones (0.3 MB,
  /// found in cache) took 1.0-1.07 with them.
  std::size_t prefetch_above = std::size_t{512} << 10;
  /// The item blocks go round in a shared-memory window when every rank runs
  /// on one node (ItemRing; the same bits as messages). Tests turn it off.
  bool shared_memory = true;
};

/// The learning rate used when none is given (tuned on MovieLens-shaped
/// data, docs/design.md §4).
[[nodiscard]] double default_learning_rate(StepRule rule) noexcept;
/// G of the grid for `threads` threads: 8 up to 4 threads, then 2 per thread.
[[nodiscard]] int grid_cells(int threads) noexcept;

class SgdSolver final : public Solver {
 public:
  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side and is kept up to date after each epoch.
  SgdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
            SgdOptions options);
  ~SgdSolver() override;

  [[nodiscard]] std::string_view name() const override { return "sgd"; }
  std::optional<Objective> run_epoch(const BetweenSteps& between_steps) override;
  [[nodiscard]] Objective objective() override;
  [[nodiscard]] Traffic traffic_per_epoch() const override { return Traffic{bytes_last_epoch_}; }
  [[nodiscard]] nlohmann::json report() const override;
  [[nodiscard]] std::unique_ptr<SolverState> snapshot() const override;
  void restore(const SolverState& state) override;
  [[nodiscard]] std::unique_ptr<SolverState> load_state(const StateSource& source) const override;
  [[nodiscard]] nlohmann::json settings_state() const override;
  void restore_settings(const nlohmann::json& saved) override;
  bool reduce_learning_rate(double factor) override;
  [[nodiscard]] std::optional<double> learning_rate() const override { return rate(); }
  [[nodiscard]] double relative_change(const SolverState& before) override;

  /// The grid of this rank's ratings.
  [[nodiscard]] const BlockGrid& grid() const noexcept { return grid_; }

 private:
  struct State;
  [[nodiscard]] double rate() const;
  /// Sub-epoch `s`: this rank's users against the held item block.
  void sub_epoch(int s, const StepSettings& settings);
  /// This rank's Σ (r − r̂)², its ratings' residuals taken block by block:
  /// the blocks whose residuals the epoch already took, then the others.
  [[nodiscard]] double local_squared_error();
  /// The objective of the model now, from the residuals the epoch took and
  /// the others.
  [[nodiscard]] Objective objective_with_known_errors();
  /// Takes this rank's residuals of the ratings of `block` (its final rows),
  /// and its item penalty when it is penalty_block().
  void add_block_errors(const ItemBlock& block);
  /// The item block whose penalty this rank sums: the one before its own,
  /// which it updates last in an epoch (docs/design.md §4, sgd).
  [[nodiscard]] int penalty_block() const noexcept;
  void forget_errors();
  void export_items();

  dist::Comm comm_;
  const data::RatingsData& data_;
  model::Model& model_;
  SgdOptions options_;
  double base_rate_ = 0.0;
  double backoff_ = 1.0;
  std::uint64_t ratings_ = 0;  // |Ω|
  std::uint64_t epochs_done_ = 0;
  int slots_ = 0;
  int state_width_ = 0;  // adagrad sums per factor row (factor_state_width)

  BlockGrid grid_;
  ItemRing ring_;
  ItemBlock held_;                        // at epoch boundaries: this rank's own items
  std::vector<float> user_factor_state_;  // local users × state_width_, or empty
  std::vector<float> user_bias_state_;
  std::vector<float> user_c_;                // per local user: λ_u w_u / n_u
  std::vector<float> item_c_;                // per item (global row): λ_i w_i / n_i
  std::vector<std::uint64_t> item_degrees_;  // per item (global row): its ratings
  // Per item block, its cells' Σ (r − r̂)² of this rank's ratings, and
  // whether they are of the model now (the objective's sums).
  std::vector<std::vector<double>> cell_errors_;
  std::vector<char> has_errors_;
  double item_penalty_ = 0.0;  // of penalty_block(), taken with its residuals
  std::uint64_t bytes_last_epoch_ = 0;
  std::uint64_t objective_bytes_ = 0;  // sent by objective() so far
};

}  // namespace dmf::solvers::sgd
