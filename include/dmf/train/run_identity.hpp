// Which run a checkpoint or a model directory belongs to: the fingerprint of
// the training data it was trained on and the options that shaped it, both
// in its manifest. A run may resume, rotate away or declare complete only
// what is its own; anything else is another run's and is left alone.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dmf::train {

/// An option an older dmf recorded under another name: `old_name`'s value
/// is `name`'s when the recorded option `when.first` is `when.second`
/// (--sgd-lr is --lr under --solver sgd); otherwise it was an option of
/// something the run did not use, and is left out.
struct RenamedOption {
  std::string old_name;
  std::string name;
  std::pair<std::string, std::string> when;
};

struct RunIdentity {
  std::string fingerprint;  // of the training ratings (data/fingerprint.hpp)
  /// Option name -> value (text), as the manifest keeps them under `key`.
  nlohmann::json options = nlohmann::json::object();
  std::string key = "resume_options";
  /// Every option this dmf knows, name -> its default (text) for this run,
  /// compared or not: an option a manifest lacks was written by a dmf
  /// before it existed, which behaved as its default (docs/design.md §6).
  nlohmann::json defaults = nlohmann::json::object();
  /// Options older dmfs recorded under other names.
  std::vector<RenamedOption> renamed = {};

  /// Why `manifest` is not this run's, as a clause after its path ("was
  /// trained on other data: ..." or "was written with other options:
  /// --lambda 0.05 there, 0.1 here"), or "" when it is.
  [[nodiscard]] std::string difference(const nlohmann::json& manifest) const;
};

}  // namespace dmf::train
