#include "dmf/solvers/exact_solver.hpp"

#include "dmf/core/error.hpp"
#include "dmf/model/model_change.hpp"
#include "dmf/model/row_pack.hpp"
#include "dmf/solvers/distinct_columns.hpp"

namespace dmf::solvers {
namespace {

/// The model alone: each epoch starts from its rows.
struct ModelState final : SolverState {
  model::Model model;

  [[nodiscard]] std::vector<StateArray> arrays() const override {
    std::vector<StateArray> out;
    add_factor_arrays(out, Side::kUser, model.users, 0, model.users.rows);
    add_factor_arrays(out, Side::kItem, model.items, 0, model.items.rows);
    return out;
  }
};

}  // namespace

std::uint64_t checked_ratings(const dist::Comm& comm, const data::RatingsData& data,
                              const model::Model& model, std::string_view solver) {
  DMF_CHECK(model.users.rows == data.by_user.rows() && model.items.rows == data.by_item.rows(),
            "{}: the model's blocks ({} users, {} items) differ from the data's ({}, {})", solver,
            model.users.rows, model.items.rows, data.by_user.rows(), data.by_item.rows());
  return comm.allreduce<std::uint64_t>(data.by_user.nnz(), dist::Op::kSum);
}

ExactSolver::ExactSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
                         std::string_view solver)
    : comm_(comm),
      data_(data),
      model_(model),
      ratings_(checked_ratings(comm, data, model, solver)) {}

std::size_t ExactSolver::make_sweep_side(SweepSide& side, bool users,
                                         const Regularization& regularization) const {
  side.ratings = users ? &data_.by_user : &data_.by_item;
  side.rows = users ? &model_.users : &model_.items;
  side.others = users ? &model_.items : &model_.users;
  side.lambda = users ? regularization.lambda_user : regularization.lambda_item;
  side.with_bias =
      users ? model::has_user_bias(model_.biases) : model::has_item_bias(model_.biases);
  const auto wanted = distinct_columns(side.ratings->columns, side.slots);
  side.plan = dist::RowExchange(comm_, model::row_boundaries(comm_, *side.others), wanted);
  return wanted.size();
}

Objective ExactSolver::combine(double local_squared_error,
                               const Regularization& regularization) const {
  return total_objective(comm_, local_squared_error, model_, data_, regularization, ratings_);
}

std::unique_ptr<SolverState> ExactSolver::snapshot() const {
  auto state = std::make_unique<ModelState>();
  state->model = model_;
  return state;
}

void ExactSolver::restore(const SolverState& state) {
  model_ = dynamic_cast<const ModelState&>(state).model;
}

std::unique_ptr<SolverState> ExactSolver::load_state(const StateSource& source) const {
  auto state = std::make_unique<ModelState>();
  state->model = model_;
  const auto load = [&](Side side, const model::FactorBlock& own) {
    return load_factor_block(source, side, model_.k, own.first_row, own.rows, own.total_rows);
  };
  state->model.users = load(Side::kUser, model_.users);
  state->model.items = load(Side::kItem, model_.items);
  return state;
}

double ExactSolver::relative_change(const SolverState& before) {
  const auto& s = dynamic_cast<const ModelState&>(before);
  model::SquaredChange change = model::squared_change(model_.users, s.model.users);
  change += model::squared_change(model_.items, s.model.items);
  return model::relative_change(comm_, change);
}

void ExactSolver::fetch_packed(const SweepSide& side, std::vector<float>& out) {
  model::pack_rows(*side.others, packed_);
  const std::size_t width = model::packed_width(*side.others);
  out.resize(side.plan.wanted_rows() * width);
  side.plan.exchange<float>(comm_, packed_, width, out);
}

}  // namespace dmf::solvers
