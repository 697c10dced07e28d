// write_data_set: loaded ratings as a data set directory
// (data/dataset_dir.hpp), written the way model directories are
// (model/dir_writer.hpp: pwrite at offsets, checksums from the bytes in
// memory, manifest last, one rename).
#include <algorithm>
#include <limits>

#include "dmf/data/dataset_dir.hpp"
#include "dmf/data/fingerprint.hpp"
#include "dmf/model/dir_writer.hpp"

namespace dmf::data {

nlohmann::json write_data_set(const dist::Comm& comm, const std::string& dir,
                              const RatingsData& data, const nlohmann::json& source,
                              bool overwrite) {
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
  writer.write_array("rows.npy", ratings, 0, std::span<const std::uint32_t>(rows));
  rows = {};
  writer.write_array("columns.npy", ratings, 0, std::span<const std::uint32_t>(block.columns));
  writer.write_array("values.npy", ratings, 0, std::span<const float>(block.values));
  if (has_time) {
    writer.write_array("times.npy", ratings, 0, std::span<const std::int64_t>(block.times));
  }
  writer.publish(manifest, kDataSetFormatVersion);
  manifest["format_version"] = kDataSetFormatVersion;
  return manifest;
}

}  // namespace dmf::data
