#include "dmf/solvers/registry.hpp"

#include <array>

namespace dmf::solvers {

// Each solver's folder defines its entry. Adding a solver: define
// <name>_solver_entry() in src/solvers/<name>/ and list it here.
SolverEntry als_solver_entry();
SolverEntry gd_solver_entry();
SolverEntry ccd_solver_entry();
SolverEntry sgd_solver_entry();

std::span<const SolverEntry> registered_solvers() {
  static const std::array kEntries{als_solver_entry(), gd_solver_entry(), ccd_solver_entry(),
                                   sgd_solver_entry()};
  return kEntries;
}

std::string default_solver() { return std::string(registered_solvers().front().name); }

std::vector<std::string> solver_names() {
  std::vector<std::string> out;
  for (const auto& entry : registered_solvers()) out.emplace_back(entry.name);
  return out;
}

std::vector<std::string> gradient_solver_names() {
  std::vector<std::string> out;
  for (const auto& entry : registered_solvers()) {
    if (entry.follows_gradient) out.emplace_back(entry.name);
  }
  return out;
}

}  // namespace dmf::solvers
