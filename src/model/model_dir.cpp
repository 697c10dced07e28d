#include "dmf/model/model_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dmf/core/error.hpp"
#include "dmf/dist/file_checksums.hpp"
#include "dmf/io/npy_rows.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/range_reader.hpp"
#include "dmf/model/dir_writer.hpp"

namespace dmf::model {
namespace {

namespace fs = std::filesystem;

/// The files of a model directory, by side.
struct SideFiles {
  std::string_view factors;
  std::string_view bias;
  std::string_view ids;
};
constexpr SideFiles kUserFiles{"user_factors.npy", "user_bias.npy", "user_ids.txt"};
constexpr SideFiles kItemFiles{"item_factors.npy", "item_bias.npy", "item_ids.txt"};

/// Rank 0: the whole content of `path`.
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  DMF_CHECK(in.good() || in.eof(), "cannot read {}", path);
  return buffer.str();
}

/// Rank 0: fails unless `text`, the content of DIR/manifest.json, is what
/// DIR/manifest.xxh3 says dmf wrote. A directory without manifest.xxh3 was
/// written by a dmf before it existed and is read as it is (README "The
/// model directory").
void check_manifest_checksum(const std::string& dir, const std::string& text) {
  const std::string sidecar = io::path_in(dir, kManifestChecksumFile);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(sidecar, ec))) return;
  const std::string line = read_text(sidecar);
  const std::string expected = manifest_checksum_line(text);
  // "<16 hex digits>  manifest.json\n"
  DMF_CHECK(
      line.size() == expected.size() && line.compare(16, std::string::npos, expected, 16) == 0,
      "{} is malformed: it must hold the checksum line of {}", sidecar, kManifestFile);
  DMF_CHECK(line == expected,
            "{} does not match its checksum in {} ({} there, {} now): the manifest was changed "
            "after dmf wrote it",
            io::path_in(dir, kManifestFile), sidecar, line.substr(0, 16), expected.substr(0, 16));
}

/// The manifest's "files": every name a relative path inside the directory,
/// and the files every model directory has among them.
void check_listed_files(const std::string& path, const nlohmann::json& files) {
  DMF_CHECK(files.is_object(), "{}: \"files\" is not an object", path);
  for (const auto& [file, entry] : files.items()) {
    DMF_CHECK(stays_inside(file), "{}: \"files\" names {}, which is not inside the directory", path,
              file);
  }
  for (const auto& side : {kUserFiles, kItemFiles}) {
    for (const auto file : {side.factors, side.bias, side.ids}) {
      DMF_CHECK(files.contains(std::string(file)),
                "{}: \"files\" does not list {}, so it cannot be verified", path, file);
    }
  }
}

void write_side(DirWriter& writer, const SideFiles& files, const FactorBlock& block,
                const data::IdDirectory& ids) {
  DMF_CHECK(block.first_row == ids.first_row() && block.rows == ids.local_rows(),
            "write_model_dir: rows [{}, +{}) do not match the IDs [{}, +{})", block.first_row,
            block.rows, ids.first_row(), ids.local_rows());
  const std::uint64_t rows = ids.total_rows();
  writer.write_array(std::string(files.factors), rows, static_cast<std::uint64_t>(block.k),
                     std::span<const float>(block.factors));
  writer.write_array(std::string(files.bias), rows, 0, std::span<const float>(block.bias));
  writer.write_ids(std::string(files.ids), ids);
}

}  // namespace

void check_model_dir_writable(const dist::Comm& comm, const std::string& requested,
                              bool overwrite) {
  const std::string dir = trim_dir(requested);
  comm.agree([&] {
    if (!comm.is_root()) return;
    if (auto why = dir_refusal(dir, overwrite)) throw Error(*why);
  });
}

