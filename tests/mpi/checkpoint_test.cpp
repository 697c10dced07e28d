// Checkpoints under 1-4 ranks: a solver's state written and read back goes
// on exactly as the solver it came from (gd mid-epoch included), the store
// keeps the newest K of its own run's and never removes a user's file, and a
// corrupt latest checkpoint is passed over for the one before it.
#include "dmf/train/checkpoint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dmf/core/error.hpp"
#include "dmf/model/init.hpp"
#include "dmf/model/model_dir.hpp"
#include "dmf/solvers/als/als.hpp"
#include "dmf/solvers/gd/gd.hpp"
#include "dmf/train/trainer.hpp"
#include "support/reference_model.hpp"
#include "support/temp_dir.hpp"

namespace dmf::train {
namespace {

namespace fs = std::filesystem;

/// What every checkpoint's manifest must start with (a model directory's).
nlohmann::json base_manifest(const model::Model& model) {
  return {{"k", model.k}, {"biases", "both"}, {"mu", model.mu}};
}

solvers::GdOptions adam(std::uint64_t batch) {
  solvers::GdOptions options;
  options.optimizer.kind = solvers::OptimizerKind::kAdam;
  options.batch_size = batch;
  options.seed = 3;
  return options;
}

struct Fixture {
  dist::Comm comm = dist::Comm::world();
  test::TempDir dir{comm};
  data::RatingsData data = data::load_ratings(
      comm, dir.write("r.csv", test::random_ratings(50, 30, 0.4)), data::LoadOptions{});
  Console console{comm.is_root()};
  RunIdentity run{"0123456789abcdef", {{"lambda", "0.05"}}};

  [[nodiscard]] model::Model initial() const {
    return model::init_model(comm, data, 4, model::Biases::kBoth, 5, 0.3);
  }
};

TEST(Checkpoint, GdStateStoppedBetweenStepsResumesExactly) {
  Fixture f;
  model::Model model = f.initial();
  solvers::GdSolver solver(f.comm, f.data, model, adam(40));
  static_cast<void>(solver.epoch());
  // Stop after the third step of epoch 2.
  int steps = 0;
  ASSERT_FALSE(solver.run_epoch([&] { return ++steps == 3; }).has_value());
  ASSERT_TRUE(solver.reduce_learning_rate(0.5));
  CheckpointStore store(f.comm, f.dir.file("ck"), 3, f.data.users, f.data.items, f.run, f.console);
  const auto state = solver.snapshot();
  const auto written = store.write("test", {{"current", "", state.get()}}, [&] {
    auto m = base_manifest(model);
    m["checkpoint"]["loop"] = {{"settings", solver.settings_state()}};
    return m;
  }());
  EXPECT_GT(written.bytes, 0U);

  // A second solver from another start, given the checkpoint.
  model::Model other_model = f.initial();
  solvers::GdSolver other(f.comm, f.data, other_model, adam(40));
  const Checkpoint checkpoint = open_checkpoint(f.comm, written.path);
  other.restore(*other.load_state(CheckpointSource(checkpoint, "current")));
  other.restore_settings(checkpoint.manifest["checkpoint"]["loop"]["settings"]);
  EXPECT_EQ(other.learning_rate(), solver.learning_rate());
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(solver.epoch().value(), other.epoch().value()) << "epoch " << e;
  }
  const auto a = test::gather_model(f.comm, model);
  const auto b = test::gather_model(f.comm, other_model);
  EXPECT_TRUE(a.p == b.p && a.q == b.q && a.bu == b.bu && a.bi == b.bi);
  // The checkpoint is also a model directory.
  const auto loaded = model::read_model_dir(f.comm, written.path);
  EXPECT_EQ(loaded.model.k, 4);
}

TEST(Checkpoint, AlsStateRoundTripsAndTheStoreKeepsTheNewest) {
  Fixture f;
  model::Model model = f.initial();
  solvers::AlsOptions options;
  options.threads = 1;
  solvers::AlsSolver solver(f.comm, f.data, model, options);
  CheckpointStore store(f.comm, f.dir.file("ck"), 2, f.data.users, f.data.items, f.run, f.console);
  std::vector<std::string> paths;
  for (int e = 1; e <= 4; ++e) {
    static_cast<void>(solver.epoch());
    const auto state = solver.snapshot();
    paths.push_back(
        store
            .write(fmt::format("epoch-{}", e), {{"current", "", state.get()}}, base_manifest(model))
            .path);
  }
  // The newest two remain; latest names the newest.
  EXPECT_FALSE(fs::exists(paths[0]));
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
  EXPECT_EQ(fs::read_symlink(f.dir.file("ck/latest")).string(),
            fs::path(paths[3]).filename().string());
  const auto found = find_checkpoint(f.comm, f.dir.file("ck"), f.console);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->path, paths[3]);

  model::Model other_model = f.initial();
  solvers::AlsSolver other(f.comm, f.data, other_model, options);
  other.restore(*other.load_state(CheckpointSource(*found, "current")));
  EXPECT_EQ(solver.epoch().value(), other.epoch().value());

