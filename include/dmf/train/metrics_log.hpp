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

class MetricsLog {
 public:
  /// Collective. Fails on every rank when `path` exists and `overwrite` is
  /// false, or cannot be created. The path "-" is standard output.
  MetricsLog(const dist::Comm& comm, std::string path, bool overwrite);

  void write(const EpochRecord& record);
  /// Lines written from now on carry "restart": `restart` (0: no such key).
  void set_restart(int restart) noexcept { restart_ = restart; }

  /// The JSON object of one epoch (also stored in the manifest's history).
  [[nodiscard]] static nlohmann::json to_json(const EpochRecord& record);
  /// The record to_json() wrote.
  [[nodiscard]] static EpochRecord from_json(const nlohmann::json& line);

 private:
  std::string path_;
  std::ofstream out_;  // open on rank 0 only
  bool to_stdout_ = false;  // rank 0, for the path "-"
  int restart_ = 0;
};

}  // namespace dmf::train
