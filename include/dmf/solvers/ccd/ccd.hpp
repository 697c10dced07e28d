// Cyclic coordinate descent in the CCD++ arrangement (Yu, Hsieh, Si,
// Dhillon, ICDM 2012; docs/design.md §4). An epoch goes over the
// coordinates one at a time: the biases (b_u, b_i), then each latent
// dimension t as a rank-one problem in (p_·t, q_·t). A coordinate's
// contribution is added back to the residuals, `inner` alternating passes
// solve the users' values in closed form given the items', then the items'
// given the users', and the new contribution is subtracted.
//
// The residuals are kept twice: beside the user block (CSR, on each user's
// owner) and beside the item block (CSC, on each item's owner), updated by
// the same functions from the same values so that both copies stay
// bit-identical (ccd/coordinate.hpp). Per coordinate a rank needs only that
// coordinate's value of the other side's rows it touches: one float per row
// through the exchange plans ALS uses, never whole rows. The residuals are
// computed afresh from the model at the start of every epoch (one exchange
// of whole rows each way), so an epoch depends on the model alone: a
// checkpoint (the model) resumes to the same bytes on any rank count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/row_exchange.hpp"
#include "dmf/model/model.hpp"
#include "dmf/solvers/exact_solver.hpp"

namespace dmf::solvers {

struct CcdOptions {
  Regularization regularization;
  int threads = 1;
  int inner = 1;  // alternating passes per coordinate (--ccd-inner)
};

class CcdSolver final : public ExactSolver {
 public:
  /// Collective. `data` and `model` must outlive the solver; `model` has the
  /// rows `data` owns on each side.
  CcdSolver(const dist::Comm& comm, const data::RatingsData& data, model::Model& model,
            CcdOptions options);

  [[nodiscard]] std::string_view name() const override { return "ccd"; }
  std::optional<Objective> run_epoch(const BetweenSteps& between_steps) override;
  [[nodiscard]] Objective objective() override;
  [[nodiscard]] Traffic traffic_per_epoch() const override;
  /// The inner passes per coordinate.
  [[nodiscard]] nlohmann::json report() const override;

  // The steps of an epoch, public for the tests (each collective).
  /// Both copies of the residuals computed from the model.
  void refresh_residuals();
  /// The bias coordinates (nothing when the model has no bias). Each
  /// coordinate moves at most once between two refresh_residuals().
  void update_biases();
  /// Latent dimension t in [0, k).
  void update_dimension(int t);
  /// Σ (r − r̂)² of this rank's item block, from the kept residuals.
  [[nodiscard]] double kept_squared_error();
  /// The kept residuals, in the order of the user block's and the item
  /// block's ratings.
  [[nodiscard]] std::span<const float> user_residuals() const { return users_.residuals; }
  [[nodiscard]] std::span<const float> item_residuals() const { return items_.residuals; }

 private:
  /// One side's view: its block of ratings and their residuals, its rows,
  /// the plan that brings it the other side's rows, and the other side's
  /// value of the current coordinate per fetched row.
  struct Side : SweepSide {
    std::vector<float> residuals;       // per rating
    std::vector<float> rows_at_start;   // the other side's rows (k + 1 each) at the refresh
    std::vector<float> start;           // the other side's value as the coordinate began
    std::vector<float> current;         // ... and as last updated
    std::vector<float> previous;        // ... of the coordinate before, final
    std::vector<std::uint32_t> ranges;  // rows [ranges[p], ranges[p + 1]) a thread takes at a time
  };

  /// Which coordinate: a latent dimension (0..k−1) or the biases.
  static constexpr int kBiases = -1;
  static constexpr int kNothing = -2;

  /// The user side (`users`) or the item side, with its buffers.
  Side make_side(bool users);
  /// Sends `from`'s own values of `coordinate` to `to`'s fetched `out`.
  void send(const Side& from, Side& to, int coordinate, std::vector<float>& out);
  /// One pass over `side`'s rows: with `add_back`, first takes the pending
  /// coordinate's product out of the residuals and adds this one's back
  /// (own value before the pass, the other side's in `start`); then solves
  /// each row's value given `current`.
  void solve_rows(Side& side, int coordinate, bool add_back);
  /// One pass over `side`'s rows and their residuals: takes `removed`'s
  /// product out, adds `added`'s back, solves `solved` (each may be
  /// kNothing).
  void pass_rows(Side& side, int removed, int added, int solved);
  /// Takes the pending coordinate's product out of both sides' residuals.
  void flush_removal();
  void update_coordinate(int coordinate);
  void refresh(Side& side);

  CcdOptions options_;
  Side users_;
  Side items_;
  int pending_ = kNothing;          // the coordinate whose new product is yet to be taken out
  std::vector<float> column_;       // own values of one coordinate, for sending
  std::vector<bool> updated_;       // per coordinate (the biases last): done since the refresh
  std::vector<double> row_errors_;  // per row of the side being summed
};

}  // namespace dmf::solvers
