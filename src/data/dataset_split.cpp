// dmf split of a data set directory: each subset written as a data set of
// its own (data/dataset_dir.hpp), holding the IDs its ratings use.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dataset_share.hpp"
#include "dmf/data/dataset_dir.hpp"
#include "dmf/model/dir_writer.hpp"

namespace dmf::data {
namespace {

constexpr std::array<std::string_view, 3> kSubsetNames{"train", "validation", "test"};

}  // namespace

bool data_set_has_time(const dist::Comm& comm, const std::string& dir) {
  std::uint8_t yes = 0;
  if (comm.is_root()) {
    std::ifstream in(std::filesystem::path(dir) / model::kManifestFile, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const auto manifest = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    yes = manifest.is_object() && manifest.value("has_time", false) ? 1 : 0;
  }
  return comm.broadcast(yes, 0) != 0;
}

SubsetCounts write_data_set_split(const dist::Comm& comm, const RatingsData& data,
                                  const std::vector<LineSubset>& decisions,
                                  const SplitOptions& options,
                                  const std::array<std::string, 3>& paths, bool overwrite) {
  const SparseBlock& block = data.by_user;
  // assign_subsets returns the decisions of the lines this rank "read": the
  // ratings of its users, in the same (canonical) order as its block.
  comm.agree([&] {
    DMF_CHECK(decisions.size() == block.nnz(), "internal: {} split decisions for {} ratings",
              decisions.size(), block.nnz());
    for (std::uint64_t k = 0; k < block.nnz(); ++k) {
      DMF_CHECK(decisions[k].line == block.lines[k],
                "internal: the split decision of rating {} is for rating {}", block.lines[k],
                decisions[k].line);
    }
  });
  const std::uint64_t first_position =
      data.report.first_line.at(static_cast<std::size_t>(comm.rank())) - 1;
  SubsetCounts counts{};
  for (std::size_t s = 0; s < paths.size(); ++s) {
    if (paths[s].empty()) continue;
    const auto subset = static_cast<Subset>(s);
    LocalRatings local =
        pick_ratings(comm, block, data.users, data.items, first_position,
                     [&](std::uint64_t k, std::string_view user, std::string_view item) {
                       const LineSubset& d = decisions[k];
                       return (d.decided ? d.subset : random_subset(options, user, item)) == subset;
                     });
    counts[s] = comm.allreduce<std::uint64_t>(local.size(), dist::Op::kSum);
    LoadOptions build;
    build.keep_time = !block.times.empty();
    const RatingsData part = ratings_from_local(comm, local, build);
    local = LocalRatings{};
    const nlohmann::json source = {
        {"split_of", data.report.path},     {"subset", std::string(kSubsetNames.at(s))},
        {"by", to_string(options.method)},  {"seed", options.seed},
        {"test_ratio", options.test_ratio}, {"validation_ratio", options.validation_ratio}};
    (void)write_data_set(comm, paths[s], part, source, overwrite);
  }
  return counts;
}

}  // namespace dmf::data