  // A flipped byte in the newest: the one before it is found instead.
  f.comm.barrier();
  if (f.comm.is_root()) {
    std::fstream file(paths[3] + "/user_factors.npy", std::ios::in | std::ios::out);
    file.seekp(130);
    file.put('\x7f');
  }
  f.comm.barrier();
  testing::internal::CaptureStderr();
  const auto fallback = find_checkpoint(f.comm, f.dir.file("ck"), f.console);
  const std::string warning = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->path, paths[2]);
  if (f.comm.is_root()) {
    EXPECT_NE(warning.find("user_factors.npy is corrupt"), std::string::npos) << warning;
  }
  EXPECT_THROW(static_cast<void>(open_checkpoint(f.comm, paths[3])), Error);
}

TEST(Checkpoint, TheStoreRemovesOnlyThisRunsCheckpointsAndRefusesAnotherRuns) {
  Fixture f;
  model::Model model = f.initial();
  solvers::AlsOptions options;
  options.threads = 1;
  solvers::AlsSolver solver(f.comm, f.data, model, options);
  const std::string dir = f.dir.file("ck");
  std::vector<std::string> paths;
  testing::internal::CaptureStderr();
  {
    CheckpointStore store(f.comm, dir, 1, f.data.users, f.data.items, f.run, f.console);
    const auto write = [&](int e) {
      const auto state = solver.snapshot();
      paths.push_back(store
                          .write(fmt::format("epoch-{}", e), {{"current", "", state.get()}},
                                 base_manifest(model))
                          .path);
    };
    write(1);
    if (f.comm.is_root()) std::ofstream(paths[0] + "/notes.txt") << "mine\n";
    f.comm.barrier();
    for (int e = 2; e <= 4; ++e) write(e);
  }
  const std::string warnings = testing::internal::GetCapturedStderr();
  // The checkpoint with the user's file stays, the others rotate away.
  EXPECT_TRUE(fs::exists(paths[0] + "/notes.txt"));
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_FALSE(fs::exists(paths[2]));
  EXPECT_TRUE(fs::exists(paths[3]));
  if (f.comm.is_root()) {
    const std::string warning = paths[0] + " holds notes.txt";
    const auto first = warnings.find(warning);
    EXPECT_NE(first, std::string::npos) << warnings;
    EXPECT_EQ(warnings.find(warning, first + 1), std::string::npos) << "warned twice: " << warnings;
  }
  // Another run (other options, other data) may not use the directory.
  for (const RunIdentity& other : {RunIdentity{f.run.fingerprint, {{"lambda", "0.5"}}},
                                   RunIdentity{"fedcba9876543210", f.run.options}}) {
    try {
      CheckpointStore store(f.comm, dir, 1, f.data.users, f.data.items, other, f.console);
      ADD_FAILURE() << "another run's directory was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir + " holds checkpoints of another run"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(fs::exists(paths[3]));
}

TEST(Checkpoint, NothingToResumeInAnEmptyOrMissingDirectory) {
  Fixture f;
  EXPECT_FALSE(find_checkpoint(f.comm, f.dir.file("none"), f.console).has_value());
  CheckpointStore store(f.comm, f.dir.file("empty"), 3, f.data.users, f.data.items, f.run,
                        f.console);
  EXPECT_FALSE(find_checkpoint(f.comm, f.dir.file("empty"), f.console).has_value());
}

/// A solver that counts the states it was asked for, the rest its inner one's.
class CountingSolver final : public solvers::Solver {
 public:
  explicit CountingSolver(solvers::Solver& inner) : inner_(inner) {}
  mutable int snapshots = 0;  // snapshot() is const

  [[nodiscard]] std::string_view name() const override { return inner_.name(); }
  std::optional<solvers::Objective> run_epoch(const solvers::BetweenSteps& between) override {
    return inner_.run_epoch(between);
  }
  solvers::Objective objective() override { return inner_.objective(); }
  solvers::Traffic traffic_per_epoch() const override { return inner_.traffic_per_epoch(); }
  std::unique_ptr<solvers::SolverState> snapshot() const override {
    ++snapshots;
    return inner_.snapshot();
  }
  void restore(const solvers::SolverState& state) override { inner_.restore(state); }
  std::unique_ptr<solvers::SolverState> load_state(
      const solvers::StateSource& source) const override {
    return inner_.load_state(source);
  }
  double relative_change(const solvers::SolverState& before) override {
    return inner_.relative_change(before);
  }

 private:
  solvers::Solver& inner_;
};

TEST(Checkpoint, TheLoopKeepsOneCopyOfAnEpochsStateWhateverRulesKeepIt) {
  // ALS lowers the objective every epoch, so each epoch's state is the last
  // good one, and --tol-params keeps it as the previous one too.
  Fixture f;
  model::Model model = f.initial();
  solvers::AlsOptions options;
  solvers::AlsSolver als(f.comm, f.data, model, options);
  CountingSolver counting(als);
  LoopOptions loop;
  loop.epochs = 4;
  loop.tol_params = 1e-300;
  const LoopResult result = run_epochs(f.comm, counting, model, nullptr, loop, {});
  ASSERT_EQ(result.history.size(), 4U);
  EXPECT_EQ(result.stopped_by, "epochs");
  for (const EpochRecord& epoch : result.history) EXPECT_TRUE(epoch.parameter_change.has_value());
  // One at the start and one per epoch (there were two of each).
  EXPECT_EQ(counting.snapshots, 1 + 4);
}

}  // namespace
}  // namespace dmf::train
