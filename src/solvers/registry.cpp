#include "dmf/solvers/registry.hpp"

#include <algorithm>
#include <array>

namespace dmf::solvers {

// Each solver's folder defines its entry. Adding a solver: define
// <name>_solver_entry() in src/solvers/<name>/ and list it here.
SolverEntry als_solver_entry();
SolverEntry gd_solver_entry();
SolverEntry ccd_solver_entry();
SolverEntry sgd_solver_entry();
SolverEntry ials_solver_entry();

std::span<const SolverEntry> registered_solvers() {
  // ials after als: it reads explicit ALS's --als-solve and --cg-steps.
  static const std::array kEntries{als_solver_entry(), gd_solver_entry(), ccd_solver_entry(),
                                   sgd_solver_entry(), ials_solver_entry()};
  return kEntries;
}

std::string default_solver() { return std::string(registered_solvers().front().name); }

namespace {

/// The names of the entries that `keep`, each once, in table order.
template <class Keep>
std::vector<std::string> names_of(Keep keep) {
  std::vector<std::string> out;
  for (const auto& entry : registered_solvers()) {
    if (keep(entry) && std::ranges::find(out, entry.name) == out.end()) {
      out.emplace_back(entry.name);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> solver_names() {
  return names_of([](const SolverEntry&) { return true; });
}

std::vector<std::string> solver_names(model::Feedback feedback) {
  return names_of([feedback](const SolverEntry& e) { return e.feedback == feedback; });
}

std::vector<std::string> gradient_solver_names() {
  return names_of([](const SolverEntry& e) { return e.follows_gradient; });
}

const SolverEntry* find_solver(std::string_view name, model::Feedback feedback) {
  for (const auto& entry : registered_solvers()) {
    if (entry.name == name && entry.feedback == feedback) return &entry;
  }
  return nullptr;
}

}  // namespace dmf::solvers
