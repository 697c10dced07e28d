#include "dmf/model/dir_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"
#include "dmf/io/checksum.hpp"
#include "dmf/io/output_file.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/sync.hpp"

namespace dmf::model {
namespace {

namespace fs = std::filesystem;

fs::path parent_of(const std::string& dir) {
  const fs::path target(dir);
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

/// A new hidden directory next to `dir`, on the same file system.
std::string make_temp_dir(const std::string& dir) {
  const fs::path target = fs::path(dir).lexically_normal();
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const auto tag = combine(static_cast<std::uint64_t>(::getpid()), static_cast<std::uint64_t>(now));
  const fs::path temp =
      parent_of(dir) / fmt::format(".{}.dmf-tmp-{:016x}", target.filename().string(), tag);
  std::error_code ec;
  if (!fs::create_directory(temp, ec)) {
    fail("cannot create {}: {}", temp.string(), ec ? ec.message() : "it exists");
  }
  return temp.string();
}

template <class T>
std::string_view as_chars(std::span<const T> values) {
  return {reinterpret_cast<const char*>(values.data()), values.size_bytes()};
}

io::NpyShape shape_of(std::uint64_t rows, std::uint64_t width) {
  return width == 0 ? io::NpyShape{{rows}} : io::NpyShape{{rows, width}};
}

}  // namespace

std::string manifest_checksum_line(std::string_view manifest_text) {
  io::ChunkHasher hasher;
  hasher.update(manifest_text);
  return fmt::format("{}  {}\n", io::digest_hex(hasher.digest()), kManifestFile);
}

std::string trim_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::optional<std::string> dir_refusal(const std::string& dir, bool overwrite) {
  std::error_code ec;
  const fs::path target(dir);
  if (!fs::is_directory(parent_of(dir), ec)) {
    return fmt::format("cannot write {}: directory {} does not exist", dir,
                       parent_of(dir).string());
  }
  if (!fs::exists(fs::symlink_status(target, ec))) return std::nullopt;
  if (!overwrite) return fmt::format("{} already exists; pass --overwrite to replace it", dir);
  const bool is_dir = fs::is_directory(fs::symlink_status(target, ec));
  if (!is_dir || !(fs::is_empty(target, ec) || fs::exists(target / kManifestFile, ec))) {
    return fmt::format("{} exists and is not a dmf model directory (no {}); refusing to replace it",
                       dir, kManifestFile);
  }
  return std::nullopt;
}

DirWriter::DirWriter(const dist::Comm& comm, std::string dir, bool overwrite)
    : comm_(comm), dir_(trim_dir(std::move(dir))), overwrite_(overwrite) {
  bool exists = false;
  comm_.agree([&] {
    if (!comm_.is_root()) return;
    if (auto why = dir_refusal(dir_, overwrite_)) throw Error(*why);
    std::error_code ec;
    exists = fs::exists(fs::symlink_status(dir_, ec));
    temp_ = make_temp_dir(dir_);
  });
  temp_ = comm_.broadcast(temp_, 0);
  replaces_ = comm_.broadcast<std::uint8_t>(exists ? 1 : 0, 0) != 0;
}

template <class Work>
void DirWriter::guarded(Work&& work) {
  try {
    work();
  } catch (const Error& e) {
    // Name the files by where they were going, and say what became of the
    // directory: the hidden one is removed as this error unwinds.
    std::string message = e.what();
    for (auto at = message.find(temp_); at != std::string::npos;
         at = message.find(temp_, at + dir_.size())) {
      message.replace(at, temp_.size(), dir_);
    }
    if (!published_) {
      message += replaces_ ? fmt::format("; the existing {} is unchanged", dir_)
                           : fmt::format("; {} was not created", dir_);
    }
    throw Error(message, e.collective());
  }
}

DirWriter::~DirWriter() {
  if (published_ || !comm_.is_root() || temp_.empty()) return;
  std::error_code ec;
  fs::remove_all(temp_, ec);
}

void DirWriter::make_subdir(const std::string& name) {
  guarded([&] {
    comm_.agree([&] {
      if (!comm_.is_root()) return;
      std::error_code ec;
      DMF_CHECK(fs::create_directory(io::path_in(temp_, name), ec), "cannot create {}: {}",
                io::path_in(temp_, name), ec ? ec.message() : "it exists");
    });
  });
  subdirs_.push_back(name);
}

void DirWriter::write_file(const std::string& file,
                           const std::function<void(dist::OrderedFileWriter&)>& fill) {
  guarded([&] {
    dist::OrderedFileWriter writer(comm_, io::path_in(temp_, file), /*overwrite=*/false,
                                   dist::OrderedFileWriter::Publish::kInPlace);
    fill(writer);
    writer.commit();
    // The checksum of the bytes sent to the file, never of what a read
    // returns: a file the disk cut short or changed does not verify.
    nlohmann::json digests = nlohmann::json::array();
    for (const auto digest : writer.chunk_digests()) digests.push_back(io::digest_hex(digest));
    files_[file] = {{"bytes", writer.size()}, {"xxh3_64", digests}};
    bytes_ += writer.size();
  });
}

void DirWriter::write_bytes(const std::string& file, const io::NpyShape& shape, io::NpyType type,
                            std::string_view local) {
  write_file(file, [&](dist::OrderedFileWriter& writer) {
    writer.append(comm_.is_root() ? io::npy_header(shape, type) : std::string());
    writer.append(local);
    const std::uint64_t element = io::npy_element_bytes(type);
    const std::uint64_t expected = shape.elements() * element;
    const std::uint64_t header = io::npy_header(shape, type).size();
    comm_.agree([&] {
      DMF_CHECK(writer.size() == header + expected,
                "{}: the ranks' rows add up to {} bytes, not the {} of shape ({})", file,
                writer.size() - header, expected, fmt::join(shape.dims, ", "));
    });
  });
}

void DirWriter::write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                            std::span<const float> rows) {
  write_bytes(file, shape_of(total_rows, width), io::NpyType::kFloat32, as_chars(rows));
}

void DirWriter::write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                            std::span<const std::uint32_t> rows) {
  write_bytes(file, shape_of(total_rows, width), io::NpyType::kUInt32, as_chars(rows));
}

