#include "dmf/solvers/ials/ials.hpp"

#include <algorithm>

#include "dmf/core/error.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/model/row_pack.hpp"
#include "dmf/solvers/ials/exact_gram.hpp"
#include "dmf/solvers/ials/implicit_row.hpp"

namespace dmf::solvers {
namespace {

/// Rows handed to a thread at a time (as explicit ALS: rows of very
/// different degrees balance, scheduling stays cheap).
constexpr std::int64_t kRowGrain = 16;
/// Observations whose confidence weights a thread computes at a time.
constexpr std::size_t kWeightBlock = std::size_t{1} << 16;

}  // namespace

IalsSolver::IalsSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                       IalsOptions options)
    : ExactSolver(comm, data, model, "implicit ALS"), options_(options) {
  DMF_CHECK(model.biases == model::Biases::kNone && model.mu == 0.0,
            "implicit ALS: the model has biases {} and mu {}; an implicit-feedback model has "
            "neither",
            to_string(model.biases), model.mu);
  users_ = make_side(/*users=*/true);
  items_ = make_side(/*users=*/false);
}

IalsSolver::Side IalsSolver::make_side(bool users) {
  Side side;
  // The fetched rows' storage grows at the first fetch (FeatureRows).
  make_sweep_side(side, users, options_.regularization);
  if (options_.solve == AlsSolve::kCg) {
    const auto& values = side.ratings->values;
    side.weights.resize(values.size());
    // Blocks of kWeightBlock observations: a confidence is a logarithm or
    // a product, the same whichever thread takes it.
    const auto blocks =
        static_cast<std::int64_t>((values.size() + kWeightBlock - 1) / kWeightBlock);
    parallel_for(std::max(1, options_.threads), blocks, [&](std::int64_t b) {
      const std::size_t begin = static_cast<std::size_t>(b) * kWeightBlock;
      const std::size_t count = std::min(kWeightBlock, values.size() - begin);
      ImplicitRowSolver::confidence_weights(std::span(values).subspan(begin, count),
                                            options_.confidence,
                                            std::span(side.weights).subspan(begin, count));
    });
  }
  return side;
}

void IalsSolver::fetch(Side& side) {
  const int threads = std::max(1, options_.threads);
  if (in_place()) {
    side.features.assign(*side.others, threads);
    return;
  }
  fetch_packed(side, exchanged_);
  side.features.assign_packed(exchanged_, side.plan.wanted_rows(), model_.k, threads);
}

RowRatings IalsSolver::observations(const Side& side, std::uint32_t row) const {
  const data::SparseBlock& block = *side.ratings;
  // On one rank an observation's column is its row among the features.
  const std::span<const std::uint32_t> slots =
      in_place() ? block.row_columns(row)
                 : std::span<const std::uint32_t>(side.slots)
                       .subspan(block.offsets[row], block.degree(row));
  return RowRatings{slots, block.row_values(row), side.features.factors(), side.features.stride()};
}

Eigen::MatrixXd IalsSolver::gram(const model::FactorBlock& rows) const {
  const std::vector<double> g = exact_gram(comm_, rows, std::max(1, options_.threads));
  return Eigen::Map<const Eigen::MatrixXd>(g.data(), model_.k, model_.k);  // symmetric
}

