#include "dmf/solvers/gd/gd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>

#include <omp.h>

#include "dmf/core/parallel.hpp"
#include "dmf/core/rng.hpp"
#include "dmf/model/model_change.hpp"
#include "dmf/solvers/exact_solver.hpp"
#include "dmf/solvers/gd/user_pass.hpp"
#include "dmf/solvers/gradient_terms.hpp"

namespace dmf::solvers {
namespace {

/// Rows handed to a thread at a time.
constexpr std::int64_t kGrain = 64;

/// The first exception thrown by any piece of work inside a parallel region,
/// kept to be rethrown after it (every thread still reaches every barrier).
class FirstFailure {
 public:
  template <class Work>
  void run(Work&& work) noexcept {
    try {
      work();
    } catch (...) {
      std::call_once(captured_, [&] { failure_ = std::current_exception(); });
    }
  }
  void rethrow() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::exception_ptr failure_;
  std::once_flag captured_;
};

/// Where each run of equal keys starts in `positions`, plus the end.
template <class Key>
std::vector<std::size_t> group_starts(std::span<const std::uint64_t> positions, Key key) {
  std::vector<std::size_t> starts;
  for (std::size_t j = 0; j < positions.size(); ++j) {
    if (j == 0 || key(positions[j]) != key(positions[j - 1])) starts.push_back(j);
  }
  starts.push_back(positions.size());
  return starts;
}

/// 2 λ w / n of a row with n ratings (0 for a row without any).
double reg_coefficient(const Regularization& reg, double lambda, std::uint64_t n) {
  return n == 0 ? 0.0 : 2.0 * lambda * reg.weight(n) / static_cast<double>(n);
}

/// The arrays of rows [local_first, local_first + count) of `params`: the
/// factors and biases, then `slots` optimizer state arrays of each, then the
/// rows' step counts.
void add_row_params(std::vector<StateArray>& out, Side side, const RowParams& params,
                    std::uint32_t local_first, std::uint32_t count, int slots) {
  add_factor_arrays(out, side, params.rows, local_first, count);
  const std::size_t k = params.rows.width();
  const std::uint32_t first = params.rows.first_row + local_first;
  const std::string_view name = side_name(side);
  for (int slot = 0; slot < slots; ++slot) {
    out.push_back(
        {fmt::format("{}_factor_state{}", name, slot), side, k, first,
         std::span<const float>(params.factor_state[slot]).subspan(local_first * k, count * k)});
    out.push_back({fmt::format("{}_bias_state{}", name, slot), side, 0, first,
                   std::span<const float>(params.bias_state[slot]).subspan(local_first, count)});
  }
  out.push_back({fmt::format("{}_steps", name), side, 0, first,
                 std::span<const std::uint32_t>(params.steps).subspan(local_first, count)});
}

/// Global rows [first, first + count) of what add_row_params saved.
RowParams load_row_params(const StateSource& source, Side side, int k, std::uint32_t first,
                          std::uint32_t count, std::uint32_t total, int slots) {
  RowParams params(load_factor_block(source, side, k, first, count, total), slots);
  const std::string_view name = side_name(side);
  const auto width = static_cast<std::uint64_t>(k);
  for (int slot = 0; slot < slots; ++slot) {
    params.factor_state[slot] =
        source.floats(fmt::format("{}_factor_state{}", name, slot), side, width, first, count);
    params.bias_state[slot] =
        source.floats(fmt::format("{}_bias_state{}", name, slot), side, 0, first, count);
  }
  params.steps = source.uint32s(fmt::format("{}_steps", name), side, 0, first, count);
  return params;
}

/// Adds the terms of one user's ratings (docs/design.md §2) from their
/// residuals `e`, in rating order: Σ −2e q_i, Σ −2e, n into `user_acc`, and
/// −2e p, −2e, 1 into the row of `item_acc` (k + 2 wide) at `slot[i]` of
/// each item i, with `p` the user's row before its update; the bits of
/// add_rating_terms. K is k when it is known at compile time (the user's sums
/// then stay in registers), else 0.
template <std::size_t K>
void add_user_group_terms(std::span<const float> e, std::span<const std::uint32_t> items,
                          const float* item_rows, std::span<const float> p,
                          const std::uint32_t* slot, double* item_acc,
                          std::span<double> user_acc) noexcept {
  const std::size_t k = K == 0 ? p.size() : K;
  const std::size_t width = k + 2;
  std::array<double, K + 2> local{};
  double* acc = K == 0 ? user_acc.data() : local.data();
  if constexpr (K == 0) std::fill(user_acc.begin(), user_acc.end(), 0.0);
  for (std::size_t j = 0; j < e.size(); ++j) {
    const float* q = item_rows + std::size_t{items[j]} * k;
    double* item = item_acc + std::size_t{slot[items[j]]} * width;
    const double m = -2.0 * static_cast<double>(e[j]);
    for (std::size_t f = 0; f < k; ++f) {
      acc[f] += m * static_cast<double>(q[f]);
      item[f] += m * static_cast<double>(p[f]);
    }
    acc[k] += m;
    acc[k + 1] += 1.0;
    item[k] += m;
    item[k + 1] += 1.0;
  }
  if constexpr (K != 0) std::copy(local.begin(), local.end(), user_acc.begin());
}

}  // namespace

struct GdSolver::State final : SolverState {
  RowParams users;
  RowParams items;                    // every item
  std::uint32_t own_items_first = 0;  // the items this rank saves
  std::uint32_t own_items = 0;
  int slots = 0;
  std::uint64_t epochs_done = 0;
  std::uint64_t steps_done = 0;

