#include "dmf/solvers/ccd/ccd.hpp"

#include <algorithm>
#include <exception>
#include <mutex>

#include <omp.h>

#include "dmf/core/error.hpp"
#include "dmf/model/row_pack.hpp"
#include "dmf/solvers/ccd/coordinate.hpp"
#include "dmf/solvers/distinct_columns.hpp"

namespace dmf::solvers {
namespace {

/// What a row costs a pass besides its ratings, in ratings (its closed form,
/// its step's set-up), for balancing the threads' row ranges.
constexpr std::uint64_t kRowCost = 8;

/// Row ranges a pass is cut into per thread: enough that a thread the
/// machine takes away for a while (a shared node) leaves its share to the
/// others, few enough that handing them out costs nothing.
constexpr int kRangesPerThread = 8;

/// Row ranges [bounds[p], bounds[p + 1]) of about equal work, set once per
/// side: every pass hands them out to the threads as they come free.
std::vector<std::uint32_t> balanced_ranges(const data::SparseBlock& block, int parts) {
  const std::uint32_t rows = block.rows();
  const std::uint64_t total = block.nnz() + std::uint64_t{rows} * kRowCost;
  std::vector<std::uint32_t> bounds(static_cast<std::size_t>(parts) + 1, rows);
  bounds[0] = 0;
  std::uint64_t done = 0;
  int part = 1;
  for (std::uint32_t r = 0; r < rows && part < parts; ++r) {
    done += block.degree(r) + kRowCost;
    while (part < parts &&
           done * static_cast<std::uint64_t>(parts) >= total * static_cast<std::uint64_t>(part)) {
      bounds[static_cast<std::size_t>(part++)] = r + 1;
    }
  }
  return bounds;
}

/// Calls body(begin, end) for each range of `bounds` on `threads` threads.
/// The first exception thrown is rethrown after the region
/// (docs/design.md §9).
template <class Body>
void for_each_range(int threads, const std::vector<std::uint32_t>& bounds, Body&& body) {
  const auto parts = static_cast<std::int64_t>(bounds.size()) - 1;
  if (threads <= 1 || parts <= 1) {
    body(bounds.front(), bounds.back());
    return;
  }
  std::exception_ptr failure;
  std::once_flag captured;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::int64_t p = 0; p < parts; ++p) {
    try {
      body(bounds[static_cast<std::size_t>(p)], bounds[static_cast<std::size_t>(p) + 1]);
    } catch (...) {
      std::call_once(captured, [&] { failure = std::current_exception(); });
    }
  }
  if (failure) std::rethrow_exception(failure);
}

/// The stored value of `coordinate` for local row `row`.
float& value_of(model::FactorBlock& rows, int coordinate, std::uint32_t row) {
  return coordinate < 0 ? rows.bias[row]
                        : rows.factors[static_cast<std::size_t>(row) * rows.width() +
                                       static_cast<std::size_t>(coordinate)];
}

}  // namespace

CcdSolver::CcdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                     CcdOptions options)
    : ExactSolver(comm, data, model, "CCD++"), options_(options) {
  options_.inner = std::max(1, options_.inner);
  options_.threads = std::max(1, options_.threads);
  users_ = make_side(/*users=*/true);
  items_ = make_side(/*users=*/false);
}

CcdSolver::Side CcdSolver::make_side(bool users) {
  Side side;
  const std::size_t wanted = make_sweep_side(side, users, options_.regularization);
  side.residuals.resize(side.ratings->nnz());
  side.start.resize(wanted);
  side.current.resize(wanted);
  side.previous.resize(wanted);
  side.ranges = balanced_ranges(*side.ratings, options_.threads * kRangesPerThread);
  return side;
}

void CcdSolver::send(const Side& from, Side& to, int coordinate, std::vector<float>& out) {
  model::FactorBlock& rows = *from.rows;
  column_.resize(rows.rows);
  for (std::uint32_t r = 0; r < rows.rows; ++r) column_[r] = value_of(rows, coordinate, r);
  to.plan.exchange<float>(comm_, column_, 1, out);
}

