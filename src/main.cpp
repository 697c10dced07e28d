// The dmf executable: MPI lives and dies here (STYLE.md §4).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "dmf/cli/command.hpp"
#include "dmf/core/error.hpp"
#include "dmf/dist/environment.hpp"

int main(int argc, char** argv) {
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
  std::fflush(stdout);
  std::fflush(stderr);
  dmf::dist::Environment::finalize();
  return code;
}
