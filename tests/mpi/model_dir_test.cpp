// The model directory round trip at 1-4 ranks: what is written reads back
// bit for bit (arrays, μ, k, biases, IDs), whatever the rank count of the
// reader, with nothing left behind and nothing replaced without --overwrite.
#include "dmf/model/model_dir.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "dmf/model/dir_writer.hpp"
#include "dmf/model/init.hpp"
#include "support/temp_dir.hpp"

namespace dmf::model {
namespace {

namespace fs = std::filesystem;

std::vector<float> gathered(const dist::Comm& comm, const std::vector<float>& local) {
  return comm.allgatherv<float>(local);
}

std::vector<std::string> gathered_tokens(const dist::Comm& comm, const data::IdDirectory& ids) {
  std::vector<std::uint32_t> rows(ids.total_rows());
  for (std::uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
  return ids.tokens_of(comm, rows);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class ModelDir : public testing::TestWithParam<const char*> {};

TEST_P(ModelDir, ReadsBackWhatWasWritten) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", GetParam()), data::LoadOptions{});
  Model model = init_model(comm, data, 3, Biases::kUser, 7, 0.5);
  for (std::size_t r = 0; r < model.users.bias.size(); ++r) model.users.bias[r] = 0.25F * static_cast<float>(r + 1);
  const std::string out = dir.file("model");
  write_model_dir(comm, out, model, data.users, data.items, {{"k", 3}, {"biases", "user"}, {"mu", model.mu}, {"note", "x"}}, false);

  const LoadedModel loaded = read_model_dir(comm, out);
  EXPECT_EQ(loaded.model.k, 3);
  EXPECT_EQ(loaded.model.biases, Biases::kUser);
  EXPECT_EQ(loaded.model.mu, model.mu);
  EXPECT_EQ(loaded.manifest["note"], "x");
  EXPECT_EQ(loaded.manifest["format_version"], kModelFormatVersion);
  // The reader splits rows by count, the writer by ratings: compare globally.
  EXPECT_TRUE(same_bits(gathered(comm, loaded.model.users.factors), gathered(comm, model.users.factors)));
  EXPECT_TRUE(same_bits(gathered(comm, loaded.model.items.factors), gathered(comm, model.items.factors)));
  EXPECT_TRUE(same_bits(gathered(comm, loaded.model.users.bias), gathered(comm, model.users.bias)));
  EXPECT_TRUE(same_bits(gathered(comm, loaded.model.items.bias), gathered(comm, model.items.bias)));
  EXPECT_EQ(gathered_tokens(comm, loaded.users), gathered_tokens(comm, data.users));
  EXPECT_EQ(gathered_tokens(comm, loaded.items), gathered_tokens(comm, data.items));

  // Refused without overwrite, replaced with it; no temporary left behind.
  EXPECT_THROW(write_model_dir(comm, out, model, data.users, data.items, {{"k", 3}, {"biases", "user"}, {"mu", 1.0}}, false), Error);
  EXPECT_EQ(read_model_dir(comm, out).model.mu, model.mu);
  write_model_dir(comm, out, model, data.users, data.items, {{"k", 3}, {"biases", "user"}, {"mu", 1.5}}, true);
  EXPECT_EQ(read_model_dir(comm, out).model.mu, 1.5);
  comm.barrier();
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find("dmf-tmp"), std::string::npos) << entry.path();
  }
}

INSTANTIATE_TEST_SUITE_P(
    IdKinds, ModelDir,
    testing::Values("1,10,3\n2,10,4\n3,20,5\n10,30,1\n2,30,2\n",       // numeric IDs
                    "bob,x,3\nann,y,4\ncid,x,5\nann,z,1\ndan,y,2\n",  // text IDs
                    "1,1,3\n2,2,4\n"));  // fewer rows than ranks

TEST(ModelDir, RefusesToReplaceWhatIsNotAModel) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", "1,1,3\n2,2,4\n"), data::LoadOptions{});
  const Model model = init_model(comm, data, 2, Biases::kBoth, 1, 0.5);
  const std::string mine = dir.file("mine");
  if (comm.is_root()) fs::create_directory(mine);
  comm.barrier();
  dir.write("mine/notes.txt", "keep");  // collective: rank 0 writes
  EXPECT_THROW(write_model_dir(comm, mine, model, data.users, data.items, {{"k", 2}, {"biases", "both"}, {"mu", 3.0}}, true), Error);
  EXPECT_EQ(test::read_file(dir.file("mine/notes.txt")), "keep");
  EXPECT_FALSE(fs::exists(dir.file("mine/manifest.json")));
}

