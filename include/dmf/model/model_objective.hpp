// What a model directory's manifest says of the objective its factors
// minimize (docs/design.md §2), for what solves new rows against the fixed
// other side (fold-in): the feedback kind, the user side's λ and the
// weighting of the penalty, and for implicit feedback the confidence
// (--alpha, --confidence, --confidence-epsilon). The biases and μ are the
// manifest's "biases" and "mu".
//
// Read from the manifest's "feedback" (absent: explicit, the only kind dmf
// trained before it was written) and "run_options" (the train options, as
// text). A manifest without run_options (a model written before they were
// recorded, or by hand) gets dmf train's defaults, and says so (`recorded`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "dmf/model/feedback.hpp"

namespace dmf::model {

struct ModelObjective {
  Feedback feedback = Feedback::kExplicit;
  double lambda_user = 0.05;    // dmf train's default --lambda
  bool count_weighting = true;  // --reg-weighting count (the default) or uniform
  bool recorded = false;        // whether λ and the weighting came from the manifest
  // Implicit feedback's confidence c = 1 + α|r| or 1 + α log(1 + |r|/ε),
  // with dmf train's defaults (solvers/ials/confidence.hpp). Plain values
  // here: the model layer does not depend on the solvers.
  double alpha = 1.0;
  bool log_confidence = false;  // --confidence log (else linear)
  double confidence_epsilon = 1.0;
};

/// The objective recorded in `manifest` (read from `path`, for errors).
/// Values that are there but malformed are an error naming the file.
[[nodiscard]] ModelObjective model_objective(const nlohmann::json& manifest,
                                             const std::string& path);

}  // namespace dmf::model
