#include "dmf/dist/shared_window.hpp"

#include <mpi.h>

#include <sys/statvfs.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "check_mpi.hpp"

namespace dmf::dist {

using detail::check_mpi;

struct SharedWindow::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Win window = MPI_WIN_NULL;
  std::vector<std::span<std::byte>> segments;  // by rank
};

namespace {

/// Where Open MPI keeps a shared window's backing file: its parameter
/// osc_sm_backing_directory when given through the environment, else its
/// default on Linux.
std::string backing_directory() {
  const char* given = std::getenv("OMPI_MCA_osc_sm_backing_directory");
  return given != nullptr && *given != '\0' ? given : "/dev/shm";
}

/// Free bytes in `directory`'s file system (0 when it cannot be read).
std::uint64_t free_bytes(const std::string& directory) {
  struct statvfs fs {};
  if (statvfs(directory.c_str(), &fs) != 0) return 0;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace

std::optional<SharedWindow> SharedWindow::allocate(const Comm& comm, std::size_t bytes) {
  if (comm.size() == 1) return std::nullopt;
  const MPI_Comm parent = MPI_Comm_f2c(comm.handle());
  // Every rank sees a node communicator as large as `comm` exactly when they
  // all share one node, so every rank returns alike.
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(parent, MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  // The window's pages come from a file in a tmpfs (often 64 MiB in a
  // container): a window larger than its room would make MPI abort, or a
  // page touched later fail with SIGBUS. Then the caller moves messages.
  const auto sizes = comm.allgather<std::uint64_t>(bytes);
  std::uint64_t total = 0;
  for (const std::uint64_t size : sizes) total += size;
  const bool room = free_bytes(backing_directory()) >= total + total / 2;
  if (node_size != comm.size() || comm.any(!room)) {
    MPI_Comm_free(&node);
    return std::nullopt;
  }
  auto impl = std::make_unique<Impl>();
  impl->comm = node;  // ranks in the order of `comm` (split by its rank)
  MPI_Info info = MPI_INFO_NULL;
  // Each segment on pages of its own, placed by the rank that first touches it.
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  void* mine = nullptr;
  const int code =
      MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes), 1, info, node, &mine, &impl->window);
  MPI_Info_free(&info);
  check_mpi(code, "MPI_Win_allocate_shared");
  // A passive epoch over the whole window, so that MPI_Win_sync may be called.
  check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, impl->window), "MPI_Win_lock_all");
  impl->segments.resize(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    check_mpi(MPI_Win_shared_query(impl->window, r, &size, &unit, &base), "MPI_Win_shared_query");
    // Open MPI rounds a segment up to whole pages: the span is what was asked.
    const auto asked = static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)]);
    DMF_CHECK(static_cast<std::size_t>(size) >= asked,
              "shared window: segment {} has {} of {} bytes", r, size, asked);
    impl->segments[static_cast<std::size_t>(r)] =
        std::span<std::byte>(static_cast<std::byte*>(base), asked);
  }
  if (bytes > 0) std::memset(mine, 0, bytes);  // an empty segment may have no address
  SharedWindow window(std::move(impl));
  // Nobody reads a segment before its owner has zeroed it.
  comm.barrier();
  return window;
}

SharedWindow::SharedWindow(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SharedWindow::SharedWindow(SharedWindow&&) noexcept = default;
SharedWindow& SharedWindow::operator=(SharedWindow&&) noexcept = default;

SharedWindow::~SharedWindow() {
  if (!impl_ || std::uncaught_exceptions() > 0) return;
  MPI_Win_unlock_all(impl_->window);
  MPI_Win_free(&impl_->window);
  MPI_Comm_free(&impl_->comm);
}

std::span<std::byte> SharedWindow::segment(int rank) const {
  return impl_->segments.at(static_cast<std::size_t>(rank));
}

void SharedWindow::handover(int to, int from) const {
  constexpr int kHandoverTag = 7;
  check_mpi(MPI_Win_sync(impl_->window), "MPI_Win_sync");
  check_mpi(MPI_Sendrecv(nullptr, 0, MPI_BYTE, to, kHandoverTag, nullptr, 0, MPI_BYTE, from,
                         kHandoverTag, impl_->comm, MPI_STATUS_IGNORE),
            "MPI_Sendrecv");
  check_mpi(MPI_Win_sync(impl_->window), "MPI_Win_sync");
}

void SharedWindow::fence() const {
  check_mpi(MPI_Win_sync(impl_->window), "MPI_Win_sync");
  check_mpi(MPI_Barrier(impl_->comm), "MPI_Barrier");
  check_mpi(MPI_Win_sync(impl_->window), "MPI_Win_sync");
}

}  // namespace dmf::dist