/// The message of the error `work` raises on every rank, or "".
template <class Work>
std::string error_of(Work&& work) {
  try {
    work();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(ModelDir, ReadsOnlyTheManifestItsChecksumNames) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data = data::load_ratings(comm, dir.write("r.csv", "1,1,3\n2,2,4\n3,1,2\n"), data::LoadOptions{});
  const Model model = init_model(comm, data, 2, Biases::kBoth, 1, 0.5);
  const std::string out = dir.file("model");
  write_model_dir(comm, out, model, data.users, data.items, {{"k", 2}, {"biases", "both"}, {"mu", 3.0}}, false);
  const std::string manifest = test::read_file(dir.file("model/manifest.json"));
  EXPECT_EQ(test::read_file(dir.file("model/manifest.xxh3")), manifest_checksum_line(manifest));
  comm.barrier();  // every rank has read it before rank 0 changes it

  // One byte changed (mu 3.0 -> 4.0): refused, naming the manifest.
  std::string edited = manifest;
  edited.replace(edited.find("\"mu\": 3.0"), 10, "\"mu\": 4.0");
  dir.write("model/manifest.json", edited);
  EXPECT_EQ(error_of([&] { static_cast<void>(read_model_dir(comm, out)); }),
            fmt::format("{}/manifest.json does not match its checksum in {}/manifest.xxh3 ({} there, {} now): the manifest was changed after dmf wrote it",
                        out, out, manifest_checksum_line(manifest).substr(0, 16), manifest_checksum_line(edited).substr(0, 16)));

  // Without manifest.xxh3 (an older dmf): read as it is...
  if (comm.is_root()) fs::remove(dir.file("model/manifest.xxh3"));
  comm.barrier();
  EXPECT_EQ(read_model_dir(comm, out).model.mu, 4.0);
  // ... but not with names outside the directory or files left unverified.
  auto m = nlohmann::json::parse(edited);
  m["files"]["../r.csv"] = m["files"]["user_bias.npy"];
  dir.write("model/manifest.json", m.dump());
  EXPECT_NE(error_of([&] { static_cast<void>(read_model_dir(comm, out)); })
                .find("\"files\" names ../r.csv, which is not inside the directory"),
            std::string::npos);
  m["files"] = nlohmann::json::object();
  dir.write("model/manifest.json", m.dump());
  EXPECT_EQ(error_of([&] { static_cast<void>(read_model_dir(comm, out)); }),
            fmt::format("{}/manifest.json: \"files\" does not list user_factors.npy, so it cannot be verified", out));
}

TEST(ModelDir, ReadsTheFeedbackKindAbsentMeaningExplicit) {
  const auto comm = dist::Comm::world();
  test::TempDir dir(comm);
  const auto data =
      data::load_ratings(comm, dir.write("r.csv", "1,1,3\n2,2,4\n3,1,2\n"), data::LoadOptions{});
  const Model model = init_model(comm, data, 2, Biases::kNone, 1, 0.5);
  const auto write = [&](const char* name, const nlohmann::json& manifest) {
    write_model_dir(comm, dir.file(name), model, data.users, data.items, manifest, false);
    return dir.file(name);
  };
  nlohmann::json manifest{{"k", 2}, {"biases", "none"}, {"mu", 0.0}};
  EXPECT_EQ(read_model_dir(comm, write("old", manifest)).feedback, Feedback::kExplicit);
  manifest["feedback"] = "implicit";
  EXPECT_EQ(read_model_dir(comm, write("implicit", manifest)).feedback, Feedback::kImplicit);
  manifest["feedback"] = "clicks";
  const std::string bad = write("bad", manifest);
  EXPECT_EQ(error_of([&] { static_cast<void>(read_model_dir(comm, bad)); }),
            fmt::format("{}/manifest.json: \"feedback\" is \"clicks\", not \"explicit\" or "
                        "\"implicit\"",
                        bad));
}

TEST(StaysInside, RefusesAbsolutePathsAndParents) {
  EXPECT_TRUE(stays_inside(""));
  EXPECT_TRUE(stays_inside("epoch-3/user_factors.npy"));
  EXPECT_TRUE(stays_inside("a/./b..c"));
  EXPECT_FALSE(stays_inside("/etc/passwd"));
  EXPECT_FALSE(stays_inside(".."));
  EXPECT_FALSE(stays_inside("../elsewhere"));
  EXPECT_FALSE(stays_inside("a/../../b"));
}

}  // namespace
}  // namespace dmf::model
