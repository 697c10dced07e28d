// Memory that every rank of a communicator reads and writes directly, when
// all of them run on one node: an MPI-3 shared-memory window (docs/design.md
// §4, sgd). A rank hands memory to another by handover(): its writes are
// made visible, and it learns that the rank it takes memory from is done
// with it. No bytes move; the two ranks only exchange an empty message.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "dmf/dist/comm.hpp"

namespace dmf::dist {

class SharedWindow {
 public:
  /// Collective: a window where rank r's segment has the `bytes` rank r
  /// passed (ranks may differ), zeroed. nullopt on every rank unless every
  /// rank of `comm` runs on the same node (and on one rank: nothing to
  /// share), and unless the file system of Open MPI's backing file
  /// (OMPI_MCA_osc_sm_backing_directory, else /dev/shm) has room for the
  /// whole window and half as much again on every rank.
  [[nodiscard]] static std::optional<SharedWindow> allocate(const Comm& comm, std::size_t bytes);

  SharedWindow(SharedWindow&&) noexcept;
  SharedWindow& operator=(SharedWindow&&) noexcept;
  SharedWindow(const SharedWindow&) = delete;
  SharedWindow& operator=(const SharedWindow&) = delete;
  /// Collective (MPI_Win_free), except while an exception unwinds: a rank
  /// that fails alone must not wait there for the others; the window then
  /// goes with the process.
  ~SharedWindow();

  /// Rank `rank`'s segment, as this rank addresses it.
  [[nodiscard]] std::span<std::byte> segment(int rank) const;

  /// This rank is done with the memory it hands to rank `to`, and waits
  /// until rank `from` is done with the memory it hands to this rank: a
  /// memory barrier, an empty message each way, a memory barrier (the
  /// pattern MPI-3 gives for shared memory). Pairs with `from`'s and `to`'s
  /// own calls, as a sendrecv would.
  void handover(int to, int from) const;

  /// Collective: every rank's writes so far are visible to every rank, and
  /// every rank has made them (memory barrier, barrier, memory barrier).
  void fence() const;

 private:
  struct Impl;
  explicit SharedWindow(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dmf::dist
