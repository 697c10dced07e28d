// Writes a directory of arrays the way DESIGN.md §6 wants model directories
// and checkpoints written: every rank writes its rows of each file at their
// offsets (MPI-IO), every file is checksummed (dist/file_checksums.hpp) into
// the manifest, which is written last, everything is fsynced, and the
// directory appears under its name in one rename. Until then it is a hidden
// sibling, which an abandoned writer removes: a crash at any instant leaves
// either nothing or the complete directory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/io/npy.hpp"

namespace dmf::model {

/// Rank 0's check that a directory may be written at `dir`: its parent
/// exists, and it does not, or `overwrite` is set and it is a dmf directory
/// (has a manifest.json) or empty. The reason it may not, or nothing.
[[nodiscard]] std::optional<std::string> dir_refusal(const std::string& dir, bool overwrite);

/// `dir` without trailing slashes ("out/" names the directory "out").
[[nodiscard]] std::string trim_dir(std::string dir);

class DirWriter {
 public:
  /// Collective. Fails on every rank when `dir` may not be written
  /// (dir_refusal) or the hidden sibling cannot be created.
  DirWriter(const dist::Comm& comm, std::string dir, bool overwrite);
  DirWriter(const DirWriter&) = delete;
  DirWriter& operator=(const DirWriter&) = delete;
  /// Unless published, rank 0 removes what was written (no MPI here, so it
  /// is safe while an error unwinds every rank).
  ~DirWriter();

  /// Collective: creates the subdirectory `name` for the files that follow.
  void make_subdir(const std::string& name);
  /// Collective: the array `file` of `total_rows` rows of `width` values
  /// (width 0: a vector), this rank's rows following the lower ranks' rows.
  void write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                   std::span<const float> rows);
  void write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                   std::span<const std::uint32_t> rows);
  /// Collective: the original ID of each of this rank's rows, one per line.
  void write_ids(const std::string& file, const data::IdDirectory& ids);

  /// Collective: adds "format_version" and the checksum of every file
  /// written ("files") to `manifest`, writes it as manifest.json, syncs and
  /// moves the directory into place (replacing an existing one atomically
  /// only with `overwrite`).
  void publish(nlohmann::json manifest, int format_version);

  /// Bytes of the files written so far (the manifest not counted).
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_; }

  /// Where the files are being written until publish().
  [[nodiscard]] const std::string& temp_dir() const noexcept { return temp_; }

 private:
  void write_bytes(const std::string& file, const io::NpyShape& shape, io::NpyType type,
                   std::string_view local);

  dist::Comm comm_;
  std::string dir_;
  std::string temp_;  // the hidden sibling (every rank knows it)
  bool overwrite_ = false;
  bool published_ = false;
  std::uint64_t bytes_ = 0;
  std::vector<std::string> files_;  // relative to the directory
  std::vector<std::string> subdirs_;
};

}  // namespace dmf::model
