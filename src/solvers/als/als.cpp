#include "dmf/solvers/als/als.hpp"

#include <algorithm>

#include "dmf/core/parallel.hpp"
#include "dmf/model/row_pack.hpp"
#include "dmf/solvers/als/row_solver.hpp"
#include "dmf/solvers/distinct_columns.hpp"

namespace dmf::solvers {
namespace {

/// Rows handed to a thread at a time: small enough to balance rows of very
/// different degrees, large enough to keep scheduling cheap.
constexpr std::int64_t kRowGrain = 16;

}  // namespace

AlsSolver::AlsSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                     AlsOptions options)
    : ExactSolver(comm, data, model, "ALS"), options_(options) {
  users_ = make_side(/*users=*/true);
  items_ = make_side(/*users=*/false);
}

AlsSolver::Side AlsSolver::make_side(bool users) {
  Side side;
  // The fetched rows' storage grows at the first fetch (FeatureRows).
  make_sweep_side(side, users, options_.regularization);
  return side;
}

void AlsSolver::fetch(Side& side) {
  const int threads = std::max(1, options_.threads);
  if (in_place()) {
    side.features.assign(*side.others, threads);
    return;
  }
  fetch_packed(side, exchanged_);
  side.features.assign_packed(exchanged_, side.plan.wanted_rows(), model_.k, threads);
}

RowRatings AlsSolver::row_ratings(const Side& side, std::uint32_t row) const {
  const data::SparseBlock& block = *side.ratings;
  const std::size_t begin = block.offsets[row];
  const std::size_t n = block.degree(row);
  if (in_place()) {
    // One rank owns every row of the other side, from row 0: a rating's
    // column is its row there, read where it lies.
    return RowRatings{block.row_columns(row), block.row_values(row), side.features.factors(),
                      side.features.stride(), side.features.biases()};
  }
  return RowRatings{std::span(side.slots).subspan(begin, n), block.row_values(row),
                    side.features.factors(), side.features.stride(), side.features.biases()};
}

double AlsSolver::solve(Side& side, bool measure) {
  fetch(side);
  const data::SparseBlock& block = *side.ratings;
  model::FactorBlock& rows = *side.rows;
  const auto mu = static_cast<float>(model_.mu);
  const int threads = std::max(1, options_.threads);
  std::vector<RowSolver> solvers;
  solvers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) solvers.emplace_back(model_.k, side.with_bias);
  row_errors_.assign(rows.rows, 0.0);
  parallel_for_dynamic(threads, rows.rows, kRowGrain, [&](std::int64_t r, int worker) {
    const auto row = static_cast<std::uint32_t>(r);
    const std::size_t n = block.degree(row);
    const RowRatings ratings = row_ratings(side, row);
    const double ridge = side.lambda * options_.regularization.weight(n);
    RowSolver& solver = solvers[static_cast<std::size_t>(worker)];
    // The next row is this worker's too unless it starts another chunk.
    if (r + 1 < static_cast<std::int64_t>(rows.rows)) {
      RowSolver::prefetch_start(row_ratings(side, row + 1), model_.k);
    }
    // cg starts from the row's current factors: the warm start that makes a
    // few steps enough once the model has settled.
    const double error =
        options_.solve == AlsSolve::kCg
            ? solver.solve_cg(ratings, mu, ridge, options_.cg_steps, rows.row(row), rows.bias[row])
            : solver.solve(ratings, mu, ridge, rows.row(row), rows.bias[row]);
    if (measure) row_errors_[row] = error;
  });
  double total = 0.0;  // in row order: the same for any thread count
  for (const double e : row_errors_) total += e;
  return total;
}

double AlsSolver::squared_error(Side& side) {
  fetch(side);
  const model::FactorBlock& rows = *side.rows;
  const auto mu = static_cast<float>(model_.mu);
  row_errors_.assign(rows.rows, 0.0);
  parallel_for(std::max(1, options_.threads), rows.rows, [&](std::int64_t r) {
    const auto row = static_cast<std::uint32_t>(r);
    const RowRatings ratings = row_ratings(side, row);
    row_errors_[row] = RowSolver::squared_error(ratings, mu, rows.row(row), rows.bias[row]);
  });
  double total = 0.0;
  for (const double e : row_errors_) total += e;
  return total;
}

void AlsSolver::solve_users() { solve(users_, /*measure=*/false); }

Objective AlsSolver::solve_items() {
  return combine(solve(items_, /*measure=*/true), options_.regularization);
}

std::optional<Objective> AlsSolver::run_epoch(const BetweenSteps& /*between_steps*/) {
  solve_users();
  return solve_items();
}

Objective AlsSolver::objective() { return combine(squared_error(items_), options_.regularization); }

Traffic AlsSolver::traffic_per_epoch() const {
  const auto row_bytes = [](const model::FactorBlock& b) {
    return static_cast<std::uint64_t>(model::packed_width(b) * sizeof(float));
  };
  return Traffic{users_.plan.remote_sent_rows() * row_bytes(model_.items) +
                 items_.plan.remote_sent_rows() * row_bytes(model_.users)};
}

nlohmann::json AlsSolver::report() const {
  nlohmann::json j{{"solve", to_string(options_.solve)}};
  if (options_.solve == AlsSolve::kCg) j["cg_steps"] = options_.cg_steps;
  return j;
}

}  // namespace dmf::solvers
