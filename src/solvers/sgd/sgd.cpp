#include "dmf/solvers/sgd/sgd.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "dmf/core/enum_names.hpp"
#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/prefetch.hpp"
#include "dmf/model/model_change.hpp"
#include "dmf/solvers/exact_solver.hpp"

namespace dmf::solvers::sgd {
namespace {

/// c = λ w / n of a row with n ratings (0 for a row without any): the
/// row's penalty spread over its ratings (rating_step.hpp).
float spread_penalty(const Regularization& reg, double lambda, std::uint64_t n) {
  return n == 0 ? 0.0F : static_cast<float>(lambda * reg.weight(n) / static_cast<double>(n));
}

/// The first global item row of every rank, then the total.
std::vector<std::uint32_t> item_block_starts(const dist::Comm& comm, const model::Model& model) {
  auto starts = comm.allgather<std::uint32_t>(model.items.first_row);
  starts.push_back(model.items.total_rows);
  return starts;
}

/// Ratings ahead of the step whose two factor rows a cell prefetches.
constexpr std::size_t kSgdPrefetchAhead = 8;

}  // namespace

double default_learning_rate(StepRule rule) noexcept {
  // Tuned on `dmf generate` MovieLens-1M-shaped data and MovieTweetings at
  // k = 64 and 256 against LIBMF (docs/design.md §4, sgd): with the sums
  // from kInitialSum, adagrad-row at 0.07 reaches LIBMF's best held-out RMSE
  // in 2-6 epochs at both k (0.1 was as fast at k = 64 but never reached it
  // at k = 256); plain steps at 0.03 stay within 1.5% of ALS's best.
  switch (rule) {
    case StepRule::kAdagrad:
      return 0.07;
    case StepRule::kAdagradRow:
      return 0.07;
    case StepRule::kSgd:
      return 0.03;
  }
  return 0.03;
}

int grid_cells(int threads) noexcept {
  // 8 cells a side up to 4 threads, so that 1-4 threads give the same model
  // (docs/design.md §5); beyond, 2 per thread, so that a thread that finished
  // its cell of a round finds another.
  return std::max(8, 2 * threads);
}

namespace {

/// The width of a saved factor-sum array: k per row (a matrix), or 0 (one
/// per row, a vector).
std::uint64_t saved_width(StepRule rule, int k) {
  return rule == StepRule::kAdagrad ? static_cast<std::uint64_t>(k) : 0;
}

}  // namespace

/// The state at an epoch boundary: every row this rank owns, with its sums.
struct SgdSolver::State final : SolverState {
  model::FactorBlock users, items;
  std::vector<float> user_factor_state, user_bias_state, item_factor_state, item_bias_state;
  std::uint64_t epochs_done = 0;
  StepRule rule = StepRule::kAdagrad;

