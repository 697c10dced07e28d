// The dmf executable: MPI lives and dies here (docs/design.md §9).
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "dmf/cli/command.hpp"
#include "dmf/core/error.hpp"
#include "dmf/dist/environment.hpp"

namespace {

/// Keeps descriptors 0-2 taken before anything opens a file: with one of
/// them closed (`dmf ... >&-`) the first file dmf or MPI opened would take
/// its number and receive the results or the logs. Standard output gets a
/// read-only placeholder, so every write to it fails (EBADF) and the exit
/// check reports it; a closed stderr or stdin gets /dev/null, as a closed
/// log is no reason to fail.
void hold_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free descriptor: `fd` itself.
    (void)::open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
  }
}

/// Why what dmf printed did not all reach standard output (a full disk, a
/// closed descriptor), or nothing when it did.
std::optional<std::string> stdout_failure() {
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  if (!flush_failed && std::ferror(stdout) == 0) return std::nullopt;
  return std::string("cannot write to standard output: ") +
         (errno != 0 ? std::strerror(errno) : "write error");
}

}  // namespace

int main(int argc, char** argv) {
  hold_standard_streams();
  dmf::dist::Environment mpi(argc, argv);
  const dmf::dist::Comm comm = dmf::dist::Comm::world();
  dmf::cli::Context context{comm, dmf::Console(comm.is_root())};
  const std::vector<std::string> args(argv + 1, argv + argc);
  int code = 1;
  try {
    code = dmf::cli::run_dmf(context, args);
  } catch (const dmf::Error& e) {
    if (!e.collective()) dmf::dist::Environment::abort(e.what(), 1);
    // Every rank holds the same error: say it once, leave together.
    if (comm.is_root()) std::fprintf(stderr, "dmf: error: %s\n", e.what());
    code = 1;
  } catch (const std::exception& e) {
    dmf::dist::Environment::abort(std::string("internal error: ") + e.what(), 1);
  }
  // Results that never reached standard output are a failed command (rank 0
  // prints them; every rank exits with the same code). After an error,
  // that error is the one line reported; a checkpointed run keeps its 75.
  std::optional<std::string> unwritten;
  if (comm.is_root()) unwritten = stdout_failure();
  if (comm.any(unwritten.has_value()) && code != 1) {
    if (unwritten) std::fprintf(stderr, "dmf: error: %s\n", unwritten->c_str());
    if (code == 0) code = 1;
  }
  std::fflush(stderr);
  dmf::dist::Environment::finalize();
  return code;
}
