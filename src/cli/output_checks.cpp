#include "dmf/cli/output_checks.hpp"

#include <filesystem>

namespace dmf::cli {
namespace {

namespace fs = std::filesystem;

/// Why `output` cannot be written, or nullopt.
std::optional<std::string> refusal(const io::NamedPath& output) {
  using Kind = io::NamedPath::Kind;
  if (output.path.empty()) return fmt::format("{} is empty; give a path", output.option);
  std::optional<std::string> why;
  switch (output.kind) {
    case Kind::kFile:
      if (output.path == "-") return std::nullopt;
      // Its sentences start with the path.
      if (auto file = io::file_output_refusal(output.path, output.overwrite)) {
        return fmt::format("{} {}", output.option, *file);
      }
      why = io::directory_refusal(io::parent_directory(output.path));
      break;
    case Kind::kReplacedDir:
      why = io::directory_refusal(io::parent_directory(output.path));
      break;
    case Kind::kDirectory: {
      // Written into, created with its parents when missing: the nearest
      // directory that exists must take new entries.
      std::error_code ec;
      fs::path existing(output.path);
      while (!fs::exists(existing, ec) && existing.has_parent_path() &&
             existing.parent_path() != existing) {
        existing = existing.parent_path();
      }
      if (!fs::exists(existing, ec)) existing = ".";
      if (!fs::is_directory(existing, ec)) {
        return fmt::format("{} {}: {} is not a directory", output.option, output.path,
                           existing.string());
      }
      why = io::directory_refusal(existing.string());
      break;
    }
  }
  if (why) return fmt::format("{} {}: {}", output.option, output.path, *why);
  return std::nullopt;
}

}  // namespace

void check_output_paths(const dist::Comm& comm, const std::vector<io::NamedPath>& outputs,
                        const std::vector<io::NamedPath>& inputs) {
  comm.agree([&] {
    if (!comm.is_root()) return;
    // A clash first: it says more than the missing directory it may cause.
    if (auto why = io::path_clash(outputs, inputs)) throw Error(*why);
    for (const auto& output : outputs) {
      if (auto why = refusal(output)) throw Error(*why);
    }
  });
}

std::vector<io::NamedPath> with_config(std::vector<io::NamedPath> inputs, const ParamSet& params) {
  for (const auto& spec : params.specs()) {
    if (spec.name == "config" && !spec.current().empty()) {
      inputs.push_back({"--config", spec.current(), io::NamedPath::Kind::kFile});
    }
  }
  return inputs;
}

}  // namespace dmf::cli
