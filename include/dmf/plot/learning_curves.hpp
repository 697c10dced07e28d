// Learning curves from `dmf train --metrics-out` files (JSON lines, one
// object per epoch; see train/metrics_log.hpp): reading them, and the chart
// of loss, train RMSE and validation RMSE against epoch and against time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dmf/plot/svg_chart.hpp"

namespace dmf::plot {

/// The epochs of one training run, in file order. A figure that was not
/// measured (null in the file: a NaN, e.g. the RMSE of an empty validation
/// set; or absent: no validation set) is NaN, which the chart shows as a gap.
struct Curve {
  std::string label;
  std::vector<double> epoch;
  std::vector<double> elapsed;  // seconds since training started
  std::vector<double> loss;
  std::vector<double> train_rmse;
  std::vector<double> validation_rmse;
};

/// The runs of one metrics file: one curve, or one per restart of a
/// `--restarts N` run (labelled "`label` (restart r)"). Throws dmf::Error
/// naming the file and line of a line that is not a JSON object or lacks
/// "epoch", "elapsed", "loss" or "train_rmse", and the file when it has no
/// epochs.
[[nodiscard]] std::vector<Curve> read_metrics_file(const std::string& path,
                                                   const std::string& label);

/// Six panels, two per row: loss, train RMSE and validation RMSE against
/// epoch (left) and against seconds since training started (right), every
/// curve in each, named in the legend.
[[nodiscard]] Chart learning_curves_chart(std::span<const Curve> curves);

}  // namespace dmf::plot