  [[nodiscard]] std::vector<StateArray> arrays() const override {
    std::vector<StateArray> out;
    add_row_params(out, Side::kUser, users, 0, users.rows.rows, slots);
    add_row_params(out, Side::kItem, items, own_items_first, own_items, slots);
    return out;
  }
  [[nodiscard]] nlohmann::json counters() const override {
    return {{"epochs_done", epochs_done}, {"steps_done", steps_done}};
  }
};

RowParams::RowParams(model::FactorBlock block, int slots) : rows(std::move(block)) {
  for (int s = 0; s < slots; ++s) {
    factor_state[s].assign(rows.factors.size(), 0.0F);
    bias_state[s].assign(rows.bias.size(), 0.0F);
  }
  steps.assign(rows.rows, 0);
}

GdSolver::GdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                   GdOptions options)
    : comm_(comm), data_(data), model_(model), options_(options), optimizer_(options.optimizer) {
  base_rate_ = options_.learning_rate > 0.0 ? options_.learning_rate
                                            : default_learning_rate(options_.optimizer.kind);
  const data::SparseBlock& csr = data.by_user;
  ratings_ = checked_ratings(comm, data, model, "gd");
  const std::uint64_t batch = options_.batch_size;
  steps_per_epoch_ = batch == 0 || batch >= ratings_ ? 1 : (ratings_ + batch - 1) / batch;

  const int slots = optimizer_.slots();
  users_ = RowParams(model.users, slots);
  // Every item row on every rank, gathered from the owners' blocks in rank
  // (= row) order.
  const model::FactorBlock& own = model.items;
  model::FactorBlock all(0, own.total_rows, own.total_rows, model.k);
  all.factors = comm.allgatherv<float>(own.factors);
  all.bias = comm.allgatherv<float>(own.bias);
  items_ = RowParams(std::move(all), slots);

  const auto& reg = options_.regularization;
  user_reg_.resize(csr.rows());
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    user_reg_[u] = reg_coefficient(reg, reg.lambda_user, csr.degree(u));
  }
  const auto degrees = comm.allgatherv<std::uint64_t>(data.by_item.degrees());
  item_reg_.resize(degrees.size());
  for (std::size_t i = 0; i < degrees.size(); ++i) {
    item_reg_[i] = reg_coefficient(reg, reg.lambda_item, degrees[i]);
  }

  user_of_ = csr.row_of_entries();
  // full_batch_pass reads each user's items as strictly ascending
  // (user_pass.hpp), as every block keeps them (data/sparse_block.hpp); an
  // error on every rank if one is not.
  std::optional<std::string> unordered;
  for (std::uint64_t pos = 1; pos < csr.nnz() && !unordered; ++pos) {
    if (user_of_[pos] == user_of_[pos - 1] && csr.columns[pos - 1] >= csr.columns[pos]) {
      unordered = fmt::format(
          "gd: internal error: the ratings of user row {} on rank {} are not in ascending item "
          "order",
          csr.first_row + user_of_[pos], comm.rank());
    }
  }
  comm.raise_if_any(unordered);
  item_slot_.assign(own.total_rows, 0);
  scratch_.assign(static_cast<std::size_t>(std::max(1, options_.threads)),
                  std::vector<double>(2 * static_cast<std::size_t>(model.k) + 2));
  item_sums_ =
      dist::RowAllreduce(own.total_rows, static_cast<std::size_t>(model.k) + 2, options_.sparse);
}

