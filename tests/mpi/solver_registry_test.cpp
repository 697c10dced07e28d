// Every registered solver against one behaviour suite, under 1-4 ranks: it
// trains, its state goes through a checkpoint and resumes exactly, it takes
// its own options and refuses every other solver's. A new solver is tested
// here by being registered (an entry for implicit feedback as --solver NAME
// --feedback implicit).
#include "dmf/solvers/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "dmf/cli/params.hpp"
#include "dmf/cli/train_options.hpp"
#include "dmf/core/error.hpp"
#include "dmf/model/init.hpp"
#include "dmf/train/checkpoint.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::solvers {
namespace {

/// The train command's options, parsed from `args` and checked.
struct Parsed {
  cli::TrainOptions options;
  cli::ParamSet params{"train", "Train"};

  explicit Parsed(std::vector<std::string> args) {
    cli::declare_train_options(params, options);
    args.insert(args.end(), {"--data", "r.csv", "--out", "model"});
    params.parse(args);
    cli::check_train_options(options, params);
  }
};

/// A registry entry: --solver NAME, and --feedback implicit when it is one.
struct Entry {
  std::string name;
  model::Feedback feedback = model::Feedback::kExplicit;

  [[nodiscard]] bool implicit() const { return feedback == model::Feedback::kImplicit; }
  /// The arguments that select it.
  [[nodiscard]] std::vector<std::string> args() const {
    std::vector<std::string> out{"--solver", name};
    if (implicit()) out.insert(out.end(), {"--feedback", "implicit"});
    return out;
  }
};

std::vector<Entry> entries() {
  std::vector<Entry> out;
  for (const auto& e : registered_solvers()) out.push_back({std::string(e.name), e.feedback});
  return out;
}

struct Fixture {
  dist::Comm comm = dist::Comm::world();
  test::TempDir dir{comm};
  data::RatingsData data = data::load_ratings(
      comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)), data::LoadOptions{});
  Console console{comm.is_root()};

  /// An implicit-feedback model has no biases and no μ.
  [[nodiscard]] model::Model initial(std::uint64_t seed, const Entry& entry) const {
    if (!entry.implicit()) return model::init_model(comm, data, 4, model::Biases::kBoth, seed, 0.3);
    model::Model m = model::init_model(comm, data, 4, model::Biases::kNone, seed, 0.3);
    m.mu = 0.0;
    return m;
  }
  [[nodiscard]] std::unique_ptr<Solver> make(const Parsed& parsed, model::Model& model) const {
    return parsed.options.solver_config().make(
        {comm, data, model, cli::regularization(parsed.options.model), 7, 2});
  }
};

class RegisteredSolver : public testing::TestWithParam<Entry> {};

TEST_P(RegisteredSolver, Trains) {
  Fixture f;
  const Parsed parsed(GetParam().args());
  model::Model model = f.initial(5, GetParam());
  const auto solver = f.make(parsed, model);
  EXPECT_EQ(solver->name(), GetParam().name);
  const double before = solver->objective().value();
  double after = before;
  // Enough epochs for any solver's defaults (gd's are full-batch Adam steps).
  for (int e = 0; e < 20; ++e) after = solver->epoch().value();
  EXPECT_TRUE(std::isfinite(after));
  EXPECT_LT(after, before);
  // The epoch's figure is the model's (up to the rounding of another sum).
  EXPECT_NEAR(solver->objective().value(), after, 1e-6 * after);
}

TEST_P(RegisteredSolver, CheckpointsAndResumesExactly) {
  Fixture f;
  const Parsed parsed(GetParam().args());
  model::Model model = f.initial(5, GetParam());
  const auto solver = f.make(parsed, model);
  for (int e = 0; e < 2; ++e) static_cast<void>(solver->epoch());
  train::CheckpointStore store(f.comm, f.dir.file("ck"), 1, f.data.users, f.data.items,
                               {"0123456789abcdef", {}}, f.console);
  const auto state = solver->snapshot();
  nlohmann::json manifest{{"k", model.k}, {"biases", "both"}, {"mu", model.mu}};
  manifest["checkpoint"]["loop"] = {{"settings", solver->settings_state()}};
  const auto written = store.write("test", {{"current", "", state.get()}}, manifest);

  // Another solver from another start, resumed from the checkpoint.
  model::Model other_model = f.initial(6, GetParam());
  const auto other = f.make(parsed, other_model);
  const train::Checkpoint checkpoint = train::open_checkpoint(f.comm, written.path);
  other->restore(*other->load_state(train::CheckpointSource(checkpoint, "current")));
  other->restore_settings(checkpoint.manifest["checkpoint"]["loop"]["settings"]);
  EXPECT_EQ(other->relative_change(*state), 0.0);
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(solver->epoch().value(), other->epoch().value()) << "epoch " << e;
  }
  const auto a = test::gather_model(f.comm, model);
  const auto b = test::gather_model(f.comm, other_model);
  EXPECT_TRUE(a.p == b.p && a.q == b.q && a.bu == b.bu && a.bi == b.bi);
}

