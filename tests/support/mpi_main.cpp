// main() for GoogleTest under mpiexec. Rank 0 prints the usual report; other
// ranks print only their failures, tagged with their rank. The exit code is
// the worst over all ranks, so a failure on any rank fails the CTest test.
#include <gtest/gtest.h>

#include <cstdio>

#include "dmf/dist/comm.hpp"
#include "dmf/dist/environment.hpp"

namespace {

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", rank_,
                 result.file_name() != nullptr ? result.file_name() : "?", result.line_number(),
                 result.summary());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  dmf::dist::Environment mpi(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  const auto comm = dmf::dist::Comm::world();
  if (!comm.is_root()) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(comm.rank()));
  }
  const int result = RUN_ALL_TESTS();
  const int worst = comm.allreduce<std::int32_t>(result, dmf::dist::Op::kMax);
  dmf::dist::Environment::finalize();
  return worst;
}