GdSolver::~GdSolver() = default;

std::optional<double> GdSolver::learning_rate() const { return rate(); }

double GdSolver::rate() const {
  const double t = static_cast<double>(steps_done_) / static_cast<double>(steps_per_epoch_);
  return options_.schedule.rate(base_rate_, t) * backoff_;
}

void GdSolver::plan(std::uint64_t epoch) {
  // Full batch: one step over every rating, the same every epoch.
  if (steps_per_epoch_ == 1 && planned_epoch_ != ~std::uint64_t{0}) return;
  const data::SparseBlock& csr = data_.by_user;
  const auto step_of = deal_to_steps(csr.nnz(), steps_per_epoch_, options_.seed, epoch,
                                     static_cast<std::uint64_t>(comm_.rank()));
  plan_ = plan_epoch(step_of, steps_per_epoch_, user_of_, csr.columns, csr.values,
                     model_.items.total_rows, options_.threads);
  planned_epoch_ = epoch;
}

void GdSolver::residuals(std::span<const std::uint64_t> positions, std::vector<float>& out) const {
  const data::SparseBlock& csr = data_.by_user;
  const auto mu = static_cast<float>(model_.mu);
  out.resize(csr.nnz());
  parallel_for(options_.threads, static_cast<std::int64_t>(positions.size()), [&](std::int64_t j) {
    const std::uint64_t pos = positions[static_cast<std::size_t>(j)];
    const std::uint32_t u = user_of_[pos];
    const std::uint32_t i = csr.columns[pos];
    out[pos] = residual_fused(csr.values[pos], mu, users_.rows.bias[u], items_.rows.bias[i],
                              users_.rows.row(u), items_.rows.row(i));
  });
}

void GdSolver::sum_item_terms(std::span<const std::uint64_t> by_item,
                              std::span<const float> residual) {
  const auto& columns = data_.by_user.columns;
  const auto starts = group_starts(by_item, [&](std::uint64_t pos) { return columns[pos]; });
  const std::size_t groups = starts.size() - 1;
  const std::size_t width = static_cast<std::size_t>(model_.k) + 2;
  item_rows_.resize(groups);
  item_values_.assign(groups * width, 0.0);
  parallel_for_dynamic(options_.threads, static_cast<std::int64_t>(groups), kGrain,
                       [&](std::int64_t g, int /*worker*/) {
                         const auto gi = static_cast<std::size_t>(g);
                         item_rows_[gi] = columns[by_item[starts[gi]]];
                         const std::span<double> acc(item_values_.data() + gi * width, width);
                         for (std::size_t j = starts[gi]; j < starts[gi + 1]; ++j) {
                           const std::uint64_t pos = by_item[j];
                           add_rating_terms<float>(acc, residual[pos],
                                                   users_.rows.row(user_of_[pos]));
                         }
                       });
}

void GdSolver::update_user_group(std::uint64_t s, std::uint32_t g, double lr,
                                 std::span<double> scratch) {
  const auto k = static_cast<std::size_t>(model_.k);
  const auto mu = static_cast<float>(model_.mu);
  const std::uint64_t first = plan_.step_begin[s];
  const auto groups = plan_.step_user_groups(s);
  const std::span<double> acc = scratch.first(k + 2);
  const std::span<double> grad = scratch.subspan(k + 2, k);
  std::fill(acc.begin(), acc.end(), 0.0);
  const std::uint32_t u = plan_.users[first + groups[g]];
  const std::span<const float> p = users_.rows.row(u);
  const float bias = users_.rows.bias[u];
  // The residuals with the rows before the step, each rating's terms added
  // in position order (docs/design.md §5).
  for (std::uint32_t j = groups[g]; j < groups[g + 1]; ++j) {
    const std::uint32_t i = plan_.items[first + j];
    const std::span<const float> q = items_.rows.row(i);
    const float e = residual_fused(plan_.values[first + j], mu, bias, items_.rows.bias[i], p, q);
    residual_[j] = e;
    user_group_of_[j] = g;
    add_rating_terms<float>(acc, e, q);
  }
  std::copy(p.begin(), p.end(), user_copy_.begin() + static_cast<std::ptrdiff_t>(g * k));
  double grad_bias = 0.0;
  row_gradient<float>(acc, user_reg_[u], p, bias, grad, grad_bias);
  apply(users_, u, grad, model::has_user_bias(model_.biases), grad_bias, lr);
}

