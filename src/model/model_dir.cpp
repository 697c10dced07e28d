#include "dmf/model/model_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dmf/core/error.hpp"
#include "dmf/core/hash.hpp"
#include "dmf/dist/ordered_file_writer.hpp"
#include "dmf/io/npy.hpp"
#include "dmf/io/range_reader.hpp"

namespace dmf::model {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifest = "manifest.json";

/// The files of a model directory, by side.
struct SideFiles {
  std::string_view factors;
  std::string_view bias;
  std::string_view ids;
};
constexpr SideFiles kUserFiles{"user_factors.npy", "user_bias.npy", "user_ids.txt"};
constexpr SideFiles kItemFiles{"item_factors.npy", "item_bias.npy", "item_ids.txt"};

std::string join(const std::string& dir, std::string_view file) {
  return (fs::path(dir) / file).string();
}

/// Flushes a file or directory to disk.
void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Rank 0's check that `dir` may be written; nullopt if so.
std::optional<std::string> refusal(const std::string& dir, bool overwrite) {
  std::error_code ec;
  const fs::path target(dir);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    return fmt::format("cannot write {}: directory {} does not exist", dir, parent.string());
  }
  if (!fs::exists(fs::symlink_status(target, ec))) return std::nullopt;
  if (!overwrite) return fmt::format("{} already exists; pass --overwrite to replace it", dir);
  const bool is_dir = fs::is_directory(fs::symlink_status(target, ec));
  if (!is_dir || !(fs::is_empty(target, ec) || fs::exists(target / kManifest, ec))) {
    return fmt::format(
        "{} exists and is not a dmf model directory (no {}); refusing to replace it", dir,
        kManifest);
  }
  return std::nullopt;
}

/// A new hidden directory next to `dir`, on the same file system.
std::string make_temp_dir(const std::string& dir) {
  const fs::path target = fs::path(dir).lexically_normal();
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const auto tag = combine(static_cast<std::uint64_t>(::getpid()), static_cast<std::uint64_t>(now));
  const fs::path temp =
      parent / fmt::format(".{}.dmf-tmp-{:016x}", target.filename().string(), tag);
  std::error_code ec;
  if (!fs::create_directory(temp, ec)) {
    fail("cannot create {}: {}", temp.string(), ec ? ec.message() : "it exists");
  }
  return temp.string();
}

std::string_view as_bytes(std::span<const float> values) {
  return {reinterpret_cast<const char*>(values.data()), values.size_bytes()};
}

/// Collective: one float32 array, rank 0's header first, then every rank's
/// rows in rank order (= global row order).
void write_array(const dist::Comm& comm, const std::string& path, const io::NpyShape& shape,
                 std::span<const float> rows) {
  dist::OrderedFileWriter writer(comm, path, /*overwrite=*/false);
  writer.append(comm.is_root() ? io::npy_header(shape) : std::string());
  writer.append(as_bytes(rows));
  writer.commit();
}

void write_ids(const dist::Comm& comm, const std::string& path, const data::IdDirectory& ids) {
  std::string text;
  for (std::uint32_t r = 0; r < ids.local_rows(); ++r) {
    text += ids.token(r);
    text += '\n';
  }
  dist::OrderedFileWriter writer(comm, path, /*overwrite=*/false);
  writer.append(text);
  writer.commit();
}

void write_side(const dist::Comm& comm, const std::string& dir, const SideFiles& files,
                const FactorBlock& block, const data::IdDirectory& ids) {
  DMF_CHECK(block.first_row == ids.first_row() && block.rows == ids.local_rows(),
            "write_model_dir: rows [{}, +{}) do not match the IDs [{}, +{})", block.first_row,
            block.rows, ids.first_row(), ids.local_rows());
  const std::uint64_t rows = ids.total_rows();
  write_array(comm, join(dir, files.factors), {{rows, static_cast<std::uint64_t>(block.k)}},
              block.factors);
  write_array(comm, join(dir, files.bias), {{rows}}, block.bias);
  write_ids(comm, join(dir, files.ids), ids);
}