void write_model_dir(const dist::Comm& comm, const std::string& dir, const Model& model,
                     const data::IdDirectory& users, const data::IdDirectory& items,
                     const nlohmann::json& manifest, bool overwrite) {
  DirWriter writer(comm, dir, overwrite);
  write_side(writer, kUserFiles, model.users, users);
  write_side(writer, kItemFiles, model.items, items);
  writer.publish(manifest, kModelFormatVersion);
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

FactorBlock read_side(const dist::Comm& comm, const std::string& dir, const SideFiles& files,
                      const data::IdDirectory& ids, int k) {
  FactorBlock block(ids.first_row(), ids.local_rows(), ids.total_rows(), k);
  comm.agree([&] {
    const std::uint64_t rows = ids.total_rows();
    block.factors = io::read_float_rows(io::path_in(dir, files.factors), rows,
                                        static_cast<std::uint64_t>(k), block.first_row, block.rows);
    block.bias =
        io::read_float_rows(io::path_in(dir, files.bias), rows, 0, block.first_row, block.rows);
  });
  return block;
}

}  // namespace

bool stays_inside(const std::string& relative) {
  const fs::path path(relative);
  if (path.is_absolute()) return false;
  return std::none_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
}

nlohmann::json read_model_manifest(const dist::Comm& comm, const std::string& dir) {
  const std::string path = io::path_in(dir, kManifestFile);
  std::string text;
  comm.agree([&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    DMF_CHECK(fs::is_directory(dir, ec), "{} is not a directory", dir);
    DMF_CHECK(std::ifstream(path).good(), "{} is not a dmf model directory: cannot read {}", dir,
              path);
    text = read_text(path);
    check_manifest_checksum(dir, text);
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
    if (const auto feedback = manifest.find("feedback"); feedback != manifest.end()) {
      Feedback kind{};
      DMF_CHECK(feedback->is_string() && from_string(feedback->get<std::string>(), kind),
                "{}: \"feedback\" is {}, not \"explicit\" or \"implicit\"", path, feedback->dump());
    }
    if (manifest.contains("files")) check_listed_files(path, manifest["files"]);
    return manifest;
  });
}

Feedback feedback_of(const nlohmann::json& manifest) {
  Feedback kind = Feedback::kExplicit;
  if (const auto feedback = manifest.find("feedback"); feedback != manifest.end()) {
    static_cast<void>(from_string(feedback->get<std::string>(), kind));
  }
  return kind;
}

void check_all_files_listed(const dist::Comm& comm, const std::string& dir,
                            const nlohmann::json& manifest) {
  comm.agree([&] {
    if (!comm.is_root()) return;
    const nlohmann::json& files = manifest.at("files");
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string file = fs::relative(entry.path(), dir).generic_string();
      if (file == kManifestFile || file == kManifestChecksumFile) continue;
      DMF_CHECK(files.contains(file), "{}: \"files\" does not list {}, so it cannot be verified",
                io::path_in(dir, kManifestFile), file);
    }
  });
}

LoadedModel read_model_dir(const dist::Comm& comm, const std::string& dir) {
  LoadedModel loaded;
  loaded.manifest = read_model_manifest(comm, dir);
  Model& model = loaded.model;
  model.k = loaded.manifest["k"].get<int>();
  model.mu = loaded.manifest["mu"].get<double>();
  loaded.feedback = feedback_of(loaded.manifest);
  model.biases = comm.agree([&] {
    Biases biases{};
    const std::string text = loaded.manifest["biases"].get<std::string>();
    DMF_CHECK(from_string(text, biases), "{}: \"biases\" is '{}', not none, user, item or both",
              io::path_in(dir, kManifestFile), text);
    return biases;
  });
  // Directories written before checksums existed have no "files".
  if (loaded.manifest.contains("files")) dist::verify_files(comm, dir, loaded.manifest["files"]);
  loaded.users = read_ids(comm, io::path_in(dir, kUserFiles.ids));
  loaded.items = read_ids(comm, io::path_in(dir, kItemFiles.ids));
  model.users = read_side(comm, dir, kUserFiles, loaded.users, model.k);
  model.items = read_side(comm, dir, kItemFiles, loaded.items, model.k);
  return loaded;
}

}  // namespace dmf::model