void GdSolver::sum_item_group(std::uint64_t s, std::uint32_t h) {
  const auto k = static_cast<std::size_t>(model_.k);
  const std::size_t width = k + 2;
  const std::uint64_t first = plan_.step_begin[s];
  const auto groups = plan_.step_item_groups(s);
  const std::span<const std::uint32_t> by_item = plan_.slice(plan_.by_item, s);
  item_rows_[h] = plan_.items[first + by_item[groups[h]]];
  const std::span<double> acc(item_values_.data() + std::size_t{h} * width, width);
  std::fill(acc.begin(), acc.end(), 0.0);
  for (std::uint32_t jj = groups[h]; jj < groups[h + 1]; ++jj) {
    const std::uint32_t j = by_item[jj];
    const std::span<const float> p(user_copy_.data() + std::size_t{user_group_of_[j]} * k, k);
    add_rating_terms<float>(acc, residual_[j], p);
  }
}

void GdSolver::update_item(std::uint32_t i, double lr, std::span<double> scratch) {
  const std::span<double> grad = scratch.first(static_cast<std::size_t>(model_.k));
  double grad_bias = 0.0;
  row_gradient<float>(item_sums_.row(i), item_reg_[i], items_.rows.row(i), items_.rows.bias[i],
                      grad, grad_bias);
  apply(items_, i, grad, model::has_item_bias(model_.biases), grad_bias, lr);
}

void GdSolver::extend_scales() {
  while (scales_.size() < steps_done_ + 2) scales_.push_back(optimizer_.scale(scales_.size()));
}

void GdSolver::apply(RowParams& params, std::uint32_t row, std::span<const double> grad,
                     bool with_bias, double grad_bias, double lr) const {
  const std::uint64_t t = ++params.steps[row];
  const StepScale& scale = t < scales_.size() ? scales_[t] : optimizer_.scale(t);
  const auto k = static_cast<std::size_t>(model_.k);
  const auto state = [&](std::vector<float>& s, std::size_t offset, std::size_t n) {
    return s.empty() ? std::span<float>() : std::span(s).subspan(offset, n);
  };
  const std::size_t offset = static_cast<std::size_t>(row) * k;
  optimizer_.step<float, double>(params.rows.row(row), grad,
                                 state(params.factor_state[0], offset, k),
                                 state(params.factor_state[1], offset, k), lr, scale);
  if (with_bias) {
    optimizer_.step<float, double>(std::span(&params.rows.bias[row], 1), std::span(&grad_bias, 1),
                                   state(params.bias_state[0], row, 1),
                                   state(params.bias_state[1], row, 1), lr, scale);
  }
}

