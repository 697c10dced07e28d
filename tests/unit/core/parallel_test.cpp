#include "dmf/core/parallel.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dmf/core/error.hpp"

namespace dmf {
namespace {

std::string error_of(int requested, const char* env, int cores) {
  try {
    (void)resolve_threads(requested, env, cores);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(ResolveThreads, ExplicitThenEnvironmentThenCores) {
  EXPECT_EQ(resolve_threads(3, "5", 4), 3);
  EXPECT_EQ(resolve_threads(0, "5", 4), 5);
  EXPECT_EQ(resolve_threads(0, nullptr, 4), 4);
  EXPECT_EQ(resolve_threads(0, "", 4), 4);
}

TEST(ResolveThreads, AtMostSixteenPerCore) {
  EXPECT_EQ(resolve_threads(kMaxThreadsPerCore * 2, nullptr, 2), 32);
  EXPECT_EQ(error_of(33, nullptr, 2),
            "--threads 33 asks for 33 threads, more than 16 x the 2 core(s) this rank may use "
            "(32); give at most 32");
  EXPECT_EQ(error_of(0, "100000", 1),
            "OMP_NUM_THREADS=100000 asks for 100000 threads, more than 16 x the 1 core(s) this "
            "rank may use (16); give at most 16");
  // Beyond int: still the same sentence, not an overflow.
  EXPECT_NE(error_of(0, "99999999999", 1).find("asks for 99999999999 threads"), std::string::npos);
}

TEST(ResolveThreads, EnvironmentMustBeAPositiveInteger) {
  for (const char* bad : {"x", "0", "-2"}) {
    EXPECT_EQ(error_of(0, bad, 2),
              std::string("OMP_NUM_THREADS='") + bad + "' is not a positive integer");
  }
}

}  // namespace
}  // namespace dmf
