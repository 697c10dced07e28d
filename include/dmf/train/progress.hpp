// What rank 0 tells the user while training: one line per epoch (loss,
// train and validation RMSE, the validation metric, seconds), and on a terminal a live status line
// with the ETA under it; in a batch log only the plain lines. Solvers that
// take steps within an epoch (gd) also show the steps done, with an ETA
// from the first steps on: redrawn live at most five times a second, or as
// a plain line at most once a minute in a batch log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "dmf/core/console.hpp"

namespace dmf::train {

/// One epoch's figures (docs/design.md §2: loss is L / |Ω|).
struct EpochRecord {
  int epoch = 0;
  double loss = 0.0;
  double objective = 0.0;
  std::optional<double> train_rmse;  // none under implicit feedback (no ratings to fit)
  std::optional<double> validation_rmse;
  /// The --validation-metric when it is not rmse ("ndcg@10", "mae"; empty
  /// otherwise) and its value, absent when undefined.
  std::string validation_metric;
  std::optional<double> validation_value;
  std::optional<double> learning_rate;     // at the epoch's start (gd)
  std::optional<double> parameter_change;  // ‖Δθ‖ / ‖θ‖ (when --tol-params)
  std::optional<double> gradient_norm;     // ‖∇L‖ / |Ω| (when --tol-gradient)
  double seconds = 0.0;                    // this epoch (solver and validation)
  double elapsed = 0.0;                    // since training started
};

class Progress {
 public:
  /// Seconds since some fixed instant (a steady clock unless a test fakes it).
  using Clock = std::function<double()>;

  /// `live`: draw the status line (stderr is a terminal).
  Progress(const Console& console, int epochs, bool live, Clock clock = {});

  /// Steps in an epoch (0: the solver reports none, nothing is shown
  /// within an epoch).
  void set_steps_per_epoch(std::uint64_t steps) noexcept { steps_per_epoch_ = steps; }

  void start();
  /// `done` steps of epoch `epoch` are done (counted from the epoch's start).
  void step(int epoch, std::uint64_t done);
  void epoch(const EpochRecord& record);
  /// Clears the status line.
  void finish();

  /// True when stderr is a terminal.
  [[nodiscard]] static bool stderr_is_terminal();

 private:
  void status(int next_epoch, double eta_seconds);
  /// Seconds left at `position` steps of all epochs' steps, measured from
  /// the first position seen; negative while unknown.
  [[nodiscard]] double eta(double now, std::uint64_t position);

  const Console& console_;
  int epochs_;
  bool live_;
  Clock clock_;
  std::uint64_t steps_per_epoch_ = 0;
  std::optional<std::pair<double, std::uint64_t>> first_;  // (time, position)
  double last_shown_ = 0.0;  // when a step was last shown (or start())
};

/// What rank 0 shows while a large file is read: nothing for the first
/// second (a small file loads without a word), then on a terminal a live
/// line with the bytes read, the rate and the ETA, redrawn at most five
/// times a second; in a batch log a plain line at most every 10 s.
class LoadProgress {
 public:
  using Clock = Progress::Clock;

  /// Reading `path`, of `bytes` bytes (0: unknown, the line shows a
  /// percentage). `live`: stderr is a terminal.
  LoadProgress(const Console& console, std::string path, std::uint64_t bytes, bool live,
               Clock clock = {});

  /// `fraction` of the file is read (LoadOptions::on_progress).
  void update(double fraction);
  /// `fraction` of the ratings are routed to their owners, the load's
  /// second phase (LoadOptions::on_route_progress): the same line, its ETA
  /// from the routing's own pace.
  void route(double fraction);
  /// Clears the live line, if one was drawn.
  void finish();
  ~LoadProgress() { finish(); }
  LoadProgress(const LoadProgress&) = delete;
  LoadProgress& operator=(const LoadProgress&) = delete;

 private:
  /// True (and noted) when a line is due at `now`: past the quiet start and
  /// the redraw interval.
  bool due(double now);
  void show(const std::string& text);

  const Console& console_;
  std::string path_;
  double bytes_;
  bool live_;
  Clock clock_;
  double start_;
  double last_shown_ = -1.0;   // never shown yet
  double route_start_ = -1.0;  // when routing began (-1: not yet)
  bool drawn_ = false;
};

}  // namespace dmf::train
