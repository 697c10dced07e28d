#include "dmf/model/model_objective.hpp"

#include <charconv>
#include <cmath>

#include "dmf/core/error.hpp"

namespace dmf::model {
namespace {

/// A run option's text, "" when absent (or unset, for an optional one).
std::string option_text(const nlohmann::json& options, const char* name, const std::string& path) {
  if (!options.contains(name)) return {};
  DMF_CHECK(options[name].is_string(), "{}: run_options.{} must be a string", path, name);
  return options[name].get<std::string>();
}

double lambda_of(const std::string& text, const char* name, const std::string& path) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  DMF_CHECK(ec == std::errc() && end == text.data() + text.size() && value >= 0.0,
            "{}: run_options.{} is '{}', not a regularization weight", path, name, text);
  return value;
}

/// A run option that must be a finite number ≥ `least` (> it, when `strict`).
double number_of(const std::string& text, const char* name, const std::string& path, double least,
                 bool strict) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool above = strict ? value > least : value >= least;
  DMF_CHECK(ec == std::errc() && end == text.data() + text.size() && std::isfinite(value) && above,
            "{}: run_options.{} is '{}', not a number {} {}", path, name, text,
            strict ? "above" : "of at least", least);
  return value;
}

}  // namespace

ModelObjective model_objective(const nlohmann::json& manifest, const std::string& path) {
  ModelObjective objective;
  if (manifest.contains("feedback")) {
    const nlohmann::json& kind = manifest["feedback"];
    DMF_CHECK(kind.is_string() && from_string(kind.get<std::string>(), objective.feedback),
              "{}: \"feedback\" is {}, not \"explicit\" or \"implicit\"", path, kind.dump());
  }
  if (!manifest.contains("run_options")) return objective;
  const nlohmann::json& options = manifest["run_options"];
  DMF_CHECK(options.is_object(), "{}: \"run_options\" must be an object", path);
  // --lambda-user, else --lambda (train_options: regularization()).
  const std::string user = option_text(options, "lambda-user", path);
  const std::string both = option_text(options, "lambda", path);
  if (!user.empty()) {
    objective.lambda_user = lambda_of(user, "lambda-user", path);
  } else if (!both.empty()) {
    objective.lambda_user = lambda_of(both, "lambda", path);
  }
  const std::string weighting = option_text(options, "reg-weighting", path);
  DMF_CHECK(weighting.empty() || weighting == "count" || weighting == "uniform",
            "{}: run_options.reg-weighting is '{}', not count or uniform", path, weighting);
  if (!weighting.empty()) objective.count_weighting = weighting == "count";
  objective.recorded = !both.empty() || !user.empty();
  // The confidence, recorded only for implicit models (the options exist
  // only under --feedback implicit): absent, dmf train's defaults.
  const std::string alpha = option_text(options, "alpha", path);
  if (!alpha.empty()) objective.alpha = number_of(alpha, "alpha", path, 0.0, false);
  const std::string scale = option_text(options, "confidence", path);
  DMF_CHECK(scale.empty() || scale == "linear" || scale == "log",
            "{}: run_options.confidence is '{}', not linear or log", path, scale);
  objective.log_confidence = scale == "log";
  const std::string epsilon = option_text(options, "confidence-epsilon", path);
  if (!epsilon.empty()) {
    objective.confidence_epsilon = number_of(epsilon, "confidence-epsilon", path, 0.0, true);
  }
  return objective;
}

}  // namespace dmf::model
