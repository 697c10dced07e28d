// The checkpoint directory's lock: one holder at a time, released with its
// holder (flock locks belong to an open file, so a second open in this same
// process is a second holder).
#include "dmf/io/file_lock.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "dmf/core/error.hpp"

namespace dmf::io {
namespace {

TEST(FileLock, OneHolderAtATimeAndTheLockGoesWithItsHolder) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("dmf-file-lock-test-" + std::to_string(::getpid()));
  {
    FileLock first(path.string());
    EXPECT_EQ(first.outcome(), FileLock::Outcome::kTaken);
    EXPECT_EQ(FileLock(path.string()).outcome(), FileLock::Outcome::kHeld);
    FileLock moved = std::move(first);
    EXPECT_EQ(FileLock(path.string()).outcome(), FileLock::Outcome::kHeld);
  }
  EXPECT_EQ(FileLock(path.string()).outcome(), FileLock::Outcome::kTaken);
  std::filesystem::remove(path);
  EXPECT_THROW(FileLock((path / "missing" / "lock").string()), Error);
}

}  // namespace
}  // namespace dmf::io
