#include "dmf/dist/environment.hpp"

#include <mpi.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dmf/core/error.hpp"
#include "message_limit.hpp"

namespace dmf::dist {

Environment::Environment(int& argc, char**& argv) {
  // A write past the file size limit (ulimit -f) then fails with EFBIG,
  // which dmf reports naming the file, instead of killing the rank with
  // SIGXFSZ and leaving the others of the job to be torn down.
  std::signal(SIGXFSZ, SIG_IGN);
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw Error("MPI_Init_thread failed");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    abort(fmt::format("this MPI provides thread level {}, dmf needs MPI_THREAD_FUNNELED", provided),
          1);
  }
  // Before main's error handling exists: every rank reads the same
  // environment, so every rank fails alike; one of them says why.
  try {
    detail::load_max_message_bytes();
  } catch (const Error& e) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) std::fprintf(stderr, "dmf: error: %s\n", e.what());
    std::fflush(stderr);
    MPI_Finalize();
    std::exit(1);
  }
}

void Environment::finalize() { MPI_Finalize(); }

void Environment::abort(std::string_view message, int code) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "dmf: rank %d: %.*s\n", rank, static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; keep the compiler sure of it
}

}  // namespace dmf::dist