double IalsSolver::solve(Side& side, const Eigen::MatrixXd& gram, bool measure) {
  fetch(side);
  const data::SparseBlock& block = *side.ratings;
  model::FactorBlock& rows = *side.rows;
  const int threads = std::max(1, options_.threads);
  std::vector<ImplicitRowSolver> solvers;
  solvers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) solvers.emplace_back(model_.k);
  const bool cg = options_.solve == AlsSolve::kCg;
  // G in float for conjugate gradient's products, once per half-sweep.
  const PackedGram packed =
      cg ? PackedGram(std::span(gram.data(), gram.size()), model_.k) : PackedGram();
  row_losses_.assign(rows.rows, 0.0);
  parallel_for_dynamic(threads, rows.rows, kRowGrain, [&](std::int64_t r, int worker) {
    const auto row = static_cast<std::uint32_t>(r);
    const RowRatings observed = observations(side, row);
    const double ridge = side.lambda * options_.regularization.weight(block.degree(row));
    ImplicitRowSolver& solver = solvers[static_cast<std::size_t>(worker)];
    if (row + 1 < rows.rows) {
      // This thread's next row, most of the time (rows come kRowGrain at a
      // time): its first feature rows arrive while this one is solved.
      const RowRatings next = observations(side, row + 1);
      prefetch_first_features({next.slots.data(), nullptr, nullptr, next.slots.size(),
                               next.features, next.feature_width, model_.k});
    }
    if (cg) {
      // From the row's current factors: the warm start that makes a few
      // steps enough once the model has settled.
      const std::size_t begin = block.offsets[row];
      solver.solve_cg(observed, std::span(side.weights).subspan(begin, block.degree(row)), packed,
                      ridge, options_.cg_steps, rows.row(row));
    } else {
      solver.solve(observed, gram, options_.confidence, ridge, rows.row(row));
    }
    if (measure) {
      // The row's feature rows are in cache from the solve.
      row_losses_[row] =
          ImplicitRowSolver::observed_loss(observed, options_.confidence, rows.row(row));
    }
  });
  double total = 0.0;  // in row order: the same for any thread count
  for (const double e : row_losses_) total += e;
  return total;
}

double IalsSolver::observed_loss(Side& side) {
  fetch(side);
  const model::FactorBlock& rows = *side.rows;
  row_losses_.assign(rows.rows, 0.0);
  parallel_for(std::max(1, options_.threads), rows.rows, [&](std::int64_t r) {
    const auto row = static_cast<std::uint32_t>(r);
    row_losses_[row] = ImplicitRowSolver::observed_loss(observations(side, row),
                                                        options_.confidence, rows.row(row));
  });
  double total = 0.0;
  for (const double e : row_losses_) total += e;
  return total;
}

Objective IalsSolver::total(double local_observed, const Eigen::MatrixXd& user_gram,
                            const Eigen::MatrixXd& item_gram) const {
  Objective objective = combine(local_observed, options_.regularization);
  // Σ_all (p_u·q_i)² = Σ_ab (PᵀP)_ab (QᵀQ)_ab: the same on every rank, as
  // the Gram matrices are, so it is added after the sum over ranks.
  objective.squared_error += user_gram.cwiseProduct(item_gram).sum();
  objective.all_pairs = true;
  return objective;
}

void IalsSolver::solve_users() { solve(users_, gram(model_.items), /*measure=*/false); }

Objective IalsSolver::solve_items() {
  const Eigen::MatrixXd user_gram = gram(model_.users);
  const double observed = solve(items_, user_gram, /*measure=*/true);
  return total(observed, user_gram, gram(model_.items));
}

std::optional<Objective> IalsSolver::run_epoch(const BetweenSteps& /*between_steps*/) {
  solve_users();
  return solve_items();
}

Objective IalsSolver::objective() {
  return total(observed_loss(items_), gram(model_.users), gram(model_.items));
}

Traffic IalsSolver::traffic_per_epoch() const {
  const auto row_bytes = [](const model::FactorBlock& b) {
    return static_cast<std::uint64_t>(model::packed_width(b) * sizeof(float));
  };
  // Plus three k × k allreduces of 64-bit integers (the Gram matrices).
  const std::uint64_t grams =
      comm_.size() > 1 ? 3 * static_cast<std::uint64_t>(model_.k) * model_.k * 8 : 0;
  return Traffic{users_.plan.remote_sent_rows() * row_bytes(model_.items) +
                 items_.plan.remote_sent_rows() * row_bytes(model_.users) + grams};
}

nlohmann::json IalsSolver::report() const {
  nlohmann::json j{{"feedback", "implicit"},
                   {"alpha", options_.confidence.alpha},
                   {"confidence", to_string(options_.confidence.scale)},
                   {"solve", to_string(options_.solve)}};
  if (options_.confidence.scale == ConfidenceScale::kLog) {
    j["confidence_epsilon"] = options_.confidence.epsilon;
  }
  if (options_.solve == AlsSolve::kCg) j["cg_steps"] = options_.cg_steps;
  return j;
}

}  // namespace dmf::solvers
