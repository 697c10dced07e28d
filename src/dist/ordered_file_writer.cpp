#include "dmf/dist/ordered_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

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
  // Rank 0 creates the file, then the others open it. Each rank writes its
  // parts with pwrite, whose counts and errors are exact; MPI-IO reported a
  // full disk as success with nothing written, and a rank failing inside a
  // collective MPI-IO call left the others waiting in it.
  comm_.agree([&] {
    if (comm_.is_root()) file_.emplace(io::OutputFile::create(temp_path_, path_));
  });
  comm_.agree([&] {
    if (!comm_.is_root()) file_.emplace(io::OutputFile::open(temp_path_, path_));
  });
}

OrderedFileWriter::~OrderedFileWriter() {
  if (!committed_ && comm_.is_root() && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void OrderedFileWriter::append(std::string_view part) {
  const auto mine = static_cast<std::uint64_t>(part.size());
  const std::uint64_t offset = size_ + comm_.exscan_sum(mine);
  const std::uint64_t after = size_ + comm_.allreduce(mine, Op::kSum);
  std::optional<std::string> error;
  try {
    file_->write_at(offset, part);
  } catch (const std::exception& e) {
    error = e.what();
  }
  digests_.add(part, offset, after);  // from the bytes in memory, not the disk
  comm_.raise_if_any(error);
  size_ = after;
}

void OrderedFileWriter::commit() {
  comm_.agree([&] { file_->sync_and_close(); });
  chunk_digests_ = digests_.finish(size_);
  // Every count was checked; the size on disk is the last word on whether
  // the file holds everything.
  comm_.agree([&] {
    if (!comm_.is_root()) return;
    std::error_code ec;
    const std::uint64_t on_disk = fs::file_size(temp_path_, ec);
    DMF_CHECK(!ec && on_disk == size_,
              "cannot write {}: it has {} bytes on disk, not the {} written", path_,
              ec ? 0 : on_disk, size_);
  });
  if (publish_ == Publish::kInPlace) {
    committed_ = true;
    return;
  }
  comm_.agree([&] {
    if (!comm_.is_root()) return;
    // RENAME_NOREPLACE closes the window between our existence check and the
    // rename: a file that appeared meanwhile is still never replaced.
    const unsigned flags = overwrite_ ? 0U : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), flags) != 0) {
      fail("cannot move {} into place as {}: {}", temp_path_, path_, std::strerror(errno));
    }
    committed_ = true;
    sync_directory(path_);
  });
  committed_ = true;
}

}  // namespace dmf::dist
