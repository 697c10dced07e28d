#include "support/temp_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace dmf::test {
namespace {

std::filesystem::path make_unique_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dmf-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

TempDir::TempDir() : path_(make_unique_dir()) {}

TempDir::TempDir(const dist::Comm& comm) : owner_(comm.is_root()), comm_(&comm) {
  std::string path;
  if (comm.is_root()) path = make_unique_dir().string();
  path_ = comm.broadcast(path, 0);
}

TempDir::~TempDir() {
  if (comm_ != nullptr) comm_->barrier();  // nobody still reading
  if (owner_) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

std::string TempDir::file(std::string_view name) const { return (path_ / name).string(); }

std::string TempDir::write(std::string_view name, std::string_view content) const {
  const std::string target = file(name);
  if (owner_) {
    std::ofstream out(target, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  if (comm_ != nullptr) comm_->barrier();  // visible to every rank before use
  return target;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace dmf::test