void GdSolver::step_on_one_thread(std::uint64_t s, double lr) {
  const auto k = static_cast<std::size_t>(model_.k);
  const std::size_t width = k + 2;
  const auto mu = static_cast<float>(model_.mu);
  const std::uint64_t first = plan_.step_begin[s];
  const auto user_groups = plan_.step_user_groups(s);
  const auto item_groups = plan_.step_item_groups(s);
  const std::span<const std::uint32_t> by_item = plan_.slice(plan_.by_item, s);
  const std::size_t items = item_groups.size() - 1;
  for (std::size_t h = 0; h < items; ++h) {
    const std::uint32_t i = plan_.items[first + by_item[item_groups[h]]];
    item_rows_[h] = i;
    item_slot_[i] = static_cast<std::uint32_t>(h);
  }
  std::fill(item_values_.begin(), item_values_.end(), 0.0);
  const std::span<double> scratch(scratch_[0]);
  const std::span<double> acc = scratch.first(width);
  const std::span<double> grad = scratch.subspan(width, k);
  const bool user_bias = model::has_user_bias(model_.biases);
  // Every rating's residual with the rows before the step. A user's
  // residuals depend only on its own row, which moves after its group's
  // terms are taken, so working them all out first gives the values of a
  // fused pass.
  for (std::size_t g = 0; g + 1 < user_groups.size(); ++g) {
    const std::uint32_t u = plan_.users[first + user_groups[g]];
    const std::span<const float> p = users_.rows.row(u);
    const float bias = users_.rows.bias[u];
    for (std::uint32_t j = user_groups[g]; j < user_groups[g + 1]; ++j) {
      const std::uint32_t i = plan_.items[first + j];
      residual_[j] = residual_fused(plan_.values[first + j], mu, bias, items_.rows.bias[i], p,
                                    items_.rows.row(i));
    }
  }
  const std::span<const float> residuals = residual_;
  // By user in position order, so each item's terms are added in position
  // order too: the bits of the two passes of step() (docs/design.md §5).
  // A user's row moves only after all its ratings' terms are taken.
  const auto pass = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    for (std::size_t g = 0; g + 1 < user_groups.size(); ++g) {
      const std::uint32_t u = plan_.users[first + user_groups[g]];
      const std::span<const float> p = users_.rows.row(u);
      const std::uint32_t begin = user_groups[g];
      const std::uint32_t end = user_groups[g + 1];
      add_user_group_terms<K>(residuals.subspan(begin, end - begin),
                              plan_.slice(plan_.items, s).subspan(begin, end - begin),
                              items_.rows.factors.data(), p, item_slot_.data(), item_values_.data(),
                              acc);
      double grad_bias = 0.0;
      row_gradient<float>(acc, user_reg_[u], p, users_.rows.bias[u], grad, grad_bias);
      apply(users_, u, grad, user_bias, grad_bias, lr);
    }
  };
  with_small_rank(k, pass);
  item_sums_.reduce(comm_, item_rows_, item_values_);
  for (const std::uint32_t i : item_sums_.touched()) update_item(i, lr, scratch);
}

int GdSolver::threads_for(std::uint64_t ratings) const {
  const auto k = static_cast<std::uint64_t>(model_.k);
  const auto useful = std::min<std::uint64_t>(
      std::max(1, options_.threads),
      1 + ratings * (k + 1) / std::max<std::uint64_t>(1, options_.work_per_thread));
  return std::max(1, static_cast<int>(useful));
}

void GdSolver::step(std::uint64_t s) {
  const double lr = rate();
  const std::size_t size = plan_.step_size(s);
  const auto users = static_cast<std::int64_t>(plan_.user_group_count[s]);
  const auto items = static_cast<std::int64_t>(plan_.item_group_count[s]);
  const auto k = static_cast<std::size_t>(model_.k);
  residual_.resize(size);
  user_group_of_.resize(size);
  user_copy_.resize(static_cast<std::size_t>(users) * k);
  item_rows_.resize(static_cast<std::size_t>(items));
  item_values_.resize(static_cast<std::size_t>(items) * (k + 2));
  extend_scales();
  const int threads = threads_for(size);
  if (threads == 1) {
    if (steps_per_epoch_ == 1) {
      step_full_batch_on_one_thread(lr);
    } else {
      step_on_one_thread(s, lr);
    }
    ++steps_done_;
    return;
  }
  // One parallel region: the users' pass, then the items' terms (which read
  // the residuals of every user group), the sum over ranks on the master
  // thread (MPI_THREAD_FUNNELED), then the items' updates.
  FirstFailure failure;
#pragma omp parallel num_threads(threads)
  {
    const std::span<double> scratch(scratch_[static_cast<std::size_t>(omp_get_thread_num())]);
#pragma omp for schedule(dynamic, kGrain)
    for (std::int64_t g = 0; g < users; ++g) {
      failure.run([&] { update_user_group(s, static_cast<std::uint32_t>(g), lr, scratch); });
    }
#pragma omp for schedule(dynamic, kGrain)
    for (std::int64_t h = 0; h < items; ++h) {
      failure.run([&] { sum_item_group(s, static_cast<std::uint32_t>(h)); });
    }
#pragma omp master
    failure.run([&] { item_sums_.reduce(comm_, item_rows_, item_values_); });
#pragma omp barrier
    const auto touched = item_sums_.touched();
    const auto count = static_cast<std::int64_t>(touched.size());
#pragma omp for schedule(dynamic, kGrain)
    for (std::int64_t j = 0; j < count; ++j) {
      failure.run([&] { update_item(touched[static_cast<std::size_t>(j)], lr, scratch); });
    }
  }
  failure.rethrow();
  ++steps_done_;
}

