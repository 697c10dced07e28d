// Which run a checkpoint or a model directory belongs to: the fingerprint of
// the training data it was trained on and the options that shaped it, both
// in its manifest. A run may resume, rotate away or declare complete only
// what is its own; anything else is another run's and is left alone.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dmf::train {

struct RunIdentity {
  std::string fingerprint;  // of the training ratings (data/fingerprint.hpp)
  /// Option name -> value (text), as the manifest keeps them under `key`.
  nlohmann::json options = nlohmann::json::object();
  std::string key = "resume_options";

  /// Why `manifest` is not this run's, as a clause after its path ("was
  /// trained on other data: ..." or "was written with other options:
  /// --lambda 0.05 there, 0.1 here"), or "" when it is.
  [[nodiscard]] std::string difference(const nlohmann::json& manifest) const;
};

}  // namespace dmf::train
