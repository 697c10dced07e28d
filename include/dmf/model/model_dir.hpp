// The model directory (README "The model directory"): what
// `dmf train --out DIR` writes and `dmf eval | predict | recommend --model
// DIR` read.
//
//   DIR/manifest.json       format_version, the checksum of every other file
//                           ("files", dist/file_checksums.hpp), and what the
//                           trainer puts in it
//   DIR/manifest.xxh3       the checksum of manifest.json
//   DIR/user_factors.npy    float32 (users × k), canonical row order
//   DIR/item_factors.npy    float32 (items × k)
//   DIR/user_bias.npy       float32 (users,)
//   DIR/item_bias.npy       float32 (items,)
//   DIR/user_ids.txt        the original ID of each row, one per line
//   DIR/item_ids.txt
//
// Every rank writes its own rows at their offsets (MPI-IO), so the files are
// byte-identical for any number of ranks. The directory appears under its
// name only when complete (model/dir_writer.hpp). Reading verifies the
// checksums.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/model/feedback.hpp"
#include "dmf/model/model.hpp"

namespace dmf::model {

/// Version of the directory layout, in manifest.json as "format_version".
inline constexpr int kModelFormatVersion = 1;

/// Collective. Writes `model` with its IDs to `dir`. `model.users` must hold
/// exactly the rows `users` owns on this rank (same for items). `manifest`
/// is written as manifest.json with "format_version" added. Fails on every
/// rank, before writing anything, when `dir` exists and `overwrite` is false;
/// with `overwrite` an existing model directory (or empty directory) is
/// replaced atomically, and anything else is refused.
void write_model_dir(const dist::Comm& comm, const std::string& dir, const Model& model,
                     const data::IdDirectory& users, const data::IdDirectory& items,
                     const nlohmann::json& manifest, bool overwrite);

/// Collective: fails on every rank, as write_model_dir would, when `dir`
/// may not be written (it exists without `overwrite`, is not a model
/// directory, or its parent is missing). For commands that check up front.
void check_model_dir_writable(const dist::Comm& comm, const std::string& dir, bool overwrite);

/// A model directory loaded over the ranks of a communicator. Rows are split
/// over ranks evenly by count; `users` / `items` map original IDs to rows.
struct LoadedModel {
  Model model;
  /// The manifest's "feedback" (absent in directories written before it
  /// existed: explicit).
  Feedback feedback = Feedback::kExplicit;
  data::IdDirectory users;
  data::IdDirectory items;
  nlohmann::json manifest;
};

/// Collective: `dir`/manifest.json, verified against its checksum in
/// `dir`/manifest.xxh3 (when there is one: directories written before it
/// existed have none), and checked for the keys every model directory has
/// (format_version, k, biases, mu), for a known "feedback" when it has one,
/// and, when it lists checksums ("files"),
/// for names inside `dir` and every file of a model directory among them.
/// Errors name the file.
[[nodiscard]] nlohmann::json read_model_manifest(const dist::Comm& comm, const std::string& dir);

/// The feedback kind of a manifest read_model_manifest() accepted.
[[nodiscard]] Feedback feedback_of(const nlohmann::json& manifest);

/// Whether `relative`, a path from a manifest, stays inside the directory:
/// not absolute, no "..".
[[nodiscard]] bool stays_inside(const std::string& relative);

/// Collective: fails on every rank unless every file under `dir` but the
/// manifest and its checksum is listed in `manifest`'s "files". For
/// directories only dmf writes into (checkpoints): there a file the
/// manifest does not list is one it lost, and would be read unverified.
void check_all_files_listed(const dist::Comm& comm, const std::string& dir,
                            const nlohmann::json& manifest);

/// Collective. Reads `dir`. Errors (missing, malformed or corrupt files,
/// shapes that disagree, a format_version this build does not read) name
/// the file and are raised on every rank.
[[nodiscard]] LoadedModel read_model_dir(const dist::Comm& comm, const std::string& dir);

}  // namespace dmf::model
