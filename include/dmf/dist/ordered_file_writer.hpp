// A file that every rank of a communicator writes together, each rank's
// parts landing in rank order, through MPI-IO. It becomes visible under its
// final name only when complete (temporary file, fsync, rename), and never
// replaces a file the user has unless asked to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dmf/dist/comm.hpp"

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

  /// Collective: flushes to stable storage and moves the file into place.
  void commit();

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
  int file_handle_ = 0;  // MPI_File_c2f of the open file
};

}  // namespace dmf::dist