// Residuals from the model, both copies by fresh_residual with the same
// operands: the user's row and the item's row, one of them fetched.
void CcdSolver::refresh(Side& side) {
  fetch_packed(side, side.rows_at_start);
  const std::size_t width = model::packed_width(*side.others);
  const data::SparseBlock& block = *side.ratings;
  const model::FactorBlock& rows = *side.rows;
  for_each_range(options_.threads, side.ranges, [&](std::uint32_t begin, std::uint32_t end) {
    for (std::uint32_t row = begin; row < end; ++row) {
      const std::uint64_t first = block.offsets[row];
      const std::uint64_t n = block.degree(row);
      ccd::fresh_residuals_of_row(std::span(block.values).subspan(first, n),
                                  std::span(side.slots).subspan(first, n), model_.mu,
                                  rows.bias[row], rows.row(row), side.rows_at_start.data(), width,
                                  std::span(side.residuals).subspan(first, n));
    }
  });
}

void CcdSolver::refresh_residuals() {
  pending_ = kNothing;
  updated_.assign(static_cast<std::size_t>(model_.k) + 1, false);
  refresh(users_);
  refresh(items_);
}

void CcdSolver::solve_rows(Side& side, int coordinate, bool add_back) {
  pass_rows(side, add_back ? pending_ : kNothing, add_back ? coordinate : kNothing, coordinate);
}

// The previous coordinate's product comes out in the same pass as this one's
// goes back in and its rows are solved: one pass over the residuals per
// side and coordinate pass.
void CcdSolver::pass_rows(Side& side, int removed, int added, int solved) {
  const data::SparseBlock& block = *side.ratings;
  model::FactorBlock& rows = *side.rows;
  const bool solve = solved != kNothing && (solved != kBiases || side.with_bias);
  const int coordinate = solved != kNothing ? solved : added;
  for_each_range(options_.threads, side.ranges, [&](std::uint32_t begin, std::uint32_t end) {
    for (std::uint32_t row = begin; row < end; ++row) {
      const std::uint64_t first = block.offsets[row];
      const std::uint64_t n = block.degree(row);
      const ccd::RowPass pass{std::span(side.residuals).subspan(first, n),
                              std::span(side.slots).subspan(first, n), side.previous.data(),
                              side.start.data(), side.current.data()};
      ccd::RowStep step;
      step.remove = removed != kNothing;
      step.remove_bias = removed == kBiases;
      if (step.remove) step.removed_value = value_of(rows, removed, row);
      step.add_back = added != kNothing;
      step.bias = coordinate == kBiases;
      if (coordinate != kNothing) step.value = value_of(rows, coordinate, row);
      step.solve = solve;
      step.ridge = side.lambda * options_.regularization.weight(n);
      const float x = ccd::pass_row(pass, step);
      if (solve) value_of(rows, coordinate, row) = x;
    }
  });
}

void CcdSolver::flush_removal() {
  if (pending_ == kNothing) return;
  pass_rows(users_, pending_, kNothing, kNothing);
  pass_rows(items_, pending_, kNothing, kNothing);
  pending_ = kNothing;
}

// One coordinate (docs/design.md §4). Each side adds back the product of the
// values both had as the coordinate began: its own, and the other side's,
// which the rows fetched whole for the residuals hold (no coordinate changes
// twice between two refreshes). The users are solved first, so on the user
// side `start` is also the items' current value. The new product is taken
// out of the residuals by the next coordinate's first pass, or by
// flush_removal(): each side keeps the other side's final value in
// `previous` for it.
void CcdSolver::update_coordinate(int coordinate) {
  const auto index = static_cast<std::size_t>(coordinate == kBiases ? model_.k : coordinate);
  DMF_CHECK(index < updated_.size() && !updated_[index],
            "CCD++: coordinate {} updated again before the residuals were computed afresh",
            coordinate);
  updated_[index] = true;
  for (Side* side : {&users_, &items_}) {
    const std::size_t width = static_cast<std::size_t>(model_.k) + 1;
    for (std::size_t r = 0; r < side->start.size(); ++r) {
      side->start[r] = side->rows_at_start[r * width + index];
    }
  }
  users_.current = users_.start;
  for (int pass = 0; pass < options_.inner; ++pass) {
    const bool first = pass == 0;
    if (!first) send(items_, users_, coordinate, users_.current);
    solve_rows(users_, coordinate, first);
    send(users_, items_, coordinate, items_.current);
    solve_rows(items_, coordinate, first);
  }
  send(items_, users_, coordinate, users_.previous);
  std::swap(items_.previous, items_.current);
  pending_ = coordinate;
}

