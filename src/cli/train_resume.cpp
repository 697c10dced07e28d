#include "dmf/cli/train_resume.hpp"

#include <filesystem>
#include <set>

#include "dmf/core/error.hpp"

namespace dmf::cli {
namespace {

/// Options a resumed run may change: they decide how long it runs, where
/// its outputs go, how it reads its files (the data fingerprint checks what
/// was read) and how it is parallelised, not the path of the model.
const std::set<std::string, std::less<>>& free_options() {
  static const std::set<std::string, std::less<>> kFree{"config",
                                                        "quiet",
                                                        "verbose",
                                                        "data",
                                                        "format",
                                                        "sep",
                                                        "columns",
                                                        "header",
                                                        "duplicates",
                                                        "bad-lines",
                                                        "rating-range",
                                                        "validation",
                                                        "test",
                                                        "epochs",
                                                        "tol-objective",
                                                        "tol-gradient",
                                                        "tol-params",
                                                        "early-stop",
                                                        "threads",
                                                        "out",
                                                        "metrics-out",
                                                        "overwrite",
                                                        "checkpoint-dir",
                                                        "checkpoint-every",
                                                        "checkpoint-seconds",
                                                        "keep-checkpoints",
                                                        "resume"};
  return kFree;
}

}  // namespace

nlohmann::json resume_options(const ParamSet& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : params.effective_values()) {
    if (!free_options().contains(name)) out[name] = value;
  }
  return out;
}

std::optional<train::Checkpoint> checkpoint_to_resume(const dist::Comm& comm, const TrainOptions& o,
                                                      const Console& console) {
  if (o.resume.empty()) return std::nullopt;
  if (o.resume == "auto") return train::find_checkpoint(comm, o.checkpoint_dir, console);
  // A checkpoint directory stands for the checkpoint its `latest` names.
  const std::filesystem::path latest = std::filesystem::path(o.resume) / "latest";
  std::error_code ec;
  const bool is_store =
      std::filesystem::is_symlink(latest, ec) &&
      !std::filesystem::exists(std::filesystem::path(o.resume) / "manifest.json", ec);
  const bool any_store = comm.allreduce<int>(is_store ? 1 : 0, dist::Op::kMax) != 0;
  return train::open_checkpoint(comm, any_store ? latest.string() : o.resume);
}

void check_resumable(const dist::Comm& comm, const train::Checkpoint& checkpoint,
                     const std::string& fingerprint, const nlohmann::json& options) {
  comm.agree([&] {
    const auto& m = checkpoint.manifest;
    const std::string saved_fingerprint = m.at("data").at("fingerprint").get<std::string>();
    DMF_CHECK(saved_fingerprint == fingerprint,
              "{} was trained on other data: fingerprint {} ({} ratings of {}), this run's data "
              "has fingerprint {}; resume it with its own data, or start fresh in another "
              "--checkpoint-dir",
              checkpoint.path, saved_fingerprint, m["data"].value("ratings", 0ULL),
              m["data"].value("path", std::string("?")), fingerprint);
    const nlohmann::json& saved = m.at("resume_options");
    std::vector<std::string> differences;
    std::set<std::string> names;
    for (const auto& [name, value] : saved.items()) names.insert(name);
    for (const auto& [name, value] : options.items()) names.insert(name);
    for (const auto& name : names) {
      const std::string there = saved.contains(name) ? saved[name].get<std::string>() : "(none)";
      const std::string here = options.contains(name) ? options[name].get<std::string>() : "(none)";
      if (there != here)
        differences.push_back(fmt::format("--{} {} there, {} here", name, there, here));
    }
    DMF_CHECK(differences.empty(),
              "{} was written with other options: {}; resume with the same options, or start "
              "fresh in another --checkpoint-dir",
              checkpoint.path, fmt::join(differences, "; "));
  });
}

}  // namespace dmf::cli
