// Checkpoints (docs/design.md §6): a directory D of numbered checkpoints and a
// `latest` pointer.
//
//   D/ckpt-000007-epoch-12/          a model directory (model/dir_writer.hpp)
//       manifest.json                 + "checkpoint": the trainer loop's state,
//                                       the solver's counters and settings
//       user_factors.npy ...          the state now: model, optimizer state
//       epoch-10/...                  states the loop keeps beside it (the
//                                       last good one, early stopping's best)
//   D/ckpt-000008-epoch-13-step-40/   a checkpoint between two steps
//   D/latest -> ckpt-000008-epoch-13-step-40
//
// A checkpoint is written like a model directory (hidden sibling, checksums,
// fsync, rename), then `latest` is replaced by a rename, then all but the
// newest `keep` are removed: a crash at any instant leaves the previous or
// the new checkpoint complete and `latest` naming a complete one. Rows are in
// canonical order, so a checkpoint written by P ranks loads on any number.
//
// The store removes only its own run's checkpoints (run_identity.hpp), and
// of those only the ones that hold nothing but what a checkpoint writes: a
// directory holding another run's checkpoints is refused, a file a user put
// into a checkpoint keeps that checkpoint where it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/core/console.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/io/file_lock.hpp"
#include "dmf/solvers/solver_state.hpp"
#include "dmf/train/run_identity.hpp"

namespace dmf::train {

/// One state to save: `key` names it in the manifest, `subdir` is where its
/// arrays go ("" for the checkpoint's own top level).
struct SavedState {
  std::string key;
  std::string subdir;
  const solvers::SolverState* state = nullptr;
};

class CheckpointStore {
 public:
  /// Collective. Creates `dir` when missing (its parent must exist). Fails
  /// on every rank when `dir` holds a checkpoint of a run other than `run`,
  /// or when another process writes checkpoints there (it holds
  /// `dir`/.dmf-checkpoints.lock: two runs would remove each other's
  /// checkpoints in the making); warns about directories named like
  /// checkpoints that are none.
  CheckpointStore(const dist::Comm& comm, std::string dir, int keep, const data::IdDirectory& users,
                  const data::IdDirectory& items, RunIdentity run, const Console& console);

  /// What one write did.
  struct Written {
    std::string path;
    std::uint64_t bytes = 0;  // of every file
    double seconds = 0.0;     // from the first byte to `latest` moved
  };

  /// Collective: writes a checkpoint named after `label` holding `states`,
  /// with `manifest` (which must have what a model directory's has: k,
  /// biases, mu), the run's identity and "checkpoint" added; points `latest`
  /// at it and removes this run's oldest beyond `keep`.
  Written write(const std::string& label, const std::vector<SavedState>& states,
                nlohmann::json manifest);

  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

 private:
  /// Rank 0: reads what `dir_` holds; throws when another run's is there.
  void survey();
  void point_latest(const std::string& name) const;
  void remove_old();

  dist::Comm comm_;
  std::string dir_;
  int keep_ = 3;
  const data::IdDirectory& users_;
  const data::IdDirectory& items_;
  RunIdentity run_;
  const Console& console_;
  std::uint64_t sequence_ = 0;  // of the newest checkpoint in dir_
  io::FileLock lock_;           // rank 0: dir_ is this run's while it runs
  // Rank 0: this run's checkpoints that rotation may remove, oldest first.
  std::vector<std::string> own_;
};

/// A checkpoint to resume from, verified.
struct Checkpoint {
  std::string path;
  nlohmann::json manifest;
};

/// Collective: reads `path`'s manifest and verifies every file's checksum;
/// fails on every rank, naming the file, when anything is wrong.
[[nodiscard]] Checkpoint open_checkpoint(const dist::Comm& comm, const std::string& path);

/// Collective: the newest usable checkpoint in `dir`: the one `latest`
/// names, else the others newest first, warning about each that is corrupt
/// or incomplete. Nothing when `dir` has none that can be used.
[[nodiscard]] std::optional<Checkpoint> find_checkpoint(const dist::Comm& comm,
                                                        const std::string& dir,
                                                        const Console& console);

/// A state saved in a checkpoint, read back.
class CheckpointSource final : public solvers::StateSource {
 public:
  /// `key` is the state's key in checkpoint.manifest["checkpoint"]["states"].
  CheckpointSource(const Checkpoint& checkpoint, const std::string& key);

  [[nodiscard]] std::vector<float> floats(const std::string& name, solvers::Side side,
                                          std::uint64_t width, std::uint32_t first,
                                          std::uint32_t count) const override;
  [[nodiscard]] std::vector<std::uint32_t> uint32s(const std::string& name, solvers::Side side,
                                                   std::uint64_t width, std::uint32_t first,
                                                   std::uint32_t count) const override;
  [[nodiscard]] const nlohmann::json& counters() const override { return counters_; }

 private:
  [[nodiscard]] std::string file(const std::string& name) const;
  [[nodiscard]] std::uint64_t rows(solvers::Side side) const;

  std::string dir_;
  std::uint64_t users_ = 0;
  std::uint64_t items_ = 0;
  nlohmann::json counters_;
};

}  // namespace dmf::train
