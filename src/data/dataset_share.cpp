#include "dataset_share.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "dmf/core/parallel.hpp"
#include "dmf/core/timer.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/dist/file_checksums.hpp"
#include "dmf/dist/file_digests.hpp"
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

/// The files every data set has; times.npy as well when "has_time".
constexpr std::array<std::string_view, 8> kFiles{
    "user_ids.txt", "item_ids.txt", "user_counts.npy", "item_counts.npy",
    "rows.npy",     "columns.npy",  "values.npy",      "times.npy"};

/// The arrays of one entry per rating, which ranks read in ranges.
constexpr std::array<std::string_view, 4> kRatingArrays{"rows.npy", "columns.npy", "values.npy",
                                                        "times.npy"};

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
    DMF_CHECK(m.value("format_version", 0) == kDataSetFormatVersion,
              "{}: format_version {} is not {}, the version this dmf reads", path,
              m.contains("format_version") ? m["format_version"].dump() : "(none)",
              kDataSetFormatVersion);
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
      if (file == "times.npy" && !has_time) continue;
      DMF_CHECK(m["files"].contains(std::string(file)),
                "{}: \"files\" does not list {}, so it cannot be verified", path, file);
    }
    return m;
  });
  // The ID and count files are verified here; the rating arrays as each
  // rank reads its range of them (read_verified), so no byte is read twice.
  nlohmann::json small = nlohmann::json::object();
  for (const auto& [file, entry] : manifest["files"].items()) {
    if (std::ranges::find(kRatingArrays, file) == kRatingArrays.end()) small[file] = entry;
  }
  dist::verify_files(comm, dir, small);
  return manifest;
}

/// Where the data of the 1-D array at `path` start, after checking that it
/// has `type` and `total` elements of `element` bytes. Errors name the file.
std::uint64_t npy_data_offset(const std::string& path, io::NpyType type, std::uint64_t total,
                              std::size_t element) {
  const io::NpyHeader header = io::read_npy_header(path);
  DMF_CHECK(header.shape.dims == std::vector<std::uint64_t>{total},
            "{}: shape ({}) where ({},) was expected", path, fmt::join(header.shape.dims, ", "),
            total);
  DMF_CHECK(header.type == type, "{}: dtype '{}' where '{}' was expected", path,
            io::npy_descr(header.type), io::npy_descr(type));
  const std::uint64_t need = header.data_offset + total * element;
  DMF_CHECK(io::file_size(path) >= need, "{} is truncated: {} bytes, {} expected", path,
            io::file_size(path), need);
  return header.data_offset;
}

/// Reads out.size() bytes of `path` from `offset` into `out`. Errors name the file.
void read_bytes(const std::string& path, std::uint64_t offset, std::span<char> out) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  DMF_CHECK(fd >= 0, "cannot open {}: {}", path, std::strerror(errno));
  for (std::uint64_t done = 0; done < out.size();) {
    const ssize_t got =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got <= 0) {
      const int error = errno;
      ::close(fd);
      fail("cannot read {}: {}", path, got < 0 ? std::strerror(error) : "unexpected end");
    }
    done += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
}

/// Elements [first, first + count) of the 1-D array at `path`, which must
/// have `type` and `total` elements. Errors name the file.
template <class T>
std::vector<T> read_elements(const std::string& path, io::NpyType type, std::uint64_t total,
                             std::uint64_t first, std::uint64_t count) {
  const std::uint64_t offset = npy_data_offset(path, type, total, sizeof(T));
  std::vector<T> values(count);
  read_bytes(path, offset + first * sizeof(T),
             {reinterpret_cast<char*>(values.data()), count * sizeof(T)});
  return values;
}

/// Checks the array `file` (one of kRatingArrays) in `dir` against the
/// manifest's `entry` (its size) and its header (`type`, `total` elements of
/// `element` bytes); returns its path and where its data start. Rank 0
/// (`root`) also keeps the file's header bytes in `header`, for verify_read.
/// Not collective.
std::pair<std::string, std::uint64_t> check_array(const std::string& dir, std::string_view file,
                                                  const nlohmann::json& entry, io::NpyType type,
                                                  std::uint64_t total, std::size_t element,
                                                  bool root, std::string& header) {
  std::string path = io::path_in(dir, file);
  DMF_CHECK(entry.contains("bytes") && entry["bytes"].is_number_unsigned() &&
                entry.contains("xxh3_64") && entry["xxh3_64"].is_array(),
            "{}: the manifest's checksum of {} is malformed", dir, file);
  const std::uint64_t size = io::file_size(path);
  const auto expected = entry["bytes"].get<std::uint64_t>();
  DMF_CHECK(size == expected, "{} has {} bytes where the manifest says {}{}", path, size, expected,
            size < expected ? " (truncated)" : "");
  const std::uint64_t offset = npy_data_offset(path, type, total, element);
  if (root) {
    header.resize(offset);
    read_bytes(path, 0, header);
  }
  return {std::move(path), offset};
}