/// Rank 0: moves the finished `temp` directory to `dir`, atomically.
void publish(const std::string& temp, const std::string& dir, bool overwrite) {
  std::error_code ec;
  const bool replacing = overwrite && fs::exists(fs::symlink_status(dir, ec));
  // Without --overwrite (or when dir vanished) RENAME_NOREPLACE never
  // replaces what appeared since the check; with it, RENAME_EXCHANGE swaps
  // the two in one step, so `dir` is always either the old or the new model.
  const unsigned flags = replacing ? RENAME_EXCHANGE : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dir.c_str(), flags) != 0) {
    fail("cannot move {} into place as {}: {}", temp, dir, std::strerror(errno));
  }
  const fs::path parent = fs::path(dir).has_parent_path() ? fs::path(dir).parent_path() : ".";
  sync_path(parent.string());
  if (replacing) fs::remove_all(temp, ec);  // the old model, now under the temporary name
}

}  // namespace

void check_model_dir_writable(const dist::Comm& comm, const std::string& requested,
                              bool overwrite) {
  std::string dir = requested;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  comm.agree([&] {
    if (!comm.is_root()) return;
    if (auto why = refusal(dir, overwrite)) throw Error(*why);
  });
}

void write_model_dir(const dist::Comm& comm, const std::string& requested, const Model& model,
                     const data::IdDirectory& users, const data::IdDirectory& items,
                     const nlohmann::json& manifest, bool overwrite) {
  // "out/" names the directory "out": its parent and name are what the
  // checks, the hidden sibling and the rename need.
  std::string dir = requested;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string temp;
  comm.agree([&] {
    if (!comm.is_root()) return;
    if (auto why = refusal(dir, overwrite)) throw Error(*why);
    temp = make_temp_dir(dir);
  });
  temp = comm.broadcast(temp, 0);
  try {
    write_side(comm, temp, kUserFiles, model.users, users);
    write_side(comm, temp, kItemFiles, model.items, items);
    comm.agree([&] {
      if (!comm.is_root()) return;
      nlohmann::json full = manifest;
      full["format_version"] = kModelFormatVersion;
      const std::string path = join(temp, kManifest);
      std::ofstream out(path);
      out << full.dump(2) << '\n';
      out.close();
      DMF_CHECK(out.good(), "cannot write {}", path);
      sync_path(path);
      sync_path(temp);
      publish(temp, dir, overwrite);
    });
  } catch (...) {
    // Every rank gets here together (errors above are agreed collectively);
    // rank 0 removes what was written. No MPI here.
    std::error_code ec;
    if (comm.is_root() && fs::exists(temp, ec)) fs::remove_all(temp, ec);
    throw;
  }
}

namespace {

/// Collective: this rank's byte range of an IDs file, and the directory of
/// all of them. Checks that the file is in canonical order without repeats,
/// so that row r of the arrays is line r of the file.
data::IdDirectory read_ids(const dist::Comm& comm, const std::string& path) {
  data::TokenTable tokens;
  std::uint64_t lines = 0;
  comm.agree([&] {
    const std::uint64_t bytes = io::file_size(path);
    const io::ByteRange range = io::split_range(0, bytes, comm.rank(), comm.size());
    lines = io::read_lines(path, range, [&](std::string_view line, std::uint64_t index) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      DMF_CHECK(!line.empty(), "{}: an empty ID in the rank's line {}", path, index);
      tokens.push(line);
    });
  });
  const std::uint64_t first_line = comm.exscan_sum(lines);
  const std::vector<std::uint64_t> counts(tokens.size(), 1);
  std::vector<std::uint32_t> rows;
  data::IdDirectory ids = data::IdDirectory::build(comm, tokens, counts, rows);
  comm.agree([&] {
    for (std::size_t k = 0; k < rows.size(); ++k) {
      DMF_CHECK(rows[k] == first_line + k,
                "{}:{}: ID '{}' is out of canonical order or repeated; the file does not belong "
                "to a dmf model",
                path, first_line + k + 1, tokens[k]);
    }
  });
  return ids;
}