  [[nodiscard]] std::vector<StateArray> arrays() const override {
    std::vector<StateArray> out;
    add_factor_arrays(out, Side::kUser, users, 0, users.rows);
    add_factor_arrays(out, Side::kItem, items, 0, items.rows);
    if (state_slots(rule) > 0) {
      const std::uint64_t k = saved_width(rule, users.k);
      out.push_back({"user_factor_state0", Side::kUser, k, users.first_row,
                     std::span<const float>(user_factor_state)});
      out.push_back({"user_bias_state0", Side::kUser, 0, users.first_row,
                     std::span<const float>(user_bias_state)});
      out.push_back({"item_factor_state0", Side::kItem, k, items.first_row,
                     std::span<const float>(item_factor_state)});
      out.push_back({"item_bias_state0", Side::kItem, 0, items.first_row,
                     std::span<const float>(item_bias_state)});
    }
    return out;
  }
  [[nodiscard]] nlohmann::json counters() const override { return {{"epochs_done", epochs_done}}; }
};

SgdSolver::SgdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                     SgdOptions options)
    : comm_(comm),
      data_(data),
      model_(model),
      options_(options),
      ratings_(checked_ratings(comm, data, model, "sgd")),
      slots_(state_slots(options.rule)),
      state_width_(factor_state_width(options.rule, model.k)),
      ring_(comm, item_block_starts(comm, model), model.k, state_width_, options.shared_memory) {
  base_rate_ =
      options_.learning_rate > 0.0 ? options_.learning_rate : default_learning_rate(options_.rule);
  if (options_.cells <= 0) options_.cells = grid_cells(options_.threads);
  grid_ = BlockGrid(data.by_user, ring_.item_starts(), options_.cells);

  held_ = ring_.empty_block(comm.rank());
  std::ranges::copy(model.items.factors, held_.factors().begin());
  std::ranges::copy(model.items.bias, held_.bias().begin());
  if (slots_ > 0) {
    user_factor_state_.assign(
        static_cast<std::size_t>(model.users.rows) * static_cast<std::size_t>(state_width_),
        kInitialSum);
    user_bias_state_.assign(model.users.bias.size(), kInitialSum);
    std::ranges::fill(held_.factor_state(), kInitialSum);
    std::ranges::fill(held_.bias_state(), kInitialSum);
  }
  cell_errors_.assign(static_cast<std::size_t>(comm.size()),
                      std::vector<double>(static_cast<std::size_t>(grid_.cells()) *
                                          static_cast<std::size_t>(grid_.cells())));
  has_errors_.assign(static_cast<std::size_t>(comm.size()), 0);

  const auto& reg = options_.regularization;
  const data::SparseBlock& csr = data.by_user;
  user_c_.resize(csr.rows());
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    user_c_[u] = spread_penalty(reg, reg.lambda_user, csr.degree(u));
  }
  item_degrees_ = comm.allgatherv<std::uint64_t>(data.by_item.degrees());
  DMF_CHECK(item_degrees_.size() == model.items.total_rows, "sgd: {} item degrees for {} items",
            item_degrees_.size(), model.items.total_rows);
  item_c_.resize(item_degrees_.size());
  for (std::size_t i = 0; i < item_degrees_.size(); ++i) {
    item_c_[i] = spread_penalty(reg, reg.lambda_item, item_degrees_[i]);
  }
}

SgdSolver::~SgdSolver() = default;

double SgdSolver::rate() const {
  return options_.schedule.rate(base_rate_, static_cast<double>(epochs_done_)) * backoff_;
}

