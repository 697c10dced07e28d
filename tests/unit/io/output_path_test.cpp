#include "dmf/io/output_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dmf::io {
namespace {

namespace fs = std::filesystem;

class OutputPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dmf-output-path-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "file.csv") << "1,2,3\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  [[nodiscard]] std::string at(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(OutputPath, RegularFilesAreReplacedOnlyWithOverwrite) {
  EXPECT_EQ(file_output_refusal(at("new.csv"), false), std::nullopt);
  EXPECT_EQ(file_output_refusal(at("file.csv"), true), std::nullopt);
  EXPECT_EQ(file_output_refusal(at("file.csv"), false),
            at("file.csv") + " already exists; pass --overwrite to replace it");
  EXPECT_EQ(file_output_refusal("-", false), std::nullopt);
  EXPECT_EQ(file_output_refusal(at("none/x.csv"), true),
            at("none/x.csv") + " cannot be written: directory " + at("none") + " does not exist");
}

TEST_F(OutputPath, AnythingButARegularFileIsNeverReplaced) {
  fs::create_symlink("file.csv", dir_ / "link.csv");
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  const std::string tail =
      "; dmf replaces only regular files, even with --overwrite (for "
      "standard output give -)";
  EXPECT_EQ(file_output_refusal(at("link.csv"), true),
            at("link.csv") + " is a symbolic link" + tail);
  EXPECT_EQ(file_output_refusal(at("fifo"), true), at("fifo") + " is a FIFO" + tail);
  EXPECT_EQ(file_output_refusal(dir_.string(), true), dir_.string() + " is a directory" + tail);
  EXPECT_EQ(file_output_refusal("/dev/null", true), "/dev/null is a character device" + tail);
  EXPECT_EQ(special_file_kind(at("file.csv")), "");
  EXPECT_EQ(special_file_kind(at("missing")), "");
}

TEST_F(OutputPath, DirectoriesAreTriedByCreatingAFile) {
  EXPECT_EQ(directory_refusal(dir_.string()), std::nullopt);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "the probe file was left behind";
  EXPECT_EQ(directory_refusal(at("none")), "directory " + at("none") + " does not exist");
  EXPECT_EQ(directory_refusal(at("file.csv")), at("file.csv") + " is not a directory");
  // /proc takes no new files, even from root.
  EXPECT_NE(directory_refusal("/proc"), std::nullopt);
  EXPECT_EQ(parent_directory("x.csv"), ".");
  EXPECT_EQ(parent_directory("a/b/x.csv"), "a/b");
}

TEST_F(OutputPath, ClashesBetweenOutputsAndInputs) {
  using Kind = NamedPath::Kind;
  const NamedPath data{"--data", at("file.csv")};
  const NamedPath model{"--out", at("model"), Kind::kReplacedDir};
  EXPECT_EQ(path_clash({model, {"--metrics-out", at("m.jsonl")}}, {data}), std::nullopt);
  // The same file, spelled differently or through a symbolic link.
  fs::create_symlink("file.csv", dir_ / "link.csv");
  EXPECT_EQ(path_clash({{"--metrics-out", at("sub/../file.csv")}}, {data}),
            "--metrics-out " + at("sub/../file.csv") +
                " is also the input --data; give another "
                "path");
  EXPECT_NE(path_clash({{"--metrics-out", at("link.csv")}}, {data}), std::nullopt);
  // Inside a directory replaced as a whole, or inside an input directory.
  EXPECT_EQ(path_clash({model, {"--metrics-out", at("model/m.jsonl")}}, {}),
            "--metrics-out " + at("model/m.jsonl") + " is inside --out " + at("model") +
                ", which is replaced as a whole; give another path");
  EXPECT_EQ(
      path_clash({{"--out", at("model/p.csv")}}, {{"--model", at("model"), Kind::kDirectory}}),
      "--out " + at("model/p.csv") + " is inside the input --model " + at("model") +
          "; give another path");
  // A directory written into may hold other outputs; "-" never clashes.
  EXPECT_EQ(path_clash({{"--checkpoint-dir", at("run"), Kind::kDirectory},
                        {"--out", at("run/model"), Kind::kReplacedDir}},
                       {}),
            std::nullopt);
  EXPECT_EQ(path_clash({{"--out", "-"}, {"--metrics-out", "-"}}, {}), std::nullopt);
  EXPECT_EQ(path_clash({{"--checkpoint-dir", at("ck"), Kind::kDirectory}},
                       {{"--resume", at("ck"), Kind::kDirectory}}),
            std::nullopt);
  // A name that merely starts like the directory is not inside it.
  EXPECT_EQ(path_clash({model, {"--metrics-out", at("model2")}}, {}), std::nullopt);
}

}  // namespace
}  // namespace dmf::io
