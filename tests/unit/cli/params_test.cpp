#include "dmf/cli/params.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "dmf/data/duplicates.hpp"
#include "dmf/io/text_values.hpp"
#include "support/temp_dir.hpp"

namespace dmf::cli {
namespace {

struct Options {
  int rank = 10;
  double lambda = 0.05;
  std::string out;
  bool json = false;
  data::DuplicatePolicy duplicates = data::DuplicatePolicy::kError;
  std::optional<io::RatingRange> range;
};

/// A ParamSet for Options, as a command would declare it.
struct Fixture {
  Options o;
  ParamSet params{"demo", "A demo command"};
  Fixture() {
    params.section("Model");
    params.add("rank", &o.rank, "Latent dimensions").alias("k").alias("factors").at_least(1);
    params.add("lambda", &o.lambda, "Regularisation").at_least(0.0);
    params.add("out", &o.out, "Output").value_name("FILE");
    params.flag("json", &o.json, "JSON output");
    params.add("duplicates", &o.duplicates, "Duplicates").hint("avg", "mean is the average");
    params.add("rating-range", &o.range, "Range").value_name("MIN:MAX");
  }
  void parse(std::vector<std::string> args) { params.parse(args); }
};

std::string error_of(Fixture& f, std::vector<std::string> args) {
  try {
    f.parse(std::move(args));
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Params, DefaultsComeFromTheOptionsStruct) {
  Fixture f;
  f.parse({});
  EXPECT_EQ(f.o.rank, 10);
  EXPECT_FALSE(f.params.given("rank"));
  EXPECT_NE(f.params.help().find("[default: 10]"), std::string::npos);
}

TEST(Params, AOneLetterNameIsAlsoItsShortForm) {
  Fixture f;
  f.parse({"-k", "32"});
  EXPECT_EQ(f.o.rank, 32);
  Fixture g;
  g.parse({"--k", "16"});
  EXPECT_EQ(g.o.rank, 16);
  // An error names the option as written.
  Fixture h;
  const std::string short_form = error_of(h, {"-k"});
  EXPECT_NE(short_form.find("option '-k' is missing"), std::string::npos) << short_form;
  Fixture i;
  const std::string long_form = error_of(i, {"--k"});
  EXPECT_NE(long_form.find("option '--k' is missing"), std::string::npos) << long_form;
}

TEST(Params, CommandLineValuesOfEveryType) {
  Fixture f;
  f.parse({"--rank", "32", "--lambda=0.1", "--out", "m", "--json", "--duplicates", "mean",
           "--rating-range", "1:5"});
  EXPECT_EQ(f.o.rank, 32);
  EXPECT_DOUBLE_EQ(f.o.lambda, 0.1);
  EXPECT_EQ(f.o.out, "m");
  EXPECT_TRUE(f.o.json);
  EXPECT_EQ(f.o.duplicates, data::DuplicatePolicy::kMean);
  ASSERT_TRUE(f.o.range.has_value());
  EXPECT_EQ(f.o.range->min, 1.0);
  EXPECT_EQ(f.o.range->max, 5.0);
  EXPECT_TRUE(f.params.given("rank"));
}

TEST(Params, FlagTakesAnExplicitValue) {
  Fixture f;
  f.parse({"--json=false"});
  EXPECT_FALSE(f.o.json);
}

TEST(Params, StrictBounds) {
  // A fresh declaration per parse, as a command makes one per run.
  const auto error = [](std::vector<std::string> args) -> std::string {
    double fraction = 0.5;
    double step = 1.0;
    ParamSet params{"demo", "A demo command"};
    params.add("fraction", &fraction, "A fraction").below(1.0);
    params.add("step", &step, "A step").positive();
    try {
      params.parse(args);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error({"--fraction", "1"}).find("--fraction: must be below 1 (got 1)"),
            std::string::npos);
  EXPECT_NE(error({"--step", "0"}).find("--step: must be positive (got 0)"), std::string::npos);
  EXPECT_EQ(error({"--fraction", "0.99", "--step", "1e-9"}), "no error");
}

TEST(Params, ErrorsNameTheOption) {
  Fixture f;
  EXPECT_NE(error_of(f, {"--rank", "abc"}).find("--rank: expected an integer, got 'abc'"),
            std::string::npos);
  Fixture g;
  EXPECT_NE(error_of(g, {"--rank", "0"}).find("--rank: must be at least 1 (got 0)"),
            std::string::npos);
  Fixture h;
  EXPECT_NE(error_of(h, {"--duplicates", "avg"})
                .find("'avg' is not one of error|first|last|mean|sum; mean is the average"),
            std::string::npos);
  Fixture h2;
  EXPECT_NE(error_of(h2, {"--duplicates", "mena"}).find("; did you mean mean?"), std::string::npos);
  Fixture i;
  EXPECT_NE(error_of(i, {"--rating-range", "5:1"}).find("--rating-range: MIN 5 is above MAX 1"),
            std::string::npos);
  Fixture j;
  EXPECT_NE(error_of(j, {"--rnak", "3"})
                .find("unknown option --rnak for 'dmf demo'; did you mean --rank?"),
            std::string::npos);
  Fixture j2;
  EXPECT_NE(error_of(j2, {"-x", "3"}).find("unknown option -x for 'dmf demo'"), std::string::npos);
  Fixture k;
  EXPECT_NE(error_of(k, {"--rank", "3", "--rank", "4"}).find("--rank is given more than once"),
            std::string::npos);
  Fixture l;
  EXPECT_NE(error_of(l, {"stray"}).find("unexpected argument 'stray'"), std::string::npos);
  Fixture m;
  EXPECT_NE(error_of(m, {"--lambda", "nan"}).find("--lambda"), std::string::npos);
}

TEST(Params, ConfigFileWithCommandLineOverride) {
  test::TempDir dir;
  const auto ini =
      dir.write("c.ini",
                "# a comment\n[model]\nrank = 16\nlambda = 0.5\n; other\nout = \"x y\"\n"
                "json = yes\nepochs = 3\n");
  Fixture f;
  f.params.parse(std::vector<std::string>{"--config", ini, "--rank", "8"}, {"epochs"});
  EXPECT_EQ(f.o.rank, 8);  // the command line wins
  EXPECT_DOUBLE_EQ(f.o.lambda, 0.5);
  EXPECT_EQ(f.o.out, "x y");
  EXPECT_TRUE(f.o.json);
  const std::string echo = f.params.effective_config();
  EXPECT_NE(echo.find("rank = 8  # command line"), std::string::npos) << echo;
  EXPECT_NE(echo.find("lambda = 0.5  # " + ini + ":4"), std::string::npos) << echo;
  EXPECT_NE(echo.find("duplicates = error\n"), std::string::npos) << echo;
}

TEST(Params, ConfigFileErrorsNameFileAndLine) {
  test::TempDir dir;
  auto expect_error = [&](const std::string& content, const std::string& expected) {
    const auto ini = dir.write("bad.ini", content);
    Fixture f;
    try {
      f.params.parse(std::vector<std::string>{"--config", ini});
      ADD_FAILURE() << "no error for: " << content;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(ini + expected), std::string::npos)
          << e.what() << "\nexpected: " << expected;
    }
  };
  expect_error("rank = 4\nrnak = 5\n", ":2: unknown option 'rnak'; did you mean --rank?");
  expect_error("\n\nrank = zero\n", ":3: rank: expected an integer, got 'zero'");
  expect_error("rank = 0\n", ":1: rank: must be at least 1 (got 0)");
  expect_error("rank = 4\nrank = 5\n", ":2: 'rank' is already set at line 1");
  expect_error("just words\n", ":1: expected 'key = value'");
}

TEST(Params, ConfigFileInlineCommentsAndQuotes) {
  test::TempDir dir;
  const auto ini = dir.write("c.ini", "rank = 12  # why twelve\nout = \"a # b\"   ; quoted\n");
  Fixture f;
  f.params.parse(std::vector<std::string>{"--config", ini});
  EXPECT_EQ(f.o.rank, 12);
  EXPECT_EQ(f.o.out, "a # b");
}

TEST(Params, MissingConfigFileIsOneSentence) {
  Fixture f;
  EXPECT_NE(error_of(f, {"--config", "/nonexistent/c.ini"})
                .find("cannot read config file /nonexistent/c.ini"),
            std::string::npos);
}

TEST(Params, EffectiveConfigIsAValidConfigFile) {
  test::TempDir dir;
  Fixture f;
  f.parse({"--rank", "7", "--json", "--rating-range", "0.5:5"});
  std::ofstream(dir.file("echo.ini")) << f.params.effective_config();
  Fixture g;
  g.params.parse(std::vector<std::string>{"--config", dir.file("echo.ini")});
  auto without_config = [](auto values) {  // --config itself names different files
    std::erase_if(values, [](const auto& kv) { return kv.first == "config"; });
    return values;
  };
  EXPECT_EQ(without_config(g.params.effective_values()),
            without_config(f.params.effective_values()));
}

TEST(Params, HelpListsEveryOption) {
  Fixture f;
  const std::string help = f.params.help();
  for (const auto& name : f.params.names()) {
    EXPECT_NE(help.find("--" + name), std::string::npos) << name;
  }
  EXPECT_NE(help.find("(error|first|last|mean|sum)"), std::string::npos);
  Fixture g;
  g.parse({"--help"});
  EXPECT_TRUE(g.params.help_requested());
}

TEST(Params, MarkdownHasARowPerOption) {
  Fixture f;
  const std::string md = f.params.markdown();
  for (const auto& name : f.params.names()) {
    EXPECT_NE(md.find("| `--" + name + "` |"), std::string::npos) << name;
  }
}

TEST(Params, AliasesOnTheCommandLineAndInConfigFiles) {
  Fixture f;
  f.parse({"--k", "4"});
  EXPECT_EQ(f.o.rank, 4);
  EXPECT_TRUE(f.params.given("rank"));
  EXPECT_NE(f.params.effective_config().find("\nrank = 4  # command line\n"), std::string::npos);
  EXPECT_NE(f.params.help().find("(also -k, --factors)"), std::string::npos);
  Fixture g;
  EXPECT_NE(error_of(g, {"--rank", "4", "--factors", "5"}).find("--rank is given more than once"),
            std::string::npos);

  test::TempDir dir;
  Fixture h;
  h.params.parse(std::vector<std::string>{"--config", dir.write("a.ini", "factors = 6\n")});
  EXPECT_EQ(h.o.rank, 6);
  Fixture i;
  const auto twice = dir.write("b.ini", "rank = 6\nk = 7\n");
  EXPECT_NE(
      error_of(i, {"--config", twice})
          .find(twice + ":2: 'k' is already set at " + twice + ":1 (as another name of --rank)"),
      std::string::npos);
}

TEST(Params, ConfigFileDefaultsAreNotRequests) {
  // A printed configuration spells out every default; reading it back must
  // not count those as given (a solver's checks refuse options it ignores).
  test::TempDir dir;
  Fixture f;
  f.params.parse(
      std::vector<std::string>{"--config", dir.write("c.ini", "rank = 10\nlambda = 0.5\n")});
  EXPECT_FALSE(f.params.given("rank"));
  EXPECT_TRUE(f.params.given("lambda"));
  Fixture g;
  g.parse({"--rank", "10"});
  EXPECT_TRUE(g.params.given("rank"));  // on the command line it is a request
}

TEST(Params, PrintConfigReadsBackToTheSameBytes) {
  test::TempDir dir;
  Fixture f;
  f.parse({"--print-config", "--k", "7", "--out", " a # b ", "--rating-range", "0.5:5"});
  EXPECT_TRUE(f.params.print_config_requested());
  const std::string printed = f.params.effective_config(false);
  EXPECT_EQ(printed.find("print-config"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("command line"), std::string::npos) << printed;
  EXPECT_NE(printed.find("\n[Model]\nrank = 7\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("out = \" a # b \"\n"), std::string::npos) << printed;
  Fixture g;
  g.params.parse(std::vector<std::string>{"--config", dir.write("p.ini", printed)});
  EXPECT_EQ(g.o.out, " a # b ");
  EXPECT_EQ(g.params.effective_config(false), printed);
  // print-config is an action of the command line, not a setting.
  Fixture h;
  const auto ini = dir.write("q.ini", "print-config = true\n");
  EXPECT_NE(
      error_of(h, {"--config", ini}).find(ini + ":1: print-config belongs on the command line"),
      std::string::npos);
}

TEST(Params, PrintConfigDoesNotNeedRequiredOptions) {
  std::string data;
  ParamSet params{"demo", "A demo command"};
  params.add("data", &data, "Data").required();
  params.parse(std::vector<std::string>{"--print-config"});
  EXPECT_NE(params.effective_config(false).find("data = \n"), std::string::npos);
  std::string data2;
  ParamSet again{"demo", "A demo command"};
  again.add("data", &data2, "Data").required();
  EXPECT_THROW(again.parse(std::vector<std::string>{}), Error);
}

TEST(Params, HelpListsSectionsInOrderGeneralLastThenExamples) {
  int a = 0;
  int b = 0;
  int c = 0;
  ParamSet params{"demo", "A demo command"};
  params.section("First");
  params.add("alpha", &a, "A");
  params.section("Second");
  params.add("beta", &b, "B");
  params.section("First");
  params.add("gamma", &c, "C");
  params.example("dmf demo --alpha 1", "Alpha one");
  const std::string help = params.help();
  const auto at = [&](std::string_view text) { return help.find(text); };
  EXPECT_LT(at("First:"), at("--alpha"));
  EXPECT_LT(at("--alpha"), at("--gamma"));
  EXPECT_LT(at("--gamma"), at("Second:"));
  EXPECT_LT(at("Second:"), at("General:"));
  EXPECT_LT(at("General:"), at("--config"));
  EXPECT_LT(at("--help"), at("Examples:\n  dmf demo --alpha 1\n      Alpha one\n"));
  EXPECT_NE(at("Examples:"), std::string::npos);
  const std::string md = params.markdown();
  EXPECT_LT(md.find("### First"), md.find("### Second"));
  EXPECT_NE(md.find("```sh\n# Alpha one\ndmf demo --alpha 1\n```"), std::string::npos) << md;
}

TEST(Params, ClosestName) {
  const std::vector<std::string> names{"train", "eval", "predict"};
  EXPECT_EQ(closest_name("trian", names), "train");
  EXPECT_EQ(closest_name("evl", names), "eval");
  EXPECT_EQ(closest_name("frobnicate", names), "");
}

}  // namespace
}  // namespace dmf::cli

namespace dmf::cli {
namespace {

TEST(Params, FactsAreDeclaredWithTheOption) {
  int steps = 3;
  int epochs = 10;
  std::string out;
  ParamSet params("demo", "A demo command");
  params.add("steps", &steps, "Steps").solvers({"a", "b"});
  params.add("epochs", &epochs, "Epochs").free_on_resume();
  params.add("out", &out, "Output").alias("o").outcome_free();
  EXPECT_EQ(params.spec("steps").solvers, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(params.spec("steps").free_on_resume);
  EXPECT_TRUE(params.spec("epochs").free_on_resume);
  EXPECT_FALSE(params.spec("epochs").outcome_free);
  // What changes no outcome may also differ on resume.
  EXPECT_TRUE(params.spec("o").free_on_resume);
  EXPECT_TRUE(params.spec("out").outcome_free);
  EXPECT_TRUE(params.spec("config").outcome_free);
  EXPECT_THROW((void)params.spec("nothing"), Error);
}

TEST(Params, OneOfListsAndRefusesLikeAnEnum) {
  std::string solver = "als";
  ParamSet params("demo", "A demo command");
  params.add("solver", &solver, "Solver").one_of({"als", "gd"});
  EXPECT_NE(params.help().find("(als|gd) [default: als]"), std::string::npos);
  const std::vector<std::string> bad{"--solver", "alss"};
  try {
    params.parse(bad);
    FAIL() << "accepted --solver alss";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--solver: 'alss' is not one of als|gd; did you mean als?");
  }
  ParamSet again("demo", "A demo command");
  again.add("solver", &solver, "Solver").one_of({"als", "gd"});
  const std::vector<std::string> good{"--solver", "gd"};
  again.parse(good);
  EXPECT_EQ(solver, "gd");
}

}  // namespace
}  // namespace dmf::cli

namespace dmf::cli {
namespace {

// One option declared by two solvers, each bound to its own field with its
// own default, values and checks (docs/design.md §4).
struct SharedFixture {
  std::string solver = "a";
  std::string a_rule = "x";
  std::string b_rule = "w";
  double a_lr = 0.1;
  double b_lr = 0.05;
  int a_only = 1;
  ParamSet params{"demo", "A demo command"};
  SharedFixture() {
    params.add("solver", &solver, "Solver").one_of({"a", "b", "c"});
    params.section("Steps");
    params.add("rule", &a_rule, "Rule of a").one_of({"x", "y", "z"}).solvers({"a"});
    params.add("lr", &a_lr, "Rate of a").positive().solvers({"a"});
    params.add("a-only", &a_only, "Only a's").solvers({"a"});
    params.section("Other");
    params.add("rule", &b_rule, "Rule of b").one_of({"w", "x"}).solvers({"b"});
    params.add("lr", &b_lr, "Rate of b").positive().at_most(1.0).solvers({"b"});
  }
};

std::string error_of(SharedFixture& f, std::vector<std::string> args) {
  try {
    f.params.parse(args);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(SharedOption, EachSolverTakesItsOwnValueAndDefault) {
  SharedFixture f;
  // The option may come before --solver: the value waits for it.
  f.params.parse(std::vector<std::string>{"--rule", "x", "--lr", "0.5", "--solver", "b"});
  EXPECT_EQ(f.b_rule, "x");
  EXPECT_EQ(f.b_lr, 0.5);
  EXPECT_EQ(f.a_rule, "x");
  EXPECT_EQ(f.a_lr, 0.1);
  EXPECT_TRUE(f.params.given("rule"));
  EXPECT_EQ(f.params.spec("rule").solvers, std::vector<std::string>{"b"});
  EXPECT_EQ(f.params.solvers_of("rule"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.params.solvers_of("solver").empty());
  EXPECT_EQ(f.params.names(),
            (std::vector<std::string>{"config", "print-config", "solver", "rule", "lr", "a-only"}));

  SharedFixture defaults;
  defaults.params.parse(std::vector<std::string>{"--solver", "b"});
  const auto values = defaults.params.effective_values();
  const auto value_of = [&](const std::string& name) {
    return std::ranges::find(values, name, [](const auto& v) { return v.first; })->second;
  };
  EXPECT_EQ(value_of("rule"), "w");
  EXPECT_EQ(value_of("lr"), "0.05");
  EXPECT_FALSE(defaults.params.given("rule"));
  // A solver with no declaration of its own reads the first one's.
  SharedFixture other;
  other.params.parse(std::vector<std::string>{"--solver", "c"});
  EXPECT_EQ(other.params.spec("rule").current(), "x");
}

TEST(SharedOption, ChecksAndValuesAreTheChosenSolvers) {
  SharedFixture f;
  EXPECT_EQ(error_of(f, {"--solver", "a", "--rule", "w"}),
            "--rule: 'w' is not one of x|y|z; --rule w applies to --solver b, not a");
  SharedFixture g;
  EXPECT_EQ(error_of(g, {"--rule", "y", "--solver", "b"}),
            "--rule: 'y' is not one of w|x; --rule y applies to --solver a, not b");
  SharedFixture h;
  EXPECT_EQ(error_of(h, {"--solver", "b", "--lr", "2"}), "--lr: must be at most 1 (got 2)");
  SharedFixture i;
  EXPECT_EQ(error_of(i, {"--solver", "a", "--lr", "2"}), "no error");
  SharedFixture twice;
  EXPECT_EQ(error_of(twice, {"--lr", "2", "--lr", "3"}), "--lr is given more than once");
}

TEST(SharedOption, UnderASolverWithoutOneTheOptionIsOnlyGiven) {
  // Neither a's value nor b's is checked under c: the option is c's to
  // refuse whatever its value (train: "--rule applies to --solver a or
  // --solver b, not c").
  SharedFixture f;
  EXPECT_EQ(error_of(f, {"--solver", "c", "--rule", "w"}), "no error");
  EXPECT_TRUE(f.params.given("rule"));
  EXPECT_EQ(f.a_rule, "x");
  EXPECT_EQ(f.b_rule, "w");
  // Any declaration's default spelled out in a file is no request.
  test::TempDir dir;
  const std::string file = dir.write("c.ini", "rule = w\nlr = 0.1\n");
  SharedFixture g;
  g.params.parse(std::vector<std::string>{"--config", file, "--solver", "c"});
  EXPECT_FALSE(g.params.given("rule"));
  EXPECT_FALSE(g.params.given("lr"));
}

TEST(SharedOption, ConfigFileValuesWaitForTheSolver) {
  test::TempDir dir;
  const std::string file = dir.write("c.ini", "rule = x\nlr = 0.05\n");
  SharedFixture f;
  f.params.parse(std::vector<std::string>{"--config", file, "--solver", "b"});
  EXPECT_EQ(f.b_rule, "x");
  EXPECT_NE(f.params.effective_config().find("rule = x  # " + file + ":1"), std::string::npos);
  // b's default spelled out is no request; it would be a's value.
  EXPECT_FALSE(f.params.given("lr"));
  // --print-config under b prints b's values, once, and reads back.
  SharedFixture printed;
  printed.params.parse(std::vector<std::string>{"--solver", "b", "--rule", "x"});
  const std::string text = printed.params.effective_config(false);
  EXPECT_NE(text.find("rule = x\nlr = 0.05\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("rule ="), text.rfind("rule =")) << text;
  const std::string back = dir.write("printed.ini", text);
  SharedFixture again;
  again.params.parse(std::vector<std::string>{"--config", back});
  EXPECT_EQ(again.params.effective_config(false), text);
}

TEST(SharedOption, HelpListsTheOptionOnceWithEachSolversValues) {
  SharedFixture f;
  const std::string help = f.params.help();
  EXPECT_EQ(help.find("--rule NAME"), help.rfind("--rule NAME")) << help;
  // In the section of its first declaration; the other section has nothing.
  EXPECT_LT(help.find("Steps:"), help.find("--rule NAME"));
  EXPECT_EQ(help.find("Other:"), std::string::npos) << help;
  EXPECT_NE(help.find("a: Rule of a (x|y|z) [default: x]\n"
                      "                              b: Rule of b (w|x) [default: w]\n"),
            std::string::npos)
      << help;
  const std::string md = f.params.markdown();
  EXPECT_NE(md.find("| `--lr` | a: `0.1`<br>b: `0.05` | a: Rate of a<br>b: Rate of b |"),
            std::string::npos)
      << md;
}

TEST(SharedOption, DeclarationsOfTheSameTextAreShownOnce) {
  std::string solver = "a";
  double a_every = 4.0;
  double b_every = 4.0;
  std::optional<double> a_rate;
  std::optional<double> b_rate;
  ParamSet params("demo", "A demo command");
  params.add("solver", &solver, "Solver").one_of({"a", "b"});
  params.add("every", &a_every, "Epochs between decays").solvers({"a"});
  params.add("rate", &a_rate, "Rate of a").solvers({"a"});
  params.add("every", &b_every, "Epochs between decays").solvers({"b"});
  params.add("rate", &b_rate, "Rate of b").solvers({"b"});
  const std::string help = params.help();
  EXPECT_NE(help.find("--every NUM                 a, b: Epochs between decays [default: 4]\n"),
            std::string::npos)
      << help;
  const std::string md = params.markdown();
  EXPECT_NE(md.find("| `--every` | a, b: `4` | a, b: Epochs between decays |"), std::string::npos)
      << md;
  // No default to show: the cell is empty.
  EXPECT_NE(md.find("| `--rate` |  | a: Rate of a<br>b: Rate of b |"), std::string::npos) << md;
}

TEST(SharedOption, DeclaredTwiceOnlyBySolvers) {
  int x = 0;
  int y = 0;
  ParamSet plain("demo", "A demo command");
  plain.add("x", &x, "X");
  plain.add("x", &y, "X again");
  EXPECT_THROW(plain.parse(std::vector<std::string>{}), Error);
  ParamSet same("demo", "A demo command");
  same.add("x", &x, "X").solvers({"a", "b"});
  same.add("x", &y, "X again").solvers({"b"});
  try {
    same.parse(std::vector<std::string>{});
    FAIL() << "accepted two declarations for solver b";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "option --x declared twice for one solver of 'demo'");
  }
}

}  // namespace
}  // namespace dmf::cli
