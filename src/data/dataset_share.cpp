#include "dataset_share.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "dataset_arrays.hpp"
#include "dataset_blocks.hpp"
#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/dist/file_checksums.hpp"
#include "dmf/dist/strings.hpp"
#include "dmf/io/checksum.hpp"
#include "dmf/io/npy.hpp"
#include "dmf/io/output_path.hpp"
#include "dmf/io/range_reader.hpp"
#include "dmf/model/dir_writer.hpp"
#include "dmf/model/model_dir.hpp"

namespace dmf::data {
namespace {

namespace fs = std::filesystem;

/// The files every data set has; the times as well when "has_time", the
/// item-major arrays from format 2 on.
constexpr std::array<std::string_view, 11> kFiles{
    "user_ids.txt",   "item_ids.txt",    "user_counts.npy", "item_counts.npy",
    "rows.npy",       "columns.npy",     "values.npy",      "times.npy",
    "item_users.npy", "item_values.npy", "item_times.npy"};

/// The arrays of one entry per rating, which ranks read in ranges.
constexpr std::array<std::string_view, 7> kRatingArrays{
    "rows.npy",       "columns.npy",     "values.npy",    "times.npy",
    "item_users.npy", "item_values.npy", "item_times.npy"};

bool is_times_file(std::string_view file) { return file.ends_with("times.npy"); }
bool is_item_major(std::string_view file) {
  return file.starts_with("item_") && file != "item_ids.txt" && file != "item_counts.npy";
}

/// The first load option set that describes text, which a data set
/// directory, converted already, has no use for; empty when none is.
std::string text_option_set(const LoadOptions& o) {
  const io::FormatOptions text;
  if (o.format.format != text.format) return "--format";
  if (o.format.separator != text.separator) return "--sep";
  if (o.format.columns != text.columns) return "--columns";
  if (o.format.header != text.header) return "--header";
  if (o.duplicates != DuplicatePolicy::kError) return "--duplicates";
  if (o.bad_lines != BadLinePolicy::kError) return "--bad-lines";
  if (o.rating_range) return "--rating-range";
  return {};
}

/// Rank 0: the whole content of `path`, or an error naming it.
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DMF_CHECK(in.good(), "cannot read {}", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Collective: the manifest of the data set `dir`, checked against
/// manifest.xxh3 and for its keys, and every file it lists verified.
nlohmann::json read_manifest(const dist::Comm& comm, const std::string& dir) {
  const std::string path = io::path_in(dir, model::kManifestFile);
  const std::string sidecar = io::path_in(dir, model::kManifestChecksumFile);
  std::string text;
  comm.agree([&] {
    if (!comm.is_root()) return;
    text = read_text(path);
    std::error_code ec;
    DMF_CHECK(fs::exists(sidecar, ec),
              "{} is missing: every data set has the checksum of its "
              "manifest",
              sidecar);
    const std::string line = read_text(sidecar);
    const std::string expected = model::manifest_checksum_line(text);
    DMF_CHECK(line == expected,
              "{} does not match its checksum in {}: the manifest was changed after dmf wrote it",
              path, sidecar);
  });
  text = comm.broadcast(text, 0);
  nlohmann::json manifest = comm.agree([&] {
    nlohmann::json m = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    DMF_CHECK(m.is_object(), "{} is not valid JSON", path);
    DMF_CHECK(m.value("kind", std::string()) == kDataSetKind,
              "{} is not a dmf data set (its manifest {} has no \"kind\": \"{}\"; a model "
              "directory is read with --model)",
              dir, path, kDataSetKind);
    const int version = m.value("format_version", 0);
    DMF_CHECK(version >= kDataSetOldestFormatVersion && version <= kDataSetFormatVersion,
              "{}: format_version {} is not one this dmf reads ({} to {})", path,
              m.contains("format_version") ? m["format_version"].dump() : "(none)",
              kDataSetOldestFormatVersion, kDataSetFormatVersion);
    for (const char* key : {"users", "items", "ratings"}) {
      DMF_CHECK(m.contains(key) && m[key].is_number_unsigned(), "{}: \"{}\" must be a count", path,
                key);
    }
    DMF_CHECK(m.contains("has_time") && m["has_time"].is_boolean(),
              "{}: \"has_time\" must be true or false", path);
    DMF_CHECK(m.contains("files") && m["files"].is_object(), "{}: \"files\" is missing", path);
    for (const auto& [file, entry] : m["files"].items()) {
      DMF_CHECK(model::stays_inside(file),
                "{}: \"files\" names {}, which is not inside the directory", path, file);
    }
    const bool has_time = m["has_time"].get<bool>();
    for (const auto file : kFiles) {
      if ((is_times_file(file) && !has_time) || (is_item_major(file) && version < 2)) continue;
      DMF_CHECK(m["files"].contains(std::string(file)),
                "{}: \"files\" does not list {}, so it cannot be verified", path, file);
      if (version >= 2 && std::ranges::find(kRatingArrays, file) != kRatingArrays.end()) {
        DMF_CHECK(m.contains("pieces") && m["pieces"].contains(std::string(file)),
                  "{}: \"pieces\" does not list {}, so it cannot be verified", path, file);
      }
    }
    return m;
  });
  // The ID and count files are verified here; the rating arrays as each
  // rank reads its range of them (data/dataset_arrays.hpp), so no byte is
  // read twice.
  nlohmann::json small = nlohmann::json::object();
  for (const auto& [file, entry] : manifest["files"].items()) {
    if (std::ranges::find(kRatingArrays, file) == kRatingArrays.end()) small[file] = entry;
  }
  dist::verify_files(comm, dir, small);
  return manifest;
}

/// Collective: the ownership of one side from its counts file, computed as
/// IdDirectory::build does from the counts it gathers (part_of over the
/// canonical order), so both loads split rows alike.
Ownership ownership_from_counts(const dist::Comm& comm, const std::string& path, std::uint64_t rows,
                                std::uint64_t ratings) {
  const io::ByteRange mine = io::split_range(0, rows, comm.rank(), comm.size());
  const auto counts = comm.agree([&] {
    return read_elements<std::uint64_t>(path, io::NpyType::kUInt64, rows, mine.begin,
                                        mine.end - mine.begin);
  });
  std::uint64_t here = 0;
  bool empty_row = false;
  for (const auto c : counts) {
    here += c;
    empty_row = empty_row || c == 0;
  }
  const std::uint64_t total = comm.allreduce(here, dist::Op::kSum);
  if (comm.any(empty_row) || total != ratings) {
    throw Error(fmt::format("{} does not fit the data set: its counts add up to {} ratings, not "
                            "{}, or a row has none",
                            path, total, ratings),
                /*collective=*/true);
  }
  std::uint64_t prefix = comm.exscan_sum(here);
  const auto parts = static_cast<std::size_t>(comm.size());
  std::vector<std::uint32_t> begin(parts + 1, static_cast<std::uint32_t>(rows));
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const auto owner = static_cast<std::size_t>(part_of(prefix, counts[k], total, comm.size()));
    begin[owner] = std::min(begin[owner], static_cast<std::uint32_t>(mine.begin + k));
    prefix += counts[k];
  }
  comm.allreduce(std::span(begin), dist::Op::kMin);
  for (std::size_t p = parts; p-- > 0;) begin[p] = std::min(begin[p], begin[p + 1]);
  return Ownership(std::move(begin));
}

/// Collective: the IDs file of one side, each rank reading a byte range of
/// it and handing every ID to the owner of its row (line).
IdDirectory read_owned_ids(const dist::Comm& comm, const std::string& path, std::uint64_t rows,
                           Ownership ownership) {
  TokenTable tokens;
  std::uint64_t lines = 0;
  comm.agree([&] {
    const io::ByteRange range = io::split_range(0, io::file_size(path), comm.rank(), comm.size());
    lines = io::read_lines(path, range, [&](std::string_view line, std::uint64_t index) {
      DMF_CHECK(!line.empty(), "{}: an empty ID (the rank's line {})", path, index + 1);
      tokens.push(line);
    });
  });
  const std::uint64_t first_line = comm.exscan_sum(lines);
  const std::uint64_t total_lines = comm.allreduce(lines, dist::Op::kSum);
  if (total_lines != rows) {
    throw Error(fmt::format("{} holds {} IDs where the manifest says {}", path, total_lines, rows),
                /*collective=*/true);
  }
  // Lines are rows: every owner's tokens arrive in row order.
  const auto parts = static_cast<std::size_t>(comm.size());
  std::vector<std::size_t> token_counts(parts, 0);
  std::vector<std::size_t> byte_counts(parts, 0);
  std::vector<std::uint32_t> lengths(tokens.size());
  std::string chars;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const auto owner =
        static_cast<std::size_t>(ownership.owner(static_cast<std::uint32_t>(first_line + k)));
    ++token_counts[owner];
    byte_counts[owner] += tokens[k].size();
    lengths[k] = static_cast<std::uint32_t>(tokens[k].size());
    chars += tokens[k];
  }
  tokens.clear();
  const auto got_lengths = comm.alltoallv<std::uint32_t>(lengths, token_counts);
  const auto got_chars = comm.alltoallv<char>(chars, byte_counts);
  TokenTable owned;
  owned.reserve(got_lengths.size(), got_chars.size());
  std::size_t at = 0;
  bool integers = true;
  for (const auto n : got_lengths) {
    const std::string_view token(got_chars.data() + at, n);
    owned.push(token);
    integers = integers && is_canonical_integer(token);
    at += n;
  }
  const TokenOrder order(comm.all(integers));
  // Canonical order without repeats: row r of the arrays is line r + 1.
  std::optional<std::string> out_of_order;
  for (std::size_t k = 1; k < owned.size() && !out_of_order; ++k) {
    if (!order(owned[k - 1], owned[k])) {
      out_of_order = fmt::format("{}:{}: ID '{}' is out of canonical order or repeated", path,
                                 ownership.begin(comm.rank()) + k + 1, owned[k]);
    }
  }
  comm.raise_if_any(out_of_order);
  const std::string ends[2] = {
      owned.empty() ? std::string() : std::string(owned[0]),
      owned.empty() ? std::string() : std::string(owned[owned.size() - 1])};
  const auto all_ends = dist::allgather_strings(comm, ends);
  std::string last;  // of the lower ranks' IDs
  for (std::size_t p = 0; p < parts; ++p) {
    if (ownership.rows(static_cast<int>(p)) == 0) continue;
    if (!last.empty() && !order(last, all_ends[2 * p])) {
      throw Error(fmt::format("{}:{}: ID '{}' is out of canonical order or repeated", path,
                              ownership.begin(static_cast<int>(p)) + 1, all_ends[2 * p]),
                  /*collective=*/true);
    }
    last = all_ends[2 * p + 1];
  }
  return IdDirectory::from_canonical(comm, std::move(owned), std::move(ownership), order);
}

}  // namespace

