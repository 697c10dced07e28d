// Writes that fail or are cut short, at 1-4 ranks: a file size limit
// (ulimit -f) on one rank or on all makes every rank raise the same error,
// naming the file and the reason, and nothing is published; the checksums
// recorded are those of the bytes written, however the ranks' parts fall on
// the checksum chunks.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "dmf/dist/file_digests.hpp"
#include "dmf/dist/ordered_file_writer.hpp"
#include "dmf/model/init.hpp"
#include "dmf/model/model_dir.hpp"
#include "support/collective_error.hpp"
#include "support/temp_dir.hpp"

namespace dmf {
namespace {

namespace fs = std::filesystem;

/// The file size limit of this process lowered to `bytes` while in scope
/// (dist::Environment ignores SIGXFSZ, so writes past it fail with EFBIG).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(bool here, rlim_t bytes) : here_(here) {
    if (!here_) return;
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    if (here_) setrlimit(RLIMIT_FSIZE, &saved_);
  }

 private:
  bool here_;
  rlimit saved_{};
};

/// Names in `dir`, hidden ones included.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// ---- checksums from memory ---------------------------------------------------

/// XXH3-64 of each `chunk`-byte piece of `bytes` (one digest for nothing).
std::vector<std::uint64_t> reference_digests(const std::string& bytes, std::uint64_t chunk) {
  std::vector<std::uint64_t> out;
  std::size_t at = 0;
  do {
    io::ChunkHasher hasher;
    hasher.update(std::string_view(bytes).substr(at, chunk));
    out.push_back(hasher.digest());
    at += chunk;
  } while (at < bytes.size());
  return out;
}

TEST(FileDigests, EqualTheDigestsOfTheWholeFileForAnyLayoutOfParts) {
  const auto comm = dist::Comm::world();
  // Part sizes per call and rank: empty parts, parts inside one chunk,
  // parts over several chunks, files ending on and off a chunk boundary.
  const std::vector<std::vector<std::size_t>> layouts = {
      {0}, {3}, {7}, {1, 0, 13}, {29, 2, 0, 7, 7}, {0, 0, 5, 1}, {64, 1, 6}, {13, 13, 26}};
  for (const std::uint64_t chunk : {1ULL, 7ULL, 10ULL, 1000ULL}) {
    for (const auto& layout : layouts) {
      dist::FileDigests digests(comm, chunk);
      std::string file;  // every rank builds the whole file, for the reference
      std::uint64_t size = 0;
      for (std::size_t call = 0; call < layout.size(); ++call) {
        std::string mine;
        for (int r = 0; r < comm.size(); ++r) {
          // Rank r's part in this call: its size varies with r and call,
          // with empty parts next to full ones (L = 13: rank 0's is empty),
          // and long parts for the larger L.
          const std::size_t l = layout[call];
          const auto rank = static_cast<std::size_t>(r);
          const std::size_t n = (l * (rank + 1) + rank) % 13 + (l >= 29 ? l : 0);
          std::string part(n, '\0');
          for (std::size_t b = 0; b < n; ++b) {
            part[b] =
                static_cast<char>('a' + (b * 7 + call * 3 + static_cast<std::size_t>(r)) % 26);
          }
          if (r == comm.rank()) mine = part;
          file += part;
        }
        const std::uint64_t offset = size + comm.exscan_sum<std::uint64_t>(mine.size());
        size = file.size();
        digests.add(mine, offset, size);
      }
      EXPECT_EQ(digests.finish(size), reference_digests(file, chunk))
          << "chunk " << chunk << ", " << file.size() << " bytes";
    }
  }
}

// ---- failed writes -------------------------------------------------------------

struct Written {
  data::RatingsData data;
  model::Model model;
};

/// 300 users with 8 factors: user_factors.npy is 9728 bytes.
Written small_model(const dist::Comm& comm, const test::TempDir& dir) {
  std::string csv;
  for (int u = 1; u <= 300; ++u) csv += fmt::format("{},{},{}\n", u, u % 7, 1 + u % 5);
  auto data = data::load_ratings(comm, dir.write("r.csv", csv), data::LoadOptions{});
  auto model = model::init_model(comm, data, 8, model::Biases::kBoth, 3, 0.5);
  return {std::move(data), std::move(model)};
}

const nlohmann::json kManifest = {{"k", 8}, {"biases", "both"}, {"mu", 3.0}};

class FailedWrite : public testing::TestWithParam<bool> {};  // limit on the last rank only?

TEST_P(FailedWrite, OfAModelDirectoryIsOneErrorAndLeavesNothing) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto w = small_model(comm, dir);
  const std::string out = dir.file("model");
  const auto before = names_in(dir.path());
  comm.barrier();  // every rank has looked before rank 0 creates anything
  std::string message;
  {
    const bool here = !GetParam() || comm.rank() + 1 == comm.size();
    const FileSizeLimit limit(here, 4096);
    message = test::collective_error([&] {
      model::write_model_dir(comm, out, w.model, w.data.users, w.data.items, kManifest, false);
    });
  }
  EXPECT_EQ(message, fmt::format("cannot write {}/user_factors.npy: File too large; {} was not "
                                 "created",
                                 out, out));
  comm.barrier();
  EXPECT_EQ(names_in(dir.path()), before);  // no model, no hidden directory
}

TEST_P(FailedWrite, OverAModelLeavesItAsItWas) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto w = small_model(comm, dir);
  const std::string out = dir.file("model");
  model::write_model_dir(comm, out, w.model, w.data.users, w.data.items, kManifest, false);
  std::string message;
  {
    const bool here = !GetParam() || comm.rank() + 1 == comm.size();
    const FileSizeLimit limit(here, 4096);
    nlohmann::json other = kManifest;
    other["mu"] = 1.0;
    message = test::collective_error([&] {
      model::write_model_dir(comm, out, w.model, w.data.users, w.data.items, other, true);
    });
  }
  EXPECT_NE(message.find("File too large; the existing " + out + " is unchanged"),
            std::string::npos)
      << message;
  EXPECT_EQ(model::read_model_dir(comm, out).model.mu, 3.0);
}

TEST_P(FailedWrite, OfAFileIsOneErrorNamingItAndLeavesNothing) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const std::string path = dir.file("out.txt");
  std::string message;
  {
    const bool here = !GetParam() || comm.rank() + 1 == comm.size();
    const FileSizeLimit limit(here, 1000);
    message = test::collective_error([&] {
      dist::OrderedFileWriter writer(comm, path, false);
      writer.append(std::string(600, 'x'));  // past 1000 bytes from rank 1 on
      writer.append(std::string(comm.size() == 1 ? 600 : 0, 'y'));
      writer.commit();
    });
  }
  EXPECT_EQ(message, fmt::format("cannot write {}: File too large", path));
  comm.barrier();
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

INSTANTIATE_TEST_SUITE_P(LimitOn, FailedWrite, testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "LastRank" : "EveryRank";
                         });

}  // namespace
}  // namespace dmf