void SgdSolver::sub_epoch(int s, const StepSettings& settings) {
  const int block = held_.index;
  DMF_CHECK(block == item_block_of(comm_.rank(), s, comm_.size()),
            "sgd: rank {} holds item block {} in sub-epoch {}", comm_.rank(), block, s);
  const auto rounds = cell_rounds(grid_.cells(), options_.seed, epochs_done_, comm_.rank(), block);
  const int k = model_.k;
  const auto kk = static_cast<std::size_t>(k);
  const bool adagrad = slots_ > 0;
  const auto sw = static_cast<std::size_t>(state_width_);
  float* users = model_.users.factors.data();
  float* user_bias = model_.users.bias.data();
  float* items = held_.factors().data();
  float* item_bias = held_.bias().data();
  float* item_factor_state = held_.factor_state().data();
  float* item_bias_state = held_.bias_state().data();
  const float* item_c = item_c_.data() + held_.first_row;
  // The rows of a cell: its share of the rank's users and of the block's
  // items, whose factors are read scattered; prefetched when they spill
  // out of the nearer caches.
  const std::size_t cell_bytes = (static_cast<std::size_t>(model_.users.rows) + held_.rows) /
                                 static_cast<std::size_t>(grid_.cells()) * kk * sizeof(float);
  const bool prefetch = cell_bytes > options_.prefetch_above;
  const auto run_cell = [&](Cell cell) {
    const std::span<const GridRating> ratings = grid_.cell(block, cell);
    for (std::size_t n = 0; n < ratings.size(); ++n) {
      const GridRating& r = ratings[n];
      if (prefetch && n + kSgdPrefetchAhead < ratings.size()) {
        const GridRating& next = ratings[n + kSgdPrefetchAhead];
        dmf::prefetch_floats(users + next.user * kk, kk);
        dmf::prefetch_floats(items + next.item * kk, kk);
      }
      const std::size_t u = r.user;
      const std::size_t i = r.item;
      const StepRow user{users + u * kk, user_bias + u,
                         adagrad ? user_factor_state_.data() + u * sw : nullptr,
                         adagrad ? user_bias_state_.data() + u : nullptr, user_c_[u]};
      const StepRow item{items + i * kk, item_bias + i,
                         adagrad ? item_factor_state + i * sw : nullptr,
                         adagrad ? item_bias_state + i : nullptr, item_c[i]};
      rating_step(settings, r.value, user, item, k);
    }
  };
  const std::vector<CellStep> steps = cell_steps(rounds);
  if (options_.threads <= 1) {
    for (const CellStep& step : steps) run_cell(step.cell);
    return;
  }
  // Threads take the cells in round order and start one once the cells
  // before it on its user range and on its item range are done: no barrier
  // between rounds, where every thread would wait for the slowest (on a
  // loaded machine, for one descheduled). run_cell throws nothing.
  std::vector<std::atomic<bool>> done(steps.size());
  std::atomic<std::size_t> next{0};
  const auto wait_for = [&](int position) {
    if (position < 0) return;
    while (!done[static_cast<std::size_t>(position)].load(std::memory_order_acquire)) {
      std::this_thread::yield();
    }
  };
#pragma omp parallel num_threads(options_.threads)
  for (std::size_t n = next.fetch_add(1); n < steps.size(); n = next.fetch_add(1)) {
    wait_for(steps[n].after_user);
    wait_for(steps[n].after_item);
    run_cell(steps[n].cell);
    done[n].store(true, std::memory_order_release);
  }
}

// No safe point inside an epoch: between sub-epochs the item blocks are away
// from their owners, and a saved state lists each side's rows in rank order
// (docs/design.md §4, sgd; §6). Checkpoints are taken at epoch ends.
std::optional<Objective> SgdSolver::run_epoch(const BetweenSteps& /*between_steps*/) {
  StepSettings settings;
  settings.rule = options_.rule;
  settings.lr = static_cast<float>(rate());
  settings.eps = static_cast<float>(options_.eps);
  settings.mu = static_cast<float>(model_.mu);
  settings.user_bias = model::has_user_bias(model_.biases);
  settings.item_bias = model::has_item_bias(model_.biases);
  forget_errors();
  std::uint64_t bytes = 0;
  const int ranks = comm_.size();
  const bool shared = ring_.shares_memory();
  for (int s = 0; s < ranks; ++s) {
    sub_epoch(s, settings);
    // This rank's last sub-epoch was the block's last of the epoch, and the
    // users are done too: the objective's residuals of these ratings are
    // taken now, saving the objective a turn of the ring (docs/design.md
    // §4, sgd). As messages, before the block goes home; in the shared
    // window, after it is handed home, so that its owner need not wait for
    // the reading: no rank writes it again before the objective's allreduce.
    const bool last = s == ranks - 1;
    const int block = held_.index;
    if (last && !shared) add_block_errors(held_);
    bytes += ring_.shift(held_);
    if (last && shared) add_block_errors(ring_.block_in_window(block));
  }
  ++epochs_done_;
  export_items();
  const std::uint64_t before = objective_bytes_;
  const Objective after = objective_with_known_errors();
  bytes_last_epoch_ = bytes + objective_bytes_ - before;
  return after;
}

void SgdSolver::export_items() {
  DMF_CHECK(held_.index == comm_.rank(), "sgd: rank {} ends an epoch with item block {}",
            comm_.rank(), held_.index);
  std::ranges::copy(held_.factors(), model_.items.factors.begin());
  std::ranges::copy(held_.bias(), model_.items.bias.begin());
}

void SgdSolver::forget_errors() { std::ranges::fill(has_errors_, 0); }