/// Reads rows [first, first + count) of a float32 array whose shape must be
/// `expected`.
std::vector<float> read_rows(const std::string& path, const io::NpyShape& expected,
                             std::uint64_t first, std::uint64_t count) {
  const io::NpyHeader header = io::read_npy_header(path);
  DMF_CHECK(header.shape.dims == expected.dims, "{}: shape ({}) where ({}) was expected", path,
            fmt::join(header.shape.dims, ", "), fmt::join(expected.dims, ", "));
  const std::uint64_t width = expected.dims.size() > 1 ? expected.dims[1] : 1;
  const std::uint64_t need = header.data_offset + expected.elements() * sizeof(float);
  DMF_CHECK(io::file_size(path) >= need, "{} is truncated: {} bytes, {} expected", path,
            io::file_size(path), need);
  std::vector<float> values(count * width);
  const int fd = ::open(path.c_str(), O_RDONLY);
  DMF_CHECK(fd >= 0, "cannot open {}: {}", path, std::strerror(errno));
  auto* out = reinterpret_cast<char*>(values.data());
  std::uint64_t done = 0;
  const std::uint64_t bytes = values.size() * sizeof(float);
  const std::uint64_t offset = header.data_offset + first * width * sizeof(float);
  while (done < bytes) {
    const ssize_t got = ::pread(fd, out + done, bytes - done, static_cast<off_t>(offset + done));
    if (got <= 0) {
      ::close(fd);
      fail("cannot read {}: {}", path, got < 0 ? std::strerror(errno) : "unexpected end");
    }
    done += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
  return values;
}

FactorBlock read_side(const dist::Comm& comm, const std::string& dir, const SideFiles& files,
                      const data::IdDirectory& ids, int k) {
  FactorBlock block(ids.first_row(), ids.local_rows(), ids.total_rows(), k);
  comm.agree([&] {
    const std::uint64_t rows = ids.total_rows();
    block.factors = read_rows(join(dir, files.factors), {{rows, static_cast<std::uint64_t>(k)}},
                              block.first_row, block.rows);
    block.bias = read_rows(join(dir, files.bias), {{rows}}, block.first_row, block.rows);
  });
  return block;
}

nlohmann::json read_manifest(const dist::Comm& comm, const std::string& dir) {
  const std::string path = join(dir, kManifest);
  std::string text;
  comm.agree([&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    DMF_CHECK(fs::is_directory(dir, ec), "{} is not a directory", dir);
    std::ifstream in(path);
    DMF_CHECK(in.good(), "{} is not a dmf model directory: cannot read {}", dir, path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  });
  text = comm.broadcast(text, 0);
  return comm.agree([&] {
    nlohmann::json manifest = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    DMF_CHECK(manifest.is_object(), "{} is not valid JSON", path);
    const auto version = manifest.find("format_version");
    DMF_CHECK(version != manifest.end() && version->is_number_integer() &&
                  *version == kModelFormatVersion,
              "{}: format_version {} is not {}, the version this dmf reads", path,
              version != manifest.end() ? version->dump() : "(none)", kModelFormatVersion);
    for (const char* key : {"k", "biases", "mu"}) {
      DMF_CHECK(manifest.contains(key), "{}: \"{}\" is missing", path, key);
    }
    DMF_CHECK(manifest["k"].is_number_integer() && manifest["k"].get<int>() >= 1,
              "{}: \"k\" must be a positive integer", path);
    DMF_CHECK(manifest["mu"].is_number(), "{}: \"mu\" must be a number", path);
    DMF_CHECK(manifest["biases"].is_string(), "{}: \"biases\" must be a string", path);
    return manifest;
  });
}

}  // namespace

LoadedModel read_model_dir(const dist::Comm& comm, const std::string& dir) {
  LoadedModel loaded;
  loaded.manifest = read_manifest(comm, dir);
  Model& model = loaded.model;
  model.k = loaded.manifest["k"].get<int>();
  model.mu = loaded.manifest["mu"].get<double>();
  model.biases = comm.agree([&] {
    Biases biases{};
    const std::string text = loaded.manifest["biases"].get<std::string>();
    DMF_CHECK(from_string(text, biases), "{}: \"biases\" is '{}', not none, user, item or both",
              join(dir, kManifest), text);
    return biases;
  });
  loaded.users = read_ids(comm, join(dir, kUserFiles.ids));
  loaded.items = read_ids(comm, join(dir, kItemFiles.ids));
  model.users = read_side(comm, dir, kUserFiles, loaded.users, model.k);
  model.items = read_side(comm, dir, kItemFiles, loaded.items, model.k);
  return loaded;
}

}  // namespace dmf::model
