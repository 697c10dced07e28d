// Writes a directory of arrays the way model directories and checkpoints are
// written (README "The model directory"): every rank writes its rows of each
// file at their offsets, every file's checksum is computed from the bytes
// written (dist/file_digests.hpp) into the manifest, which is written last
// with its own checksum beside it (manifest.xxh3), everything is fsynced,
// and the directory appears under its name in one rename. Until then it is a
// hidden sibling, which an abandoned writer removes: a crash or a failed
// write (a full disk) at any instant leaves either nothing or the complete
// directory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dmf/data/id_directory.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/dist/ordered_file_writer.hpp"
#include "dmf/io/npy.hpp"

namespace dmf::model {

inline constexpr std::string_view kManifestFile = "manifest.json";
/// The manifest's own checksum: one line, the XXH3-64 digest of
/// manifest.json's bytes (16 hex digits), two spaces and the name.
inline constexpr std::string_view kManifestChecksumFile = "manifest.xxh3";

/// The content of manifest.xxh3 for a manifest.json holding `manifest_text`.
[[nodiscard]] std::string manifest_checksum_line(std::string_view manifest_text);

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
  void write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                   std::span<const std::uint64_t> rows);
  void write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                   std::span<const std::int64_t> rows);
  /// Collective: the original ID of each of this rank's rows, one per line.
  void write_ids(const std::string& file, const data::IdDirectory& ids);

  /// Collective: adds "format_version" and the checksum of every file
  /// written ("files") to `manifest`, writes it as manifest.json with its
  /// checksum in manifest.xxh3, syncs and moves the directory into place
  /// (replacing an existing one atomically only with `overwrite`).
  void publish(nlohmann::json manifest, int format_version);

  /// Bytes of the files written so far (the manifest not counted).
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_; }

  /// Where the files are being written until publish().
  [[nodiscard]] const std::string& temp_dir() const noexcept { return temp_; }

 private:
  /// Runs `work`; an error it raises names the files by their place in the
  /// directory (not the hidden one) and says that the directory was left
  /// as it was.
  template <class Work>
  void guarded(Work&& work);
  /// Collective: the file `file`, which `fill` appends to, and its checksum.
  void write_file(const std::string& file,
                  const std::function<void(dist::OrderedFileWriter&)>& fill);
  void write_bytes(const std::string& file, const io::NpyShape& shape, io::NpyType type,
                   std::string_view local);
  void publish_on_root(const nlohmann::json& manifest);

  dist::Comm comm_;
  std::string dir_;
  std::string temp_;  // the hidden sibling (every rank knows it)
  bool overwrite_ = false;
  bool replaces_ = false;  // dir_ existed: with overwrite_, it is replaced
  bool published_ = false;
  std::uint64_t bytes_ = 0;
  nlohmann::json files_ = nlohmann::json::object();  // "files" of the manifest
  std::vector<std::string> subdirs_;
};

}  // namespace dmf::model