TEST_P(RegisteredSolver, TakesItsOwnOptionsAndRefusesOthers) {
  const std::string name = GetParam().name;
  const Parsed declared({});
  const auto names = solver_names();
  int own = 0;
  int foreign = 0;
  for (const auto& spec : declared.params.specs()) {
    if (spec.solvers.empty()) continue;
    // Every option is declared for registered solvers.
    for (const auto& s : spec.solvers) EXPECT_NE(std::ranges::find(names, s), names.end()) << s;
    // Given at its default value: what counts is that it was given.
    std::vector<std::string> args = GetParam().args();
    args.insert(args.end(), {"--" + spec.name, spec.current()});
    if (std::ranges::find(spec.solvers, name) != spec.solvers.end()) {
      ++own;
      // With what it needs (--cg-steps needs --als-solve cg; --confidence-epsilon
      // needs --confidence log, which needs --feedback implicit), once each.
      for (const cli::ParamSpec* need = &spec; !need->only_with.first.empty();
           need = &declared.params.spec(need->only_with.first)) {
        const auto& [option, value] = need->only_with;
        if (std::ranges::find(args, "--" + option) == args.end()) {
          args.insert(args.end(), {"--" + option, value});
        }
      }
      EXPECT_NO_THROW(Parsed{args}) << spec.name;
      continue;
    }
    // Another solver's declaration of an option this solver declares too
    // (--optimizer of gd and sgd): this solver's own is the one it takes.
    if (const auto takers = declared.params.solvers_of(spec.name);
        std::ranges::find(takers, name) != takers.end()) {
      continue;
    }
    ++foreign;
    try {
      Parsed refused(args);
      ADD_FAILURE() << "--" << spec.name << " accepted under --solver " << name;
    } catch (const Error& e) {
      // Every solver that declares it (gd and sgd declare --lr).
      EXPECT_NE(std::string(e.what()).find(
                    fmt::format("--{} applies to --solver {}", spec.name,
                                fmt::join(declared.params.solvers_of(spec.name), " or --solver "))),
                std::string::npos)
          << e.what();
      EXPECT_TRUE(std::string(e.what()).ends_with(", not " + name)) << e.what();
    }
  }
  // With two solvers or more, each has options of its own the others refuse.
  EXPECT_GT(own, 0);
  if (names.size() > 1) {
    EXPECT_GT(foreign, 0);
  }
}

/// The error `args` are refused with ("" if accepted).
std::string refusal(std::vector<std::string> args) {
  try {
    const Parsed parsed(std::move(args));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Feedback, ImplicitPicksTheSolversImplicitEntryAndRefusesWhatMeansNothingThere) {
  Fixture f;
  const Parsed parsed({"--feedback", "implicit"});
  model::Model model = f.initial(5, {"als", model::Feedback::kImplicit});
  const auto solver = f.make(parsed, model);
  EXPECT_EQ(solver->report().value("feedback", ""), "implicit");
  EXPECT_EQ(cli::model_biases(parsed.options), model::Biases::kNone);

  EXPECT_EQ(refusal({"--solver", "gd", "--feedback", "implicit"}),
            "--solver gd trains on explicit ratings only; --feedback implicit trains with "
            "--solver als");
  EXPECT_TRUE(refusal({"--feedback", "implicit", "--biases", "both"})
                  .starts_with("--biases both: an implicit-feedback model has no biases"));
  EXPECT_EQ(refusal({"--feedback", "implicit", "--biases", "none"}), "");
  // The validation set is watched by a ranking metric (ndcg@10 by default),
  // never by RMSE; a test set (scored by RMSE) is refused.
  EXPECT_EQ(cli::validation_metric(parsed.options).name(), "ndcg@10");
  EXPECT_TRUE(refusal({"--feedback", "implicit", "--holdout", "0.1", "--validation-metric", "rmse"})
                  .starts_with("--validation-metric rmse: an implicit-feedback model predicts "
                               "no ratings"));
  EXPECT_TRUE(refusal({"--feedback", "implicit", "--test", "t.csv"})
                  .starts_with("--test is scored by RMSE, which means nothing under --feedback "
                               "implicit"));
  EXPECT_EQ(refusal({"--feedback", "implicit", "--holdout", "0.1", "--early-stop", "2"}), "");
  EXPECT_EQ(refusal({"--alpha", "2"}), "--alpha applies to --feedback implicit, not explicit");
  EXPECT_EQ(refusal({"--feedback", "implicit", "--confidence", "log", "--confidence-epsilon", "0"}),
            "--confidence-epsilon: must be positive (got 0)");
}

std::string solver_name(const testing::TestParamInfo<Entry>& param) {
  return param.param.name + (param.param.implicit() ? "_implicit" : "");
}

INSTANTIATE_TEST_SUITE_P(Registry, RegisteredSolver, testing::ValuesIn(entries()), solver_name);

}  // namespace
}  // namespace dmf::solvers