std::optional<Objective> GdSolver::run_epoch(const BetweenSteps& between_steps) {
  plan(epochs_done_);
  // An epoch ended early by between_steps goes on where it stopped.
  const std::uint64_t resume_at = steps_done_ - epochs_done_ * steps_per_epoch_;
  if (resume_at == 0) epoch_start_bytes_ = item_sums_.stats().bytes;
  for (std::uint64_t s = resume_at; s < steps_per_epoch_; ++s) {
    step(s);
    if (s + 1 < steps_per_epoch_ && between_steps && between_steps()) return std::nullopt;
  }
  bytes_last_epoch_ = item_sums_.stats().bytes - epoch_start_bytes_;
  ++epochs_done_;
  export_items();
  return objective();
}

void GdSolver::export_items() {
  model_.users.factors = users_.rows.factors;
  model_.users.bias = users_.rows.bias;
  const std::size_t k = static_cast<std::size_t>(model_.k);
  const std::size_t first = model_.items.first_row;
  std::copy_n(items_.rows.factors.begin() + static_cast<std::ptrdiff_t>(first * k),
              model_.items.factors.size(), model_.items.factors.begin());
  std::copy_n(items_.rows.bias.begin() + static_cast<std::ptrdiff_t>(first),
              model_.items.bias.size(), model_.items.bias.begin());
}

double GdSolver::local_squared_error() {
  const data::SparseBlock& csr = data_.by_user;
  if (steps_per_epoch_ == 1 && threads_for(csr.nnz()) == 1) return full_batch_pass();
  const auto mu = static_cast<float>(model_.mu);
  per_user_error_.resize(csr.rows());
  parallel_for(threads_for(csr.nnz()), csr.rows(), [&](std::int64_t r) {
    const auto u = static_cast<std::uint32_t>(r);
    double sum = 0.0;
    for (std::uint64_t pos = csr.offsets[u]; pos < csr.offsets[u + 1]; ++pos) {
      const float e = residual_fused(csr.values[pos], mu, users_.rows.bias[u],
                                     items_.rows.bias[csr.columns[pos]], users_.rows.row(u),
                                     items_.rows.row(csr.columns[pos]));
      sum += static_cast<double>(e) * e;
    }
    per_user_error_[u] = sum;
  });
  return total_squared_error();
}

double GdSolver::total_squared_error() const {
  double total = 0.0;  // in row order: the same for any thread count
  for (const double e : per_user_error_) total += e;
  return total;
}

double GdSolver::full_batch_pass() {
  plan(epochs_done_);  // full batch: the one plan, step 0
  const data::SparseBlock& csr = data_.by_user;
  const auto k = static_cast<std::size_t>(model_.k);
  const std::size_t width = ItemTable::padded_width(k);
  item_table_.assign(k, items_.rows.factors, items_.rows.bias);
  // The step's items, in item order, and each one's place among them.
  const auto item_groups = plan_.step_item_groups(0);
  const std::span<const std::uint32_t> by_item = plan_.slice(plan_.by_item, 0);
  const std::size_t items = item_groups.size() - 1;
  item_rows_.resize(items);
  for (std::size_t h = 0; h < items; ++h) {
    const std::uint32_t i = plan_.items[by_item[item_groups[h]]];
    item_rows_[h] = i;
    item_slot_[i] = static_cast<std::uint32_t>(h);
  }
  padded_item_sums_.assign(items * width, 0.0);
  user_sums_.resize(std::size_t{csr.rows()} * (k + 2));
  per_user_error_.assign(csr.rows(), 0.0);
  if (pass_groups_.empty()) group_users();
  std::array<UserPassRow, kUserPassGroup> rows;
  for (const auto& [first, group] : pass_groups_) {
    for (std::uint32_t g = 0; g < group; ++g) {
      const std::uint32_t u = first + g;
      UserPassRow& row = rows[g];
      row.mu = static_cast<float>(model_.mu);
      row.bias = users_.rows.bias[u];
      row.p = users_.rows.row(u);
      row.items = csr.row_columns(u);
      row.values = std::span(csr.values).subspan(csr.offsets[u], csr.degree(u));
    }
    users_pass(item_table_, std::span(rows).first(group), item_slot_.data(),
               padded_item_sums_.data(),
               std::span(user_sums_).subspan(std::size_t{first} * (k + 2), group * (k + 2)),
               std::span(per_user_error_).subspan(first, group), pass_scratch_);
  }
  // The items' sums in the allreduce's rows of k + 2, with their counts.
  item_values_.resize(items * (k + 2));
  for (std::size_t h = 0; h < items; ++h) {
    double* out = item_values_.data() + h * (k + 2);
    std::copy_n(padded_item_sums_.data() + h * width, k + 1, out);
    out[k + 1] = static_cast<double>(item_groups[h + 1] - item_groups[h]);  // Σ 1: exact
  }
  sums_current_ = true;
  return total_squared_error();
}