int SgdSolver::penalty_block() const noexcept {
  return (comm_.rank() + comm_.size() - 1) % comm_.size();
}

void SgdSolver::add_block_errors(const ItemBlock& block) {
  // Cell by cell in grid order: a fixed order, the same sums for any
  // thread count.
  const int g = grid_.cells();
  const auto kk = static_cast<std::size_t>(model_.k);
  const auto mu = static_cast<float>(model_.mu);
  const std::span<const float> factors = block.factors();
  const std::span<const float> bias = block.bias();
  std::vector<double>& per_cell = cell_errors_[static_cast<std::size_t>(block.index)];
  parallel_for(options_.threads, static_cast<std::int64_t>(per_cell.size()), [&](std::int64_t c) {
    double sum = 0.0;
    const Cell cell{static_cast<int>(c / g), static_cast<int>(c % g)};
    for (const GridRating& r : grid_.cell(block.index, cell)) {
      const float e =
          r.value - (mu + model_.users.bias[r.user] + bias[r.item] +
                     dot(&model_.users.factors[r.user * kk], &factors[r.item * kk], model_.k));
      sum += static_cast<double>(e) * e;
    }
    per_cell[static_cast<std::size_t>(c)] = sum;
  });
  has_errors_[static_cast<std::size_t>(block.index)] = 1;
  // The block's item penalty is taken here, by the rank that updates it
  // last in an epoch, rather than from the model by its owner: with
  // ownership balanced by ratings, a rank can own most of the item rows
  // (MovieTweetings at 2 ranks: 11,496 of 12,013), and its owner also
  // copies them into the model and into the trainer's snapshot. Whenever
  // the block's residuals are taken, so is its penalty: the same bits.
  if (block.index == penalty_block()) {
    const auto rows =
        std::span<const std::uint64_t>(item_degrees_).subspan(block.first_row, block.rows);
    item_penalty_ =
        regularization_term(block.factors(), block.bias(), static_cast<std::size_t>(model_.k), rows,
                            options_.regularization.lambda_item, options_.regularization);
  }
}

double SgdSolver::local_squared_error() {
  const int ranks = comm_.size();
  const int rank = comm_.rank();
  const auto block_at = [&](int s) { return static_cast<std::size_t>((rank + s) % ranks); };
  if (has_errors_[block_at(0)] == 0) add_block_errors(held_);
  // The blocks still missing are read where they lie in the shared window,
  // or come round in a view of the home block, the factors and biases only;
  // it turns only as far as the last one missing (every rank alike: all of
  // them know the same blocks), and never home.
  int turns = 0;
  for (int s = 1; s < ranks; ++s) {
    if (has_errors_[block_at(s)] == 0) turns = s;
  }
  if (turns > 0 && ring_.shares_memory()) {
    // In the shared window every block is home and final once every rank
    // is here: read them where they lie, and let no rank write one again
    // (the next epoch) before all have read.
    ring_.fence();
    for (int s = 1; s <= turns; ++s) {
      if (has_errors_[block_at(s)] == 0)
        add_block_errors(ring_.block_in_window(static_cast<int>(block_at(s))));
    }
    ring_.fence();
  } else if (turns > 0) {
    ItemBlock view = ring_.empty_block(rank, /*with_state=*/false);
    std::ranges::copy(held_.factors(), view.factors().begin());
    std::ranges::copy(held_.bias(), view.bias().begin());
    for (int s = 1; s <= turns; ++s) {
      objective_bytes_ += ring_.shift(view);
      if (has_errors_[block_at(s)] == 0) add_block_errors(view);
    }
  }
  // The sum in the order the blocks come round from home, cells in grid
  // order: whenever a block's residuals were taken, the same total.
  double total = 0.0;
  for (int s = 0; s < ranks; ++s) {
    for (const double sum : cell_errors_[block_at(s)]) total += sum;
  }
  return total;
}

