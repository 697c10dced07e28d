// `dmf train --resume`: which checkpoint a run goes on from, and whether it
// may (the same data, the same options that shape the model's path).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dmf/cli/params.hpp"
#include "dmf/cli/train_options.hpp"
#include "dmf/core/console.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/train/checkpoint.hpp"
#include "dmf/train/run_identity.hpp"

namespace dmf::cli {

/// The options a resumed run must share with the run that wrote the
/// checkpoint: all but those declared free_on_resume (epochs, stopping
/// rules, threads, file names, outputs).
/// Saved in every checkpoint's manifest as "resume_options".
[[nodiscard]] nlohmann::json resume_options(const ParamSet& params);

/// The options that decide a trained model and its metrics: all but those
/// declared outcome_free (resume_options and the epochs, stopping rules and
/// held-out sets). Saved in the model's
/// manifest as "run_options".
[[nodiscard]] nlohmann::json run_options(const ParamSet& params);

/// This run's identity as a manifest keeps it under `key` ("resume_options"
/// or "run_options"), with every option's default and the options older
/// dmfs recorded under other names, so that their checkpoints and models
/// still count as this run's when nothing that matters changed
/// (docs/design.md §6).
[[nodiscard]] train::RunIdentity run_identity_of(const ParamSet& params, std::string fingerprint,
                                                 const std::string& key);

/// Collective: with --resume, the manifest of --out when that is already a
/// model directory (a job killed after it published its model, then
/// requeued); nothing otherwise, and then --out is checked as usual.
[[nodiscard]] std::optional<nlohmann::json> published_model(const dist::Comm& comm,
                                                            const TrainOptions& o);

/// Collective: is `published` (from published_model) this run's finished
/// model? True when its data fingerprint and run options are `run`'s and
/// its files are intact (fails, naming the file, when one is corrupt);
/// false when it is another model and --overwrite may replace it; fails
/// on every rank, saying what differs, when it may not.
[[nodiscard]] bool is_finished_model(const dist::Comm& comm, const TrainOptions& o,
                                     const nlohmann::json& published,
                                     const train::RunIdentity& run);

/// Collective: the checkpoint --resume asks for: with "auto", the newest
/// usable one in --checkpoint-dir, or nothing (start fresh); with a path,
/// that checkpoint (or, for a checkpoint directory, the one its `latest`
/// names), failing when it cannot be used.
[[nodiscard]] std::optional<train::Checkpoint> checkpoint_to_resume(const dist::Comm& comm,
                                                                    const TrainOptions& o,
                                                                    const Console& console);

/// Collective: fails on every rank, saying what differs, when `checkpoint`
/// is not `run`'s (other data, other resume options).
void check_resumable(const dist::Comm& comm, const train::Checkpoint& checkpoint,
                     const train::RunIdentity& run);

}  // namespace dmf::cli
