// write_data_set: loaded ratings as a data set directory
// (data/dataset_dir.hpp), written the way model directories are
// (model/dir_writer.hpp: pwrite at offsets, checksums from the bytes in
// memory, manifest last, one rename). Format 2 adds the item-major arrays,
// each rank's CSC block following the lower ranks', and the digests of the
// rating arrays' pieces (data/dataset_arrays.hpp), also from the bytes in
// memory.
#include <algorithm>
#include <limits>

#include "dataset_arrays.hpp"
#include "dmf/io/npy.hpp"

#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/model/dir_writer.hpp"

namespace dmf::data {

nlohmann::json write_data_set(const dist::Comm& comm, const std::string& dir,
                              const RatingsData& data, const nlohmann::json& source, bool overwrite,
                              const DataSetLayout& layout) {
  DMF_CHECK(layout.format_version >= kDataSetOldestFormatVersion &&
                layout.format_version <= kDataSetFormatVersion,
            "internal: no data set format {}", layout.format_version);
  const SparseBlock& block = data.by_user;
  const bool has_time = comm.any(!block.times.empty());
  // This rank's ratings in canonical order: its users are a contiguous range
  // of the user order, following the lower ranks' users.
  std::vector<std::uint32_t> rows(block.nnz());
  for (std::uint32_t r = 0; r < block.rows(); ++r) {
    std::fill(rows.begin() + static_cast<std::ptrdiff_t>(block.offsets[r]),
              rows.begin() + static_cast<std::ptrdiff_t>(block.offsets[r + 1]),
              block.first_row + r);
  }
  float low = std::numeric_limits<float>::infinity();
  float high = -std::numeric_limits<float>::infinity();
  for (const float v : block.values) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  low = comm.allreduce(low, dist::Op::kMin);
  high = comm.allreduce(high, dist::Op::kMax);
  const std::uint64_t ratings = comm.allreduce(block.nnz(), dist::Op::kSum);

  nlohmann::json manifest;
  manifest["kind"] = kDataSetKind;
  manifest["users"] = data.users.total_rows();
  manifest["items"] = data.items.total_rows();
  manifest["ratings"] = ratings;
  manifest["has_time"] = has_time;
  if (ratings > 0) {
    manifest["rating_min"] = low;
    manifest["rating_max"] = high;
  }
  manifest["user_order"] = data.users.order().numeric() ? "numeric" : "bytewise";
  manifest["item_order"] = data.items.order().numeric() ? "numeric" : "bytewise";
  manifest["fingerprint"] = fingerprint(comm, data);
  manifest["source"] = source;

  model::DirWriter writer(comm, dir, overwrite);
  writer.write_ids("user_ids.txt", data.users);
  writer.write_ids("item_ids.txt", data.items);
  const auto user_counts = data.by_user.degrees();
  const auto item_counts = data.by_item.degrees();
  writer.write_array("user_counts.npy", data.users.total_rows(), 0,
                     std::span<const std::uint64_t>(user_counts));
  writer.write_array("item_counts.npy", data.items.total_rows(), 0,
                     std::span<const std::uint64_t>(item_counts));
  const bool pieces = layout.format_version >= 2;
  nlohmann::json piece_list = nlohmann::json::object();
  // A rating array: this rank's `part`, from element `first`.
  const auto rating_array = [&](const std::string& file, auto part, io::NpyType type,
                                std::uint64_t first) {
    writer.write_array(file, ratings, 0, part);
    if (!pieces) return;
    const std::string header = io::npy_header(io::NpyShape{{ratings}}, type);
    const std::uint64_t element = io::npy_element_bytes(type);
    piece_list[file] =
        piece_digests(comm, header, {reinterpret_cast<const char*>(part.data()), part.size_bytes()},
                      first, element, header.size() + ratings * element, layout.piece_bytes);
  };
  const std::uint64_t first = comm.exscan_sum(block.nnz());
  rating_array("rows.npy", std::span<const std::uint32_t>(rows), io::NpyType::kUInt32, first);
  rows = {};
  rating_array("columns.npy", std::span<const std::uint32_t>(block.columns), io::NpyType::kUInt32,
               first);
  rating_array("values.npy", std::span<const float>(block.values), io::NpyType::kFloat32, first);
  if (has_time) {
    rating_array("times.npy", std::span<const std::int64_t>(block.times), io::NpyType::kInt64,
                 first);
  }
  if (pieces) {
    // The CSC blocks: item rows in rank order, each item's users ascending.
    const SparseBlock& by_item = data.by_item;
    const std::uint64_t item_first = comm.exscan_sum(by_item.nnz());
    rating_array("item_users.npy", std::span<const std::uint32_t>(by_item.columns),
                 io::NpyType::kUInt32, item_first);
    rating_array("item_values.npy", std::span<const float>(by_item.values), io::NpyType::kFloat32,
                 item_first);
    if (has_time) {
      rating_array("item_times.npy", std::span<const std::int64_t>(by_item.times),
                   io::NpyType::kInt64, item_first);
    }
    manifest["pieces"] = piece_list;
  }
  writer.publish(manifest, layout.format_version);
  manifest["format_version"] = layout.format_version;
  return manifest;
}

}  // namespace dmf::data