Objective SgdSolver::objective_with_known_errors() {
  // local_squared_error takes penalty_block()'s item penalty too.
  const double squared_error = local_squared_error();
  const Regularization& reg = options_.regularization;
  const Objective out = total_objective(
      comm_, squared_error,
      regularization_term(model_.users, data_.by_user, reg.lambda_user, reg) + item_penalty_,
      ratings_);
  forget_errors();
  return out;
}

Objective SgdSolver::objective() {
  forget_errors();
  return objective_with_known_errors();
}

std::unique_ptr<SolverState> SgdSolver::snapshot() const {
  auto state = std::make_unique<State>();
  state->users = model_.users;
  state->items = model_.items;
  state->user_factor_state = user_factor_state_;
  state->user_bias_state = user_bias_state_;
  state->item_factor_state.assign(held_.factor_state().begin(), held_.factor_state().end());
  state->item_bias_state.assign(held_.bias_state().begin(), held_.bias_state().end());
  state->epochs_done = epochs_done_;
  state->rule = options_.rule;
  return state;
}

void SgdSolver::restore(const SolverState& saved) {
  const auto& s = dynamic_cast<const State&>(saved);
  model_.users = s.users;
  model_.items = s.items;
  user_factor_state_ = s.user_factor_state;
  user_bias_state_ = s.user_bias_state;
  held_ = ring_.empty_block(comm_.rank());
  std::ranges::copy(s.items.factors, held_.factors().begin());
  std::ranges::copy(s.items.bias, held_.bias().begin());
  if (slots_ > 0) {
    std::ranges::copy(s.item_factor_state, held_.factor_state().begin());
    std::ranges::copy(s.item_bias_state, held_.bias_state().begin());
  }
  epochs_done_ = s.epochs_done;
}

std::unique_ptr<SolverState> SgdSolver::load_state(const StateSource& source) const {
  auto state = std::make_unique<State>();
  const int k = model_.k;
  const model::FactorBlock& users = model_.users;
  const model::FactorBlock& items = model_.items;
  state->users =
      load_factor_block(source, Side::kUser, k, users.first_row, users.rows, users.total_rows);
  state->items =
      load_factor_block(source, Side::kItem, k, items.first_row, items.rows, items.total_rows);
  state->rule = options_.rule;
  if (slots_ > 0) {
    const std::uint64_t width = saved_width(options_.rule, k);
    state->user_factor_state =
        source.floats("user_factor_state0", Side::kUser, width, users.first_row, users.rows);
    state->user_bias_state =
        source.floats("user_bias_state0", Side::kUser, 0, users.first_row, users.rows);
    state->item_factor_state =
        source.floats("item_factor_state0", Side::kItem, width, items.first_row, items.rows);
    state->item_bias_state =
        source.floats("item_bias_state0", Side::kItem, 0, items.first_row, items.rows);
  }
  state->epochs_done = source.counters().at("epochs_done").get<std::uint64_t>();
  return state;
}

nlohmann::json SgdSolver::report() const {
  return {{"optimizer", to_string(options_.rule)},
          {"learning_rate", base_rate_},
          {"schedule", to_string(options_.schedule.kind)},
          {"grid_cells", grid_.cells()},
          {"item_blocks", grid_.blocks()},
          // How the blocks go round: where a run's time goes, at a glance.
          {"item_ring", ring_.shares_memory() ? "shared-memory" : "messages"}};
}

nlohmann::json SgdSolver::settings_state() const { return {{"backoff", backoff_}}; }

void SgdSolver::restore_settings(const nlohmann::json& saved) {
  backoff_ = saved.at("backoff").get<double>();
}

bool SgdSolver::reduce_learning_rate(double factor) {
  backoff_ *= factor;
  return true;
}

double SgdSolver::relative_change(const SolverState& before) {
  const auto& s = dynamic_cast<const State&>(before);
  model::SquaredChange change = model::squared_change(model_.users, s.users);
  change += model::squared_change(model_.items, s.items);
  return model::relative_change(comm_, change);
}

}  // namespace dmf::solvers::sgd
