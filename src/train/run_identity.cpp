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

/// The recorded options with the names older dmfs gave them replaced by
/// today's (RenamedOption): a renamed value replaces the one recorded under
/// the new name, which was then another solver's.
nlohmann::json with_current_names(nlohmann::json recorded,
                                  const std::vector<RenamedOption>& renamed) {
  const nlohmann::json as_written = recorded;
  for (const auto& rename : renamed) {
    if (!as_written.contains(rename.old_name)) continue;
    recorded.erase(rename.old_name);
    if (option_text(as_written, rename.when.first) == rename.when.second) {
      recorded[rename.name] = as_written[rename.old_name];
    }
  }
  return recorded;
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
  const nlohmann::json written = manifest.value(key, nlohmann::json());
  if (!written.is_object()) return fmt::format("has no \"{}\" to compare options with", key);
  const nlohmann::json there = with_current_names(written, renamed);
  std::set<std::string> names;
  for (const auto& [name, value] : there.items()) names.insert(name);
  for (const auto& [name, value] : options.items()) names.insert(name);
  std::vector<std::string> gone;
  std::vector<std::string> differences;
  for (const auto& name : names) {
    const std::string a = option_text(there, name);
    const std::string b = option_text(options, name);
    if (!there.contains(name)) {
      // Written before the option existed: that dmf behaved as its default.
      if (b == option_text(defaults, name)) continue;
    } else if (!options.contains(name)) {
      // An option this dmf no longer compares (free now) is no difference;
      // one it no longer has at all is, and is named as such.
      if (defaults.contains(name)) continue;
      gone.push_back(fmt::format("--{} {}", name, a));
      continue;
    }
    if (a != b) differences.push_back(fmt::format("--{} {} there, {} here", name, a, b));
  }
  if (!gone.empty()) {
    return fmt::format("was written by an older dmf, with options this dmf no longer has: {}",
                       fmt::join(gone, ", "));
  }
  if (differences.empty()) return {};
  return fmt::format("was written with other options: {}", fmt::join(differences, "; "));
}

}  // namespace dmf::train