DataSetShare read_data_set_share(const dist::Comm& comm, const std::string& dir,
                                 const LoadOptions& options, bool item_side) {
  comm.agree([&] {
    const std::string option = text_option_set(options);
    DMF_CHECK(option.empty(),
              "{} is a data set directory: {} applies to reading text, and dmf convert applied "
              "it when it wrote the data set; leave it out (or convert again with it)",
              dir, option);
  });
  DataSetShare share;
  Stopwatch clock;
  share.manifest = read_manifest(comm, dir);
  const nlohmann::json& m = share.manifest;
  share.ratings = m["ratings"].get<std::uint64_t>();
  share.has_time = m["has_time"].get<bool>();
  for (const auto& [file, entry] : m["files"].items())
    share.file_bytes += entry["bytes"].get<std::uint64_t>();
  if (options.keep_time && !share.has_time) {
    throw Error(fmt::format("{} has no times (its source had no time column)", dir),
                /*collective=*/true);
  }
  const auto users = m["users"].get<std::uint64_t>();
  const auto items = m["items"].get<std::uint64_t>();
  if (users >= kUnknownRow || items >= kUnknownRow) {
    throw Error(fmt::format("{}: {} users and {} items: more than dmf supports ({})",
                            io::path_in(dir, model::kManifestFile), users, items, kUnknownRow - 1),
                /*collective=*/true);
  }
  auto user_owners =
      ownership_from_counts(comm, io::path_in(dir, "user_counts.npy"), users, share.ratings);
  auto item_owners =
      ownership_from_counts(comm, io::path_in(dir, "item_counts.npy"), items, share.ratings);
  share.read_seconds = clock.seconds();
  clock.restart();
  share.users =
      read_owned_ids(comm, io::path_in(dir, "user_ids.txt"), users, std::move(user_owners));
  share.items =
      read_owned_ids(comm, io::path_in(dir, "item_ids.txt"), items, std::move(item_owners));
  share.index_seconds = clock.seconds();
  clock.restart();
  share.item_degrees = comm.agree([&] {
    return read_elements<std::uint64_t>(io::path_in(dir, "item_counts.npy"), io::NpyType::kUInt64,
                                        items, share.items.first_row(), share.items.local_rows());
  });
  // Lines of the item side (kept for dmf split alone) are not stored: with
  // them, load_data_set builds the item side as format 1 does.
  const bool item_block = item_side && m["format_version"].get<int>() >= 2 && !options.keep_lines;
  DataSetBlocks blocks = read_data_set_blocks(comm, dir, m, share.ratings, share.users, share.items,
                                              share.item_degrees, options, item_block);
  share.by_user = std::move(blocks.by_user);
  share.by_item = std::move(blocks.by_item);
  share.first_rating = blocks.first_rating;
  share.read_seconds += clock.seconds();
  return share;
}

}  // namespace dmf::data