void DirWriter::write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                            std::span<const std::uint64_t> rows) {
  write_bytes(file, shape_of(total_rows, width), io::NpyType::kUInt64, as_chars(rows));
}

void DirWriter::write_array(const std::string& file, std::uint64_t total_rows, std::uint64_t width,
                            std::span<const std::int64_t> rows) {
  write_bytes(file, shape_of(total_rows, width), io::NpyType::kInt64, as_chars(rows));
}

void DirWriter::write_ids(const std::string& file, const data::IdDirectory& ids) {
  std::string text;
  for (std::uint32_t r = 0; r < ids.local_rows(); ++r) {
    text += ids.token(r);
    text += '\n';
  }
  write_file(file, [&](dist::OrderedFileWriter& writer) { writer.append(text); });
}

void DirWriter::publish(nlohmann::json manifest, int format_version) {
  manifest["format_version"] = format_version;
  manifest["files"] = files_;
  guarded([&] { publish_on_root(manifest); });
  published_ = true;
}

void DirWriter::publish_on_root(const nlohmann::json& manifest) {
  comm_.agree([&] {
    if (!comm_.is_root()) return;
    // The manifest, and beside it its own checksum: every reader verifies
    // it before trusting what the manifest says.
    const std::string text = manifest.dump(2) + '\n';
    io::write_new_file(io::path_in(temp_, kManifestFile), text);
    io::write_new_file(io::path_in(temp_, kManifestChecksumFile), manifest_checksum_line(text));
    for (const auto& sub : subdirs_) io::sync_path(io::path_in(temp_, sub));
    io::sync_path(temp_);
    std::error_code ec;
    const bool replacing = overwrite_ && fs::exists(fs::symlink_status(dir_, ec));
    // Without overwrite (or when dir vanished) RENAME_NOREPLACE never
    // replaces what appeared since the check; with it, RENAME_EXCHANGE swaps
    // the two in one step, so `dir` is always either the old or the new one.
    const unsigned flags = replacing ? RENAME_EXCHANGE : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, dir_.c_str(), flags) != 0) {
      fail("cannot move {} into place as {}: {}", temp_, dir_, std::strerror(errno));
    }
    published_ = true;
    io::sync_path(parent_of(dir_).string());
    if (replacing) fs::remove_all(temp_, ec);  // the old directory, now under the hidden name
  });
}

}  // namespace dmf::model
