// A file that every rank of a communicator writes together, each rank's
// parts landing in rank order at their offsets. It becomes visible under its
// final name only when complete (temporary file, fsync, rename), and never
// replaces a file the user has unless asked to. A failed write (a full disk,
// a file size limit) is an error on every rank naming the file and the
// reason, and leaves nothing behind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/file_digests.hpp"
#include "dmf/io/output_file.hpp"

namespace dmf::dist {

class OrderedFileWriter {
 public:
  /// How the file reaches its name: through a temporary file and a rename
  /// (the default), or written in place, for files inside a directory that
  /// is itself published by a rename (model/dir_writer.hpp), where the extra
  /// rename and directory sync per file buy nothing.
  enum class Publish { kRename, kInPlace };

  /// Collective. Fails on every rank if `path` exists and `overwrite` is
  /// false, or if its directory does not exist.
  OrderedFileWriter(const Comm& comm, std::string path, bool overwrite,
                    Publish publish = Publish::kRename);
  OrderedFileWriter(const OrderedFileWriter&) = delete;
  OrderedFileWriter& operator=(const OrderedFileWriter&) = delete;
  /// An uncommitted file is abandoned: its temporary file is removed. Never
  /// calls MPI here, so an exception on one rank cannot hang the others.
  ~OrderedFileWriter();

  /// Collective: appends every rank's `part` after everything written so
  /// far, rank 0's part first. Parts may be empty.
  void append(std::string_view part);

  /// Collective: flushes to stable storage, checks the size on disk and
  /// moves the file into place.
  void commit();

  /// After commit(): the XXH3-64 digest of each chunk of the file
  /// (io/checksum.hpp), computed from the bytes appended, on every rank.
  [[nodiscard]] const std::vector<std::uint64_t>& chunk_digests() const noexcept {
    return chunk_digests_;
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Bytes in the file so far (the same on every rank).
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

 private:
  Comm comm_;
  std::string path_;
  std::string temp_path_;
  bool overwrite_ = false;
  Publish publish_ = Publish::kRename;
  bool committed_ = false;
  std::uint64_t size_ = 0;
  std::optional<io::OutputFile> file_;  // this rank's handle on temp_path_
  FileDigests digests_{comm_};
  std::vector<std::uint64_t> chunk_digests_;
};

}  // namespace dmf::dist
