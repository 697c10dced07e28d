// dist::SharedWindow under 1-4 ranks: every rank sees every segment, a
// handover makes one rank's writes visible to the next, and without room
// for the window (or alone) there is none, on every rank alike.
#include "dmf/dist/shared_window.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace dmf::dist {
namespace {

TEST(SharedWindow, SegmentsOfEveryRankAndHandoversAroundTheRing) {
  const auto comm = Comm::world();
  const int ranks = comm.size();
  const int me = comm.rank();
  // Rank r's segment holds r + 1 numbers (the suite runs on one node).
  auto window = SharedWindow::allocate(comm, static_cast<std::size_t>(me + 1) * sizeof(int));
  ASSERT_EQ(window.has_value(), ranks > 1);
  if (!window) return;
  const auto numbers = [&](int r) {
    const std::span<std::byte> bytes = window->segment(r);
    EXPECT_EQ(bytes.size(), static_cast<std::size_t>(r + 1) * sizeof(int));
    return std::span<int>(reinterpret_cast<int*>(bytes.data()), bytes.size() / sizeof(int));
  };
  for (int r = 0; r < ranks; ++r) {
    for (const int n : numbers(r)) EXPECT_EQ(n, 0) << "segment " << r << " is zeroed";
  }
  comm.barrier();  // every rank has looked before any writes
  // Each rank writes in the segment it holds, then hands it to the rank
  // before it: after P handovers every segment was written by every rank,
  // in ring order, each seeing the writes of the ranks before.
  const int to = (me + ranks - 1) % ranks;
  const int from = (me + 1) % ranks;
  int held = me;
  for (int step = 0; step < ranks; ++step) {
    for (int& n : numbers(held)) n = n * 10 + me + 1;
    window->handover(to, from);
    held = (held + 1) % ranks;
  }
  // This rank's segment is back, written by ranks me, me - 1, ..., me + 1
  // (mod P) in that order; the last of them handed it over just now.
  int want = 0;
  for (int step = 0; step < ranks; ++step) want = want * 10 + (me - step + ranks) % ranks + 1;
  for (const int n : numbers(me)) EXPECT_EQ(n, want);
}

TEST(SharedWindow, NoneWithoutRoomForIt) {
  const auto comm = Comm::world();
  // Where Open MPI would put the file has no room (it does not exist).
  const char* before = std::getenv("OMPI_MCA_osc_sm_backing_directory");
  const std::string saved = before != nullptr ? before : "";
  ::setenv("OMPI_MCA_osc_sm_backing_directory", "/nonexistent/dmf-test", 1);
  EXPECT_FALSE(SharedWindow::allocate(comm, 4096).has_value());
  if (before != nullptr) {
    ::setenv("OMPI_MCA_osc_sm_backing_directory", saved.c_str(), 1);
  } else {
    ::unsetenv("OMPI_MCA_osc_sm_backing_directory");
  }
  EXPECT_EQ(SharedWindow::allocate(comm, 4096).has_value(), comm.size() > 1);
}

}  // namespace
}  // namespace dmf::dist
