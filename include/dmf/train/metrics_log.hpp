// --metrics-out FILE: every epoch's figures as one JSON object per line, for
// plotting and for machines. Written by rank 0 and flushed each epoch, so a
// run that is killed keeps the lines of the epochs it finished.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "dmf/dist/comm.hpp"
#include "dmf/train/progress.hpp"

namespace dmf::train {

/// Which existing file at the path a MetricsLog may replace. Nothing a user
/// or another run wrote is replaced without --overwrite.
struct MetricsTakeover {
  bool overwrite = false;  // any file (--overwrite)
  bool empty = false;      // an empty file: what a run killed in its first epoch leaves
  /// A resumed run's: a file whose lines begin as this history (the
  /// checkpoint's, lines of to_json()) does, the file of the run it resumes.
  const nlohmann::json* history = nullptr;
};

class MetricsLog {
 public:
  /// Collective. Fails on every rank when `path` exists and `takeover`
  /// does not allow replacing it (check()), or cannot be created. The path "-" is standard output.
  MetricsLog(const dist::Comm& comm, std::string path, const MetricsTakeover& takeover);

  /// Collective: fails on every rank when `path` exists and `takeover` does
  /// not allow replacing it. For checking before anything else is written.
  static void check(const dist::Comm& comm, const std::string& path,
                    const MetricsTakeover& takeover);

  void write(const EpochRecord& record);
  /// Lines written from now on carry "restart": `restart` (0: no such key).
  void set_restart(int restart) noexcept { restart_ = restart; }

  /// The JSON object of one epoch (also stored in the manifest's history).
  [[nodiscard]] static nlohmann::json to_json(const EpochRecord& record);
  /// The record to_json() wrote.
  [[nodiscard]] static EpochRecord from_json(const nlohmann::json& line);

 private:
  std::string path_;
  std::ofstream out_;       // open on rank 0 only
  bool to_stdout_ = false;  // rank 0, for the path "-"
  int restart_ = 0;
};

}  // namespace dmf::train
