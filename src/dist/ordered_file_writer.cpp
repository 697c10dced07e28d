#include "dmf/dist/ordered_file_writer.hpp"

#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include "dmf/core/hash.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/sync.hpp"

namespace dmf::dist {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxBytesPerCall = 1ULL << 30U;  // MPI counts are int

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return {text, static_cast<std::size_t>(length)};
}

/// Rank 0's check that the file may be created; nullopt if so.
/// Only a regular file is ever replaced: a symbolic link, a device or a FIFO
/// would be turned into a regular file by the rename.
std::optional<std::string> refusal(const std::string& path, bool overwrite) {
  return io::file_output_refusal(path, overwrite);
}

/// Flushes the directory entry of a rename to disk.
void sync_directory(const std::string& path) {
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
  io::sync_path(parent.string());
}

}  // namespace

OrderedFileWriter::OrderedFileWriter(const Comm& comm, std::string path, bool overwrite,
                                     Publish publish)
    : comm_(comm), path_(std::move(path)), overwrite_(overwrite), publish_(publish) {
  std::optional<std::string> error;
  if (comm_.is_root()) {
    error = refusal(path_, overwrite_ && publish_ == Publish::kRename);
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto tag = combine(static_cast<std::uint64_t>(::getpid()), static_cast<std::uint64_t>(now));
    temp_path_ = publish_ == Publish::kInPlace ? path_
                                               : fmt::format("{}.dmf-tmp-{:016x}", path_, tag);
  }
  comm_.raise_if_any(error);
  temp_path_ = comm_.broadcast(temp_path_, 0);

  MPI_File file = MPI_FILE_NULL;
  const int code = MPI_File_open(MPI_Comm_f2c(comm_.handle()), temp_path_.c_str(),
                                 MPI_MODE_CREATE | MPI_MODE_WRONLY | MPI_MODE_EXCL, MPI_INFO_NULL,
                                 &file);
  // MPI_File_open is collective and either succeeds or fails everywhere, but
  // agree anyway so every rank reports the same sentence.
  comm_.raise_if_any(code == MPI_SUCCESS
                         ? std::nullopt
                         : std::optional<std::string>(fmt::format(
                               "cannot create {}: {}", temp_path_, mpi_error_text(code))));
  file_handle_ = static_cast<int>(MPI_File_c2f(file));
}

OrderedFileWriter::~OrderedFileWriter() {
  if (!committed_ && comm_.is_root() && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void OrderedFileWriter::append(std::string_view part) {
  MPI_File file = MPI_File_f2c(file_handle_);
  const auto mine = static_cast<std::uint64_t>(part.size());
  const std::uint64_t offset = size_ + comm_.exscan_sum(mine);
  const std::uint64_t rounds =
      comm_.allreduce<std::uint64_t>((mine + kMaxBytesPerCall - 1) / kMaxBytesPerCall, Op::kMax);
  std::optional<std::string> error;
  for (std::uint64_t round = 0; round < rounds; ++round) {
    const std::uint64_t begin = std::min(mine, round * kMaxBytesPerCall);
    const std::uint64_t count = std::min(mine - begin, kMaxBytesPerCall);
    MPI_Status status;
    const int code = MPI_File_write_at_all(file, static_cast<MPI_Offset>(offset + begin),
                                           part.data() + begin, static_cast<int>(count), MPI_CHAR,
                                           &status);
    if (code != MPI_SUCCESS && !error) {
      error = fmt::format("writing {} failed: {}", path_, mpi_error_text(code));
    }
  }
  comm_.raise_if_any(error);
  size_ += comm_.allreduce(mine, Op::kSum);
}

void OrderedFileWriter::commit() {
  MPI_File file = MPI_File_f2c(file_handle_);
  std::optional<std::string> error;
  if (const int code = MPI_File_sync(file); code != MPI_SUCCESS) {
    error = fmt::format("flushing {} failed: {}", path_, mpi_error_text(code));
  }
  if (const int code = MPI_File_close(&file); code != MPI_SUCCESS && !error) {
    error = fmt::format("closing {} failed: {}", path_, mpi_error_text(code));
  }
  comm_.raise_if_any(error);
  if (publish_ == Publish::kInPlace) {
    committed_ = true;
    return;
  }
  if (comm_.is_root()) {
    // RENAME_NOREPLACE closes the window between our existence check and the
    // rename: a file that appeared meanwhile is still never replaced.
    const unsigned flags = overwrite_ ? 0U : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), flags) != 0) {
      error = fmt::format("cannot move {} into place as {}: {}", temp_path_, path_,
                          std::strerror(errno));
    } else {
      committed_ = true;
      sync_directory(path_);
    }
  }
  comm_.raise_if_any(error);
  committed_ = true;
}

}  // namespace dmf::dist
