// What rank 0 tells the user while training: one line per epoch (loss,
// train and validation RMSE, seconds), and on a terminal a live status line
// with the ETA under it; in a batch log only the plain lines.
#pragma once

#include <optional>

#include "dmf/core/console.hpp"

namespace dmf::train {

/// One epoch's figures (DESIGN.md §2: loss is L / |Ω|).
struct EpochRecord {
  int epoch = 0;
  double loss = 0.0;
  double objective = 0.0;
  double train_rmse = 0.0;
  std::optional<double> validation_rmse;
  std::optional<double> learning_rate;     // at the epoch's start (gd)
  std::optional<double> parameter_change;  // ‖Δθ‖ / ‖θ‖ (when --tol-params)
  std::optional<double> gradient_norm;     // ‖∇L‖ / |Ω| (when --tol-gradient)
  double seconds = 0.0;   // this epoch (solver and validation)
  double elapsed = 0.0;   // since training started
};

class Progress {
 public:
  /// `live`: draw the status line (stderr is a terminal).
  Progress(const Console& console, int epochs, bool live);

  void start();
  void epoch(const EpochRecord& record);
  /// Clears the status line.
  void finish();

  /// True when stderr is a terminal.
  [[nodiscard]] static bool stderr_is_terminal();

 private:
  void status(int next_epoch, double eta_seconds);

  const Console& console_;
  int epochs_;
  bool live_;
};

}  // namespace dmf::train
