// Where a command's words go: results to stdout, logs and warnings to stderr,
// from rank 0 only, so a run on 64 ranks prints each line once. By default a
// command prints its result and a few lines of progress; --verbose adds the
// details (the effective configuration), --quiet leaves only results,
// warnings and errors.
#pragma once

#include <cstdio>
#include <string_view>

#include <fmt/format.h>

namespace dmf {

class Console {
 public:
  explicit Console(bool speaks, bool quiet = false) noexcept : speaks_(speaks), quiet_(quiet) {}

  /// A result line (stdout, unless results_to_stderr).
  template <class... Args>
  void out(fmt::format_string<Args...> format, Args&&... args) const {
    // On stderr (see results_to_stderr) they are a log that --quiet silences.
    if (speaks_ && !(quiet_ && results_ == stderr)) {
      fmt::print(results_, format, std::forward<Args>(args)...);
    }
  }
  /// A progress or log line (stderr); silenced by --quiet.
  template <class... Args>
  void log(fmt::format_string<Args...> format, Args&&... args) const {
    if (speaks_ && !quiet_) fmt::print(stderr, format, std::forward<Args>(args)...);
  }
  /// A detail for --verbose (stderr), such as the effective configuration.
  template <class... Args>
  void verbose(fmt::format_string<Args...> format, Args&&... args) const {
    if (speaks_ && verbose_) fmt::print(stderr, format, std::forward<Args>(args)...);
  }
  /// A warning (stderr), never silenced.
  template <class... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    if (speaks_)
      fmt::print(stderr, "dmf: warning: {}\n", fmt::format(format, std::forward<Args>(args)...));
  }

  [[nodiscard]] bool speaks() const noexcept { return speaks_; }
  void set_quiet(bool quiet) noexcept { quiet_ = quiet; }
  void set_verbose(bool verbose) noexcept { verbose_ = verbose; }
  /// Result lines go to stderr from now on: stdout carries a command's data
  /// (`--out -`), which they must not be mixed into.
  void results_to_stderr() noexcept { results_ = stderr; }

 private:
  bool speaks_;
  bool quiet_;
  bool verbose_ = false;
  std::FILE* results_ = stdout;
};

}  // namespace dmf
