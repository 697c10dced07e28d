// Every registered solver against one behaviour suite, under 1-4 ranks: it
// trains, its state goes through a checkpoint and resumes exactly, it takes
// its own options and refuses every other solver's. A new solver is tested
// here by being registered.
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

struct Fixture {
  dist::Comm comm = dist::Comm::world();
  test::TempDir dir{comm};
  data::RatingsData data = data::load_ratings(
      comm, dir.write("r.csv", test::random_ratings(60, 40, 0.3)), data::LoadOptions{});
  Console console{comm.is_root()};

  [[nodiscard]] model::Model initial(std::uint64_t seed) const {
    return model::init_model(comm, data, 4, model::Biases::kBoth, seed, 0.3);
  }
  [[nodiscard]] std::unique_ptr<Solver> make(const Parsed& parsed, model::Model& model) const {
    return parsed.options.solver_config().make(
        {comm, data, model, cli::regularization(parsed.options.model), 7, 2});
  }
};

class RegisteredSolver : public testing::TestWithParam<std::string> {};

TEST_P(RegisteredSolver, Trains) {
  Fixture f;
  const Parsed parsed({"--solver", GetParam()});
  model::Model model = f.initial(5);
  const auto solver = f.make(parsed, model);
  EXPECT_EQ(solver->name(), GetParam());
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
  const Parsed parsed({"--solver", GetParam()});
  model::Model model = f.initial(5);
  const auto solver = f.make(parsed, model);
  for (int e = 0; e < 2; ++e) static_cast<void>(solver->epoch());
  train::CheckpointStore store(f.comm, f.dir.file("ck"), 1, f.data.users, f.data.items,
                               {"0123456789abcdef", {}}, f.console);
  const auto state = solver->snapshot();
  nlohmann::json manifest{{"k", model.k}, {"biases", "both"}, {"mu", model.mu}};
  manifest["checkpoint"]["loop"] = {{"settings", solver->settings_state()}};
  const auto written = store.write("test", {{"current", "", state.get()}}, manifest);

  // Another solver from another start, resumed from the checkpoint.
  model::Model other_model = f.initial(6);
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
  const std::string name = GetParam();
  const Parsed declared({});
  const auto names = solver_names();
  int own = 0;
  int foreign = 0;
  for (const auto& spec : declared.params.specs()) {
    if (spec.solvers.empty()) continue;
    // Every option is declared for registered solvers.
    for (const auto& s : spec.solvers) EXPECT_NE(std::ranges::find(names, s), names.end()) << s;
    // Given at its default value: what counts is that it was given.
    std::vector<std::string> args{"--solver", name, "--" + spec.name, spec.current()};
    if (std::ranges::find(spec.solvers, name) != spec.solvers.end()) {
      ++own;
      // With what it needs (--cg-steps needs --als-solve cg).
      if (const auto& [option, value] = spec.only_with; !option.empty()) {
        args.insert(args.end(), {"--" + option, value});
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

std::string solver_name(const testing::TestParamInfo<std::string>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Registry, RegisteredSolver, testing::ValuesIn(solver_names()),
                         solver_name);

}  // namespace
}  // namespace dmf::solvers
