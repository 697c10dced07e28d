// MPI lives and dies in main (docs/design.md §9).
#pragma once

#include <string_view>

namespace dmf::dist {

/// Initialises MPI (funneled threads: only the main thread calls MPI) for the
/// lifetime of main. Never finalises from a destructor: main calls
/// finalize() on success and abort() when an error escapes on one rank only.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment() = default;

  /// Collective: every rank must call it.
  static void finalize();
  /// Ends every rank of the job with `code` after printing `message` here.
  [[noreturn]] static void abort(std::string_view message, int code);
};

}  // namespace dmf::dist