void CcdSolver::update_biases() {
  if (model_.biases == model::Biases::kNone) return;
  update_coordinate(kBiases);
  flush_removal();
}

void CcdSolver::update_dimension(int t) {
  update_coordinate(t);
  flush_removal();
}

double CcdSolver::kept_squared_error() {
  const data::SparseBlock& block = *items_.ratings;
  row_errors_.assign(block.rows(), 0.0);
  for_each_range(options_.threads, items_.ranges, [&](std::uint32_t begin, std::uint32_t end) {
    for (std::uint32_t row = begin; row < end; ++row) {
      double sum = 0.0;
      for (std::uint64_t j = block.offsets[row]; j < block.offsets[row + 1]; ++j) {
        sum += static_cast<double>(items_.residuals[j]) * items_.residuals[j];
      }
      row_errors_[row] = sum;
    }
  });
  double total = 0.0;  // in row order: the same for any thread count
  for (const double e : row_errors_) total += e;
  return total;
}

std::optional<Objective> CcdSolver::run_epoch(const BetweenSteps& /*between_steps*/) {
  refresh_residuals();
  if (model_.biases != model::Biases::kNone) update_coordinate(kBiases);
  for (int t = 0; t < model_.k; ++t) update_coordinate(t);
  flush_removal();
  return combine(kept_squared_error(), options_.regularization);
}

Objective CcdSolver::objective() {
  // The item side's residuals from the model, summed without being kept (the
  // kept copies stay as they are).
  std::vector<float> fetched;
  fetch_packed(items_, fetched);
  const std::size_t width = model::packed_width(*items_.others);
  const data::SparseBlock& block = *items_.ratings;
  const model::FactorBlock& items = model_.items;
  row_errors_.assign(items.rows, 0.0);
  for_each_range(options_.threads, items_.ranges, [&](std::uint32_t begin, std::uint32_t end) {
    std::vector<float> residuals;
    for (std::uint32_t row = begin; row < end; ++row) {
      const std::uint64_t first = block.offsets[row];
      const std::uint64_t n = block.degree(row);
      residuals.resize(n);
      ccd::fresh_residuals_of_row(
          std::span(block.values).subspan(first, n), std::span(items_.slots).subspan(first, n),
          model_.mu, items.bias[row], items.row(row), fetched.data(), width, residuals);
      double sum = 0.0;
      for (const float e : residuals) sum += static_cast<double>(e) * e;
      row_errors_[row] = sum;
    }
  });
  double total = 0.0;
  for (const double e : row_errors_) total += e;
  return combine(total, options_.regularization);
}

Traffic CcdSolver::traffic_per_epoch() const {
  const std::uint64_t to_users = users_.plan.remote_sent_rows();  // item rows sent
  const std::uint64_t to_items = items_.plan.remote_sent_rows();  // user rows sent
  const auto width = static_cast<std::uint64_t>(model_.k) + 1;
  // The fresh residuals: whole rows each way. Each coordinate: `inner`
  // values of every fetched row each way.
  const std::uint64_t coordinates =
      static_cast<std::uint64_t>(model_.k) + (model_.biases == model::Biases::kNone ? 0 : 1);
  const auto per_coordinate = static_cast<std::uint64_t>(options_.inner);
  return Traffic{(to_users + to_items) * (width + coordinates * per_coordinate) * sizeof(float)};
}

nlohmann::json CcdSolver::report() const { return {{"inner", options_.inner}}; }

}  // namespace dmf::solvers