/// check_array, then elements [first, first + count) of the array straight
/// into `out`. Not collective.
template <class T>
void read_checked(const std::string& dir, std::string_view file, const nlohmann::json& entry,
                  io::NpyType type, std::uint64_t total, std::uint64_t first, std::uint64_t count,
                  bool root, std::string& header, std::vector<T>& out) {
  const auto [path, offset] = check_array(dir, file, entry, type, total, sizeof(T), root, header);
  out.resize(count);
  read_bytes(path, offset + first * sizeof(T),
             {reinterpret_cast<char*>(out.data()), count * sizeof(T)});
}

/// Collective: checks `path` against the digests of the manifest's `entry`,
/// computed from the bytes the ranks read of it: rank 0's `header`, then
/// each rank's `part`, which starts at element `first` of the array, the
/// ranks' parts following each other and covering it
/// (dist::FileDigests hands each chunk's state from rank to rank).
template <class T>
void verify_read(const dist::Comm& comm, const std::string& path, const nlohmann::json& entry,
                 const std::string& header, std::span<const T> part, std::uint64_t first) {
  const auto header_bytes = comm.broadcast<std::uint64_t>(header.size(), 0);
  const std::uint64_t size = entry["bytes"].get<std::uint64_t>();
  dist::FileDigests digests(comm);
  digests.add(header, comm.is_root() ? 0 : header_bytes, header_bytes);
  const std::string_view bytes(reinterpret_cast<const char*>(part.data()), part.size_bytes());
  digests.add(bytes, header_bytes + first * sizeof(T), size);
  const auto computed = digests.finish(size);
  comm.agree([&] {
    const auto& listed = entry["xxh3_64"];
    DMF_CHECK(listed.size() == computed.size(), "{}: the manifest lists {} digests for {} chunks",
              path, listed.size(), computed.size());
    for (std::size_t c = 0; c < computed.size(); ++c) {
      DMF_CHECK(
          listed[c].is_string() && listed[c].get<std::string>() == io::digest_hex(computed[c]),
          "{} is corrupt: its checksum (XXH3-64 of bytes from {}) is {}, the manifest says {}",
          path, c * io::kChecksumChunkBytes, io::digest_hex(computed[c]), listed[c].dump());
    }
  });
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

/// Collective: the ratings of this rank's users, as its CSR block, read
/// from the arrays at the range their counts give. Checks that the arrays
/// agree with the counts and hold canonical order.
SparseBlock read_user_block(const dist::Comm& comm, const std::string& dir,
                            const DataSetShare& share, const LoadOptions& options,
                            std::uint64_t& first_rating) {
  SparseBlock block;
  block.first_row = share.users.first_row();
  const std::uint32_t rows = share.users.local_rows();
  const auto users = static_cast<std::uint64_t>(share.users.total_rows());
  const auto items = share.items.total_rows();
  comm.agree([&] {
    const auto counts = read_elements<std::uint64_t>(
        io::path_in(dir, "user_counts.npy"), io::NpyType::kUInt64, users, block.first_row, rows);
    block.offsets.assign(1, 0);
    for (const auto c : counts) block.offsets.push_back(block.offsets.back() + c);
  });
  const std::uint64_t n = block.offsets.back();
  first_rating = comm.exscan_sum(n);
  const std::uint64_t total = share.ratings;
  const nlohmann::json& files = share.manifest["files"];
  // Each array's slice for this rank is read straight into its place, side by
  // side, one thread each: columns, values (and times) into the block, rows
  // into a scratch array that is only checked (it repeats what
  // user_counts.npy says). Read, not mapped: a rank touches only its own byte
  // range, and a file cut short under a running load is an error naming it,
  // not a SIGBUS.
  std::array<std::string, kRatingArrays.size()> headers;
  std::array<std::string, kRatingArrays.size()> paths;
  const bool root = comm.is_root();
  const auto entry = [&](std::size_t a) -> const nlohmann::json& {
    return files.at(std::string(kRatingArrays.at(a)));
  };
  std::vector<std::uint32_t> row_of;
  const std::size_t arrays = options.keep_time ? 4 : 3;
  comm.agree([&] {
    parallel_for(options.threads, static_cast<std::int64_t>(arrays), [&](std::int64_t a) {
      const auto k = static_cast<std::size_t>(a);
      const std::string_view file = kRatingArrays.at(k);
      paths.at(k) = io::path_in(dir, file);
      if (k == 0) {
        read_checked(dir, file, entry(k), io::NpyType::kUInt32, total, first_rating, n, root,
                     headers[k], row_of);
      } else if (k == 1) {
        read_checked(dir, file, entry(k), io::NpyType::kUInt32, total, first_rating, n, root,
                     headers[k], block.columns);
      } else if (k == 2) {
        read_checked(dir, file, entry(k), io::NpyType::kFloat32, total, first_rating, n, root,
                     headers[k], block.values);
      } else {
        read_checked(dir, file, entry(k), io::NpyType::kInt64, total, first_rating, n, root,
                     headers[k], block.times);
      }
    });
  });
  verify_read(comm, paths[0], entry(0), headers[0], std::span<const std::uint32_t>(row_of),
              first_rating);
  verify_read(comm, paths[1], entry(1), headers[1], std::span<const std::uint32_t>(block.columns),
              first_rating);
  verify_read(comm, paths[2], entry(2), headers[2], std::span<const float>(block.values),
              first_rating);
  if (options.keep_time) {
    verify_read(comm, paths[3], entry(3), headers[3], std::span<const std::int64_t>(block.times),
                first_rating);
  }
  // Every rating's user row is the one user_counts.npy gives it, and its
  // item rows ascend along the row: flags gathered without a branch per
  // rating, the message written for the first rating at fault.
  const int threads = std::max(1, options.threads);
  std::vector<std::uint64_t> first_bad(static_cast<std::size_t>(threads), n);
  parallel_for(threads, threads, [&](std::int64_t t) {
    const io::ByteRange part = io::split_range(0, rows, static_cast<int>(t), threads);
    for (auto r = static_cast<std::uint32_t>(part.begin); r < part.end; ++r) {
      const std::uint32_t user = block.first_row + r;
      const std::uint64_t begin = block.offsets[r];
      const std::uint64_t end = block.offsets[r + 1];
      bool bad = begin < end && (row_of[begin] != user || block.columns[begin] >= items);
      for (std::uint64_t k = begin + 1; k < end; ++k) {
        bad |= (row_of[k] != user) | (block.columns[k] >= items) |
               (block.columns[k - 1] >= block.columns[k]);
      }
      if (bad) {
        first_bad[static_cast<std::size_t>(t)] = begin;
        return;
      }
    }
  });
  const std::uint64_t bad = *std::ranges::min_element(first_bad);
  comm.agree([&] {
    if (bad == n) return;
    // The row holding the fault: find the rating.
    const auto r = static_cast<std::uint32_t>(
        std::upper_bound(block.offsets.begin(), block.offsets.end(), bad) - block.offsets.begin() -
        1);
    for (std::uint64_t k = block.offsets[r]; k < block.offsets[r + 1]; ++k) {
      DMF_CHECK(row_of[k] == block.first_row + r,
                "{}: rating {} has user row {} where user_counts.npy puts row {}", paths[0],
                first_rating + k, row_of[k], block.first_row + r);
      DMF_CHECK(block.columns[k] < items &&
                    (k == block.offsets[r] || block.columns[k - 1] < block.columns[k]),
                "{}: rating {} has item row {}, {}", paths[1], first_rating + k, block.columns[k],
                block.columns[k] >= items ? fmt::format("past the {} items", items)
                                          : std::string("out of canonical order or repeated"));
    }
  });
  if (options.keep_lines) {
    block.lines.resize(n);
    for (std::uint64_t k = 0; k < n; ++k) block.lines[k] = first_rating + k + 1;
  }
  return block;
}

}  // namespace

DataSetShare read_data_set_share(const dist::Comm& comm, const std::string& dir,
                                 const LoadOptions& options) {
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
  share.by_user = read_user_block(comm, dir, share, options, share.first_rating);
  share.item_degrees = comm.agree([&] {
    return read_elements<std::uint64_t>(io::path_in(dir, "item_counts.npy"), io::NpyType::kUInt64,
                                        items, share.items.first_row(), share.items.local_rows());
  });
  share.read_seconds += clock.seconds();
  return share;
}

}  // namespace dmf::data
