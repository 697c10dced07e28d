// What every exact solver shares. An exact solver (ALS, CCD++)
// solves its rows afresh from the model each epoch, so its whole state is
// the model: snapshot, restore, load_state and relative_change are the
// model's, written here once.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/row_exchange.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/objective.hpp"
#include "dmf/solvers/solver.hpp"

namespace dmf::solvers {

/// Collective: the number of training ratings over all ranks, after checking
/// that `model` has the rows `data` owns on each side (`solver` names the
/// solver in the error).
[[nodiscard]] std::uint64_t checked_ratings(const dist::Comm& comm, const data::RatingsData& data,
                                            const model::Model& model, std::string_view solver);

class ExactSolver : public Solver {
 public:
  [[nodiscard]] std::unique_ptr<SolverState> snapshot() const final;
  void restore(const SolverState& state) final;
  [[nodiscard]] std::unique_ptr<SolverState> load_state(const StateSource& source) const final;
  [[nodiscard]] double relative_change(const SolverState& before) final;

 protected:
  /// One side as an exact solver sweeps it: the CSR/CSC of the rows it
  /// solves, the other side's rows those ratings touch (an exchange plan
  /// worked out once), and for each rating its other row among the fetched.
  /// A solver's own side extends it with its buffers.
  struct SweepSide {
    const data::SparseBlock* ratings = nullptr;
    model::FactorBlock* rows = nullptr;
    const model::FactorBlock* others = nullptr;
    double lambda = 0.0;
    bool with_bias = false;
    dist::RowExchange plan;
    std::vector<std::uint32_t> slots;  // per rating: its other row among the fetched
  };
  /// Fills `side` as the user side (`users`) or the item side of `data_`
  /// and `model_`, with that side's λ of `regularization`. Collective (the
  /// exchange plan); returns how many distinct other rows are fetched.
  std::size_t make_sweep_side(SweepSide& side, bool users,
                              const Regularization& regularization) const;

  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side (checked; `solver` names it in the error).
  ExactSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
              std::string_view solver);

  /// Collective: the objective of the model, from this rank's Σ (r − r̂)².
  [[nodiscard]] Objective combine(double local_squared_error,
                                  const Regularization& regularization) const;

  /// Collective: the other side's rows that `side`'s ratings touch, into
  /// `out` in the order of its exchange plan's wanted rows, each packed as
  /// k factors then the bias (model/row_pack.hpp).
  void fetch_packed(const SweepSide& side, std::vector<float>& out);

  dist::Comm comm_;
  const data::RatingsData& data_;
  model::Model& model_;
  std::uint64_t ratings_ = 0;  // |Ω| over all ranks

 private:
  std::vector<float> packed_;  // this rank's rows of the other side, packed for sending
};

}  // namespace dmf::solvers