void GdSolver::group_users() {
  // Consecutive rows with the same items (every user of a dense table), up
  // to kUserPassGroup: the pass runs their sums side by side.
  const data::SparseBlock& csr = data_.by_user;
  pass_groups_.clear();
  for (std::uint32_t u = 0; u < csr.rows();) {
    if (csr.degree(u) == 0) {
      ++u;
      continue;
    }
    std::uint32_t group = 1;
    while (group < kUserPassGroup && u + group < csr.rows() &&
           std::ranges::equal(csr.row_columns(u), csr.row_columns(u + group))) {
      ++group;
    }
    pass_groups_.emplace_back(u, group);
    u += group;
  }
}

void GdSolver::step_full_batch_on_one_thread(double lr) {
  if (!sums_current_) static_cast<void>(full_batch_pass());
  sums_current_ = false;
  const data::SparseBlock& csr = data_.by_user;
  const auto k = static_cast<std::size_t>(model_.k);
  const std::span<double> scratch(scratch_[0]);
  const std::span<double> grad = scratch.first(k);
  const bool user_bias = model::has_user_bias(model_.biases);
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    if (csr.degree(u) == 0) continue;
    double grad_bias = 0.0;
    row_gradient<float>(std::span(user_sums_).subspan(std::size_t{u} * (k + 2), k + 2),
                        user_reg_[u], users_.rows.row(u), users_.rows.bias[u], grad, grad_bias);
    apply(users_, u, grad, user_bias, grad_bias, lr);
  }
  item_sums_.reduce(comm_, item_rows_, item_values_);
  for (const std::uint32_t i : item_sums_.touched()) update_item(i, lr, scratch);
}

Objective GdSolver::combine(double local_squared_error) const {
  return total_objective(comm_, local_squared_error, model_, data_, options_.regularization,
                         ratings_);
}

Objective GdSolver::objective() { return combine(local_squared_error()); }

Traffic GdSolver::traffic_per_epoch() const { return Traffic{bytes_last_epoch_}; }

std::unique_ptr<SolverState> GdSolver::snapshot() const {
  auto state = empty_state();
  state->users = users_;
  state->items = items_;
  state->epochs_done = epochs_done_;
  state->steps_done = steps_done_;
  return state;
}

std::unique_ptr<GdSolver::State> GdSolver::empty_state() const {
  auto state = std::make_unique<State>();
  state->own_items_first = model_.items.first_row;
  state->own_items = model_.items.rows;
  state->slots = optimizer_.slots();
  return state;
}

std::unique_ptr<SolverState> GdSolver::load_state(const StateSource& source) const {
  auto state = empty_state();
  const int k = model_.k;
  const int slots = optimizer_.slots();
  const model::FactorBlock& users = model_.users;
  state->users =
      load_row_params(source, Side::kUser, k, users.first_row, users.rows, users.total_rows, slots);
  const std::uint32_t items = model_.items.total_rows;
  state->items = load_row_params(source, Side::kItem, k, 0, items, items, slots);
  const nlohmann::json& counters = source.counters();
  state->epochs_done = counters.at("epochs_done").get<std::uint64_t>();
  state->steps_done = counters.at("steps_done").get<std::uint64_t>();
  DMF_CHECK(state->steps_done >= state->epochs_done * steps_per_epoch_ &&
                state->steps_done < (state->epochs_done + 1) * steps_per_epoch_,
            "gd: the saved state is {} steps into epoch {}, which has {} steps",
            state->steps_done - std::min(state->steps_done, state->epochs_done * steps_per_epoch_),
            state->epochs_done + 1, steps_per_epoch_);
  return state;
}

