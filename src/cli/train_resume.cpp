#include "dmf/cli/train_resume.hpp"

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "dmf/core/error.hpp"
#include "dmf/dist/file_checksums.hpp"
#include "dmf/model/dir_writer.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::cli {

nlohmann::json run_options(const ParamSet& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : params.effective_values()) {
    if (!params.spec(name).outcome_free) out[name] = value;
  }
  return out;
}

std::optional<nlohmann::json> published_model(const dist::Comm& comm, const TrainOptions& o) {
  if (o.resume.empty()) return std::nullopt;
  std::error_code ec;
  const bool exists = std::filesystem::exists(
      std::filesystem::path(model::trim_dir(o.out)) / model::kManifestFile, ec);
  if (comm.allreduce<int>(exists ? 1 : 0, dist::Op::kMax) == 0) return std::nullopt;
  try {
    nlohmann::json manifest = model::read_model_manifest(comm, o.out);
    if (manifest.contains("checkpoint")) return std::nullopt;
    return manifest;
  } catch (const Error&) {
    // Raised on every rank alike: not a model directory this dmf reads,
    // which the usual check of --out refuses with its own words.
    return std::nullopt;
  }
}

bool is_finished_model(const dist::Comm& comm, const TrainOptions& o,
                       const nlohmann::json& published, const train::RunIdentity& run) {
  const std::string out = model::trim_dir(o.out);
  const std::string why = run.difference(published);
  if (!why.empty()) {
    comm.agree([&] {
      DMF_CHECK(o.overwrite,
                "{} already exists and is not this run's model: it {}; pass --overwrite to "
                "replace it",
                out, why);
    });
    model::check_model_dir_writable(comm, o.out, o.overwrite);
    return false;
  }
  // Directories written before checksums existed have no "files".
  if (published.contains("files")) dist::verify_files(comm, out, published["files"]);
  return true;
}

nlohmann::json resume_options(const ParamSet& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : params.effective_values()) {
    if (!params.spec(name).free_on_resume) out[name] = value;
  }
  return out;
}

train::RunIdentity run_identity_of(const ParamSet& params, std::string fingerprint,
                                   const std::string& key) {
  train::RunIdentity run{std::move(fingerprint),
                         key == "run_options" ? run_options(params) : resume_options(params), key};
  for (const auto& [name, value] : params.effective_values()) {
    run.defaults[name] = params.spec(name).default_text;
  }
  // sgd's own step options before gd and sgd shared --optimizer, --lr and
  // --schedule (docs/design.md §4); their checkpoints also hold gd's values
  // under the shared names, which sgd did not use.
  for (const char* name : {"optimizer", "lr", "schedule"}) {
    run.renamed.push_back({fmt::format("sgd-{}", name), name, {"solver", "sgd"}});
  }
  return run;
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
      !std::filesystem::exists(std::filesystem::path(o.resume) / model::kManifestFile, ec);
  const bool any_store = comm.allreduce<int>(is_store ? 1 : 0, dist::Op::kMax) != 0;
  return train::open_checkpoint(comm, any_store ? latest.string() : o.resume);
}

void check_resumable(const dist::Comm& comm, const train::Checkpoint& checkpoint,
                     const train::RunIdentity& run) {
  comm.agree([&] {
    const std::string why = run.difference(checkpoint.manifest);
    DMF_CHECK(why.empty(),
              "{} {}; resume it with its own data and options, or start fresh in another "
              "--checkpoint-dir",
              checkpoint.path, why);
  });
}

}  // namespace dmf::cli
