// The message of an error every rank must raise alike: the tests of input
// and write failures check both that it is collective and what it says.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "dmf/core/error.hpp"

namespace dmf::test {

/// Runs `work`, which must throw the same collective dmf::Error on every
/// rank; returns its message (empty, with a test failure, when it does not
/// throw).
template <class Work>
std::string collective_error(Work&& work) {
  try {
    work();
  } catch (const Error& e) {
    EXPECT_TRUE(e.collective()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

}  // namespace dmf::test
