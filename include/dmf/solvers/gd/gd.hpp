// Synchronous mini-batch gradient descent (docs/design.md §4). Ratings stay
// where they were loaded, by user block. Each rank keeps its users' rows and
// their optimizer state; item rows and their state are replicated. A step:
//   1. every rank takes its share of the global batch from its own ratings;
//   2. computes each rating's residual with the current rows;
//   3. sums, per touched item, its ratings' gradient terms;
//   4. updates its touched users locally;
//   5. sums the item terms over ranks (dist::RowAllreduce, dense or sparse);
//   6. applies the same item update on every rank.
// A step is one OpenMP parallel region (steps 2-4 fused into two passes:
// per user in the step, its residuals, its terms and its update; per item,
// its terms from the residuals and a copy of the users' rows as they were
// before the update), and the epoch's batches are planned once when it
// starts (epoch_plan.hpp).
// Each row's gradient is the gradient of the objective L divided by the
// row's number of ratings in the step (over all ranks): a per-row diagonal
// scaling that lets one learning rate fit rows of any degree and any batch
// size; at full batch a row moves along −∇L / n_row.
//
// Every sum runs in a fixed order (per row, in rating order; over ranks in
// rank order or by MPI_Allreduce), so the result does not depend on the
// thread count, and a layout (ranks, batch size, seed) gives the same model
// run to run.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/row_allreduce.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/gd/epoch_plan.hpp"
#include "dmf/solvers/gd/optimizer.hpp"
#include "dmf/solvers/gd/schedule.hpp"
#include "dmf/solvers/gd/user_pass.hpp"
#include "dmf/solvers/solver.hpp"

namespace dmf::solvers {

struct GdOptions {
  Regularization regularization;
  OptimizerOptions optimizer;
  double learning_rate = 0.0;  // 0: default_learning_rate(optimizer.kind)
  Schedule schedule;
  std::uint64_t batch_size = 0;  // global ratings per step; 0 or ≥ |Ω|: full batch
  dist::SparseMode sparse = dist::SparseMode::kAuto;
  std::uint64_t seed = 1;  // of the sampling order
  int threads = 1;
  /// Work (ratings × (k + 1)) a step must have per thread to run on more
  /// than one: about a millisecond. A step synchronizes its threads four
  /// times, and on a machine with more threads than cores a barrier can wait
  /// a whole time slice for a thread that is not running: at batch 10^4 and
  /// k = 10, two threads made an epoch 25 times slower than one on a shared
  /// 2-core machine. The thread count does not change the result (§5); tests
  /// set 1 to run every step on every thread. The train RMSE's pass over
  /// the ratings follows the same rule.
  std::uint64_t work_per_thread = std::uint64_t{1} << 20;
};

/// One side's parameters with their optimizer state: factors (rows × k) and
/// biases (rows), each with as many state arrays as the optimizer keeps, and
/// per row the number of steps it has taken.
struct RowParams {
  model::FactorBlock rows;
  std::vector<float> factor_state[2];
  std::vector<float> bias_state[2];
  std::vector<std::uint32_t> steps;

  RowParams() = default;
  RowParams(model::FactorBlock block, int slots);
};

class GdSolver final : public Solver {
 public:
  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side and is kept up to date after each epoch.
  GdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
           GdOptions options);
  ~GdSolver() override;

  [[nodiscard]] std::string_view name() const override { return "gd"; }
  std::optional<Objective> run_epoch(const BetweenSteps& between_steps) override;
  [[nodiscard]] Objective objective() override;
  [[nodiscard]] Traffic traffic_per_epoch() const override;
  [[nodiscard]] std::unique_ptr<SolverState> snapshot() const override;
  void restore(const SolverState& state) override;
  [[nodiscard]] std::unique_ptr<SolverState> load_state(const StateSource& source) const override;
  [[nodiscard]] nlohmann::json settings_state() const override;
  void restore_settings(const nlohmann::json& saved) override;
  bool reduce_learning_rate(double factor) override;
  [[nodiscard]] double relative_change(const SolverState& before) override;
  [[nodiscard]] std::optional<double> gradient_norm() override;
  /// The optimizer, learning rate, schedule and batch, the steps per epoch
  /// and the allreduce counters.
  [[nodiscard]] nlohmann::json report() const override;
  [[nodiscard]] std::uint64_t progress_steps() const override { return steps_per_epoch_; }

  /// Steps per epoch (the same on every rank).
  [[nodiscard]] std::uint64_t steps_per_epoch() const noexcept { return steps_per_epoch_; }
  [[nodiscard]] std::optional<double> learning_rate() const override;
  /// The item-sum communication so far.
  [[nodiscard]] const dist::RowAllreduceStats& allreduce_stats() const noexcept {
    return item_sums_.stats();
  }