nlohmann::json GdSolver::report() const {
  const auto& stats = allreduce_stats();
  return {{"optimizer", to_string(options_.optimizer.kind)},
          {"learning_rate", base_rate_},
          {"schedule", to_string(options_.schedule.kind)},
          {"batch_size", options_.batch_size},
          {"steps_per_epoch", steps_per_epoch_},
          {"allreduce",
           {{"calls", stats.calls},
            {"sparse_calls", stats.sparse_calls},
            {"bytes", stats.bytes},
            {"seconds", stats.seconds}}}};
}

nlohmann::json GdSolver::settings_state() const { return {{"backoff", backoff_}}; }

void GdSolver::restore_settings(const nlohmann::json& saved) {
  backoff_ = saved.at("backoff").get<double>();
}

void GdSolver::restore(const SolverState& state) {
  const auto& s = dynamic_cast<const State&>(state);
  users_ = s.users;
  items_ = s.items;
  sums_current_ = false;
  epochs_done_ = s.epochs_done;
  steps_done_ = s.steps_done;
  export_items();
}

bool GdSolver::reduce_learning_rate(double factor) {
  backoff_ *= factor;
  return true;
}

double GdSolver::relative_change(const SolverState& before) {
  const auto& s = dynamic_cast<const State&>(before);
  // Users are split over ranks; items are replicated, so each rank counts
  // only the items it owns.
  const std::uint32_t first = model_.items.first_row;
  model::SquaredChange change = model::squared_change(users_.rows, s.users.rows);
  change += model::squared_change(items_.rows, s.items.rows, first, model_.items.rows);
  return model::relative_change(comm_, change);
}

std::optional<double> GdSolver::gradient_norm() {
  // One full-batch gradient, without a step: the terms of every rating.
  const data::SparseBlock& csr = data_.by_user;
  if (all_entries_.size() != csr.nnz()) {  // worked out once, at the first call
    all_entries_.resize(csr.nnz());
    std::iota(all_entries_.begin(), all_entries_.end(), std::uint64_t{0});
    by_column_ = csr.entries_by_column();
  }
  std::vector<float> residual;
  residuals(all_entries_, residual);
  sums_current_ = false;  // item_values_ is about to hold other sums
  sum_item_terms(by_column_, residual);
  item_sums_.reduce(comm_, item_rows_, item_values_);
  const auto k = static_cast<std::size_t>(model_.k);
  const bool user_bias = model::has_user_bias(model_.biases);
  const bool item_bias = model::has_item_bias(model_.biases);
  std::vector<double> acc(k + 2), grad(k);
  double squared = 0.0;
  // ∂L/∂w = n · g (gradient_terms.hpp); users here, owned items below.
  for (std::uint32_t u = 0; u < csr.rows(); ++u) {
    if (csr.degree(u) == 0) continue;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (std::uint64_t pos = csr.offsets[u]; pos < csr.offsets[u + 1]; ++pos) {
      add_rating_terms<float>(acc, residual[pos], items_.rows.row(csr.columns[pos]));
    }
    double grad_bias = 0.0;
    row_gradient<float>(acc, user_reg_[u], users_.rows.row(u), users_.rows.bias[u], grad,
                        grad_bias);
    const double n = acc[k + 1];
    for (const double g : grad) squared += n * n * g * g;
    if (user_bias) squared += n * n * grad_bias * grad_bias;
  }
  const std::uint32_t first = model_.items.first_row;
  for (const std::uint32_t i : item_sums_.touched()) {
    if (i < first || i >= first + model_.items.rows) continue;
    double grad_bias = 0.0;
    const auto sums = item_sums_.row(i);
    row_gradient<float>(sums, item_reg_[i], items_.rows.row(i), items_.rows.bias[i], grad,
                        grad_bias);
    const double n = sums[k + 1];
    for (const double g : grad) squared += n * n * g * g;
    if (item_bias) squared += n * n * grad_bias * grad_bias;
  }
  squared = comm_.allreduce(squared, dist::Op::kSum);
  return std::sqrt(squared) / static_cast<double>(std::max<std::uint64_t>(ratings_, 1));
}

}  // namespace dmf::solvers
