#include "dmf/train/run_identity.hpp"

#include <set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace dmf::train {
namespace {

/// A value as the options object keeps it (text), or "(none)".
std::string option_text(const nlohmann::json& options, const std::string& name) {
  if (!options.is_object() || !options.contains(name)) return "(none)";
  const auto& value = options[name];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string RunIdentity::difference(const nlohmann::json& manifest) const {
  const nlohmann::json data = manifest.value("data", nlohmann::json::object());
  const std::string saved = data.is_object() ? data.value("fingerprint", std::string()) : "";
  if (saved != fingerprint) {
    return fmt::format(
        "was trained on other data: fingerprint {} ({} ratings of {}), this run's data has "
        "fingerprint {}",
        saved.empty() ? "(none)" : saved, data.is_object() ? data.value("ratings", 0ULL) : 0ULL,
        data.is_object() ? data.value("path", std::string("?")) : "?", fingerprint);
  }
  const nlohmann::json there = manifest.value(key, nlohmann::json());
  if (!there.is_object()) return fmt::format("has no \"{}\" to compare options with", key);
  std::set<std::string> names;
  for (const auto& [name, value] : there.items()) names.insert(name);
  for (const auto& [name, value] : options.items()) names.insert(name);
  std::vector<std::string> differences;
  for (const auto& name : names) {
    const std::string a = option_text(there, name);
    const std::string b = option_text(options, name);
    if (a != b) differences.push_back(fmt::format("--{} {} there, {} here", name, a, b));
  }
  if (differences.empty()) return {};
  return fmt::format("was written with other options: {}", fmt::join(differences, "; "));
}

}  // namespace dmf::train
