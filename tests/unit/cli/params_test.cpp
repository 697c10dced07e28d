#include "dmf/cli/params.hpp"
#include <gtest/gtest.h>
TEST(Params, Placeholder) { SUCCEED(); }