 private:
  struct State;
  /// A state with this rank's layout and nothing in it yet.
  [[nodiscard]] std::unique_ptr<State> empty_state() const;
  /// The learning rate of the next step: the schedule's, times the backoff.
  [[nodiscard]] double rate() const;
  /// The residual r − r̂ of every rating at `positions` (CSR positions) into
  /// `out` (indexed by CSR position).
  void residuals(std::span<const std::uint64_t> positions, std::vector<float>& out) const;
  /// The threads a pass over `ratings` ratings runs on: options_.threads,
  /// fewer when a thread would get less than work_per_thread.
  [[nodiscard]] int threads_for(std::uint64_t ratings) const;
  /// Step `s` of the planned epoch.
  void step(std::uint64_t s);
  /// Group `g` of step `s`'s users: its ratings' residuals (into residual_,
  /// by place in the step), its gradient terms and its update; the row as it
  /// was into user_copy_.
  void update_user_group(std::uint64_t s, std::uint32_t g, double lr, std::span<double> scratch);
  /// Group `h` of step `s`'s items: the item's terms into item_rows_ /
  /// item_values_ from residual_ and user_copy_.
  void sum_item_group(std::uint64_t s, std::uint32_t h);
  void update_item(std::uint32_t i, double lr, std::span<double> scratch);
  /// Step `s` on the calling thread in one pass over its ratings by user:
  /// each rating's residual, its user's and its item's terms, each user's
  /// update after its ratings; then the item sums and updates. The same bits
  /// as the parallel step at any thread count.
  void step_on_one_thread(std::uint64_t s, double lr);
  /// The terms of every item in `by_item` (CSR positions by (item,
  /// position)) into item_rows_ / item_values_, from `residual` (by CSR
  /// position) and the current user rows.
  void sum_item_terms(std::span<const std::uint64_t> by_item, std::span<const float> residual);
  /// One optimizer step on `row` of `params` (factors, and the bias when
  /// the side has one).
  void apply(RowParams& params, std::uint32_t row, std::span<const double> grad, bool with_bias,
             double grad_bias, double lr) const;
  /// The optimizer's factors of every step count up to steps_done_ + 1 (no
  /// row takes more steps than the solver).
  void extend_scales();
  /// Plans the batches of `epoch` (epoch_plan.hpp), once per epoch; full
  /// batch: once.
  void plan(std::uint64_t epoch);
  void export_items();
  [[nodiscard]] Objective combine(double local_squared_error) const;
  /// Σ e² over this rank's ratings with the current rows (at full batch on
  /// one thread by full_batch_pass).
  [[nodiscard]] double local_squared_error();
  /// Σ per_user_error_ in row order.
  [[nodiscard]] double total_squared_error() const;
  /// At full batch, one pass by user over every rating (user_pass.hpp):
  /// per_user_error_, each user's sums into user_sums_ and the items' into
  /// item_rows_ / item_values_, with the current rows, which a full-batch
  /// step then applies without reading the ratings again (sums_current_
  /// until a step, restore or gradient_norm()). Returns Σ e².
  double full_batch_pass();
  /// pass_groups_: the users with ratings in groups for users_pass.
  void group_users();
  /// A full-batch step on the calling thread: the sums of the last
  /// full_batch_pass (made now if the rows have moved since), each user's
  /// update, the item sums over ranks, the items' updates. The bits of
  /// step()'s parallel region.
  void step_full_batch_on_one_thread(double lr);

  dist::Comm comm_;
  const data::RatingsData& data_;
  model::Model& model_;
  GdOptions options_;
  Optimizer optimizer_;
  double base_rate_ = 0.0;
  double backoff_ = 1.0;       // product of reduce_learning_rate factors
  std::uint64_t ratings_ = 0;  // |Ω|
  std::uint64_t steps_per_epoch_ = 1;
  std::uint64_t epochs_done_ = 0;
  std::uint64_t steps_done_ = 0;

  RowParams users_;                     // this rank's users
  RowParams items_;                     // every item, replicated
  std::vector<double> user_reg_;        // per local user: 2 λ_u w_u / n_u
  std::vector<double> item_reg_;        // per item: 2 λ_i w_i / n_i (global n_i)
  std::vector<std::uint32_t> user_of_;  // per local rating (CSR position): its local user row

  EpochPlan plan_;
  std::uint64_t planned_epoch_ = ~std::uint64_t{0};
  std::vector<std::uint64_t> all_entries_;  // 0..nnz-1 and by (item, position),
  std::vector<std::uint64_t> by_column_;    // for gradient_norm()'s full batch
  std::vector<StepScale> scales_;           // per row step count t (optimizer.hpp)

  // The current step's work arrays, indexed by place in the step's by_user
  // slice (residual_, user_group_of_) or by user group (user_copy_).
  std::vector<float> residual_;
  std::vector<std::uint32_t> user_group_of_;
  std::vector<float> user_copy_;              // user groups × k: the rows before the step
  std::vector<std::vector<double>> scratch_;  // per thread, 2 k + 2
  std::vector<std::uint32_t> item_rows_;
  ItemTable item_table_;  // the item rows as full_batch_pass reads them
  UserPassScratch pass_scratch_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pass_groups_;  // first user, users
  std::vector<double> user_sums_;         // per local user, k + 2: full_batch_pass's sums
  AlignedDoubles padded_item_sums_;       // per item of the step, ItemTable::width
  bool sums_current_ = false;             // while no step or restore has moved the rows
  std::vector<double> per_user_error_;    // per local user: Σ e² of its ratings
  std::vector<std::uint32_t> item_slot_;  // per item: its place in item_rows_ (one-thread step)
  std::vector<double> item_values_;       // item_rows_ × (k + 2): Σ −2e p_u, Σ −2e, count
  dist::RowAllreduce item_sums_;
  std::uint64_t bytes_last_epoch_ = 0;
  std::uint64_t epoch_start_bytes_ = 0;
};

}  // namespace dmf::solvers
