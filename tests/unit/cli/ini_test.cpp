#include "dmf/cli/ini.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dmf/cli/params.hpp"
#include "dmf/core/error.hpp"

namespace dmf::cli {
namespace {

TEST(Ini, ParsesTextWithCommentsAndLines) {
  const auto entries =
      parse_ini("# head\n\nrank = 8  # command line\n[s]\nout = \"a # b\"\n", "m.json");
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].key, "rank");
  EXPECT_EQ(entries[0].value, "8");
  EXPECT_EQ(entries[0].line, 3U);
  EXPECT_EQ(entries[1].key, "out");
  EXPECT_EQ(entries[1].value, "a # b");
  EXPECT_EQ(entries[1].line, 5U);
}

TEST(Ini, ErrorsNameTheSourceAndLine) {
  try {
    (void)parse_ini("rank = 1\nrank = 2\n", "run/manifest.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run/manifest.json:2: 'rank' is already set at line 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(Ini, ReadsBackAnEffectiveConfiguration) {
  // What dmf gather does with the "config" text of a manifest.
  double lambda = 0.05;
  std::string out;
  ParamSet params("demo", "A demo command");
  params.add("lambda", &lambda, "Regularisation");
  params.add("out", &out, "Output");
  params.parse(std::vector<std::string>{"--lambda", "0.125"});
  const auto entries = parse_ini(params.effective_config(), "echo");
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].key, "lambda");
  EXPECT_EQ(entries[0].value, "0.125");
  EXPECT_EQ(entries[1].key, "out");
  EXPECT_EQ(entries[1].value, "");
}

}  // namespace
}  // namespace dmf::cli
