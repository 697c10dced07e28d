// The one error type of dmf and the checks that throw it (docs/design.md §9).
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace dmf {

/// What went wrong, in one sentence a user can act on. Input at fault is
/// named as `file:line: what is wrong: <the line>`.
///
/// An error is *collective* when every rank raised the same one at the same
/// point (see dist::Comm::agree); `main` then reports it once and exits 1 on
/// every rank. Any other error escaping `main` aborts the whole job so that
/// no rank is left waiting in a collective.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, bool collective = false)
      : std::runtime_error(message), collective_(collective) {}

  [[nodiscard]] bool collective() const noexcept { return collective_; }

 private:
  bool collective_;
};

/// Throws dmf::Error with a fmt-formatted message.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

/// Throws a collective dmf::Error: for a check of values every rank holds
/// alike (options, the environment, allreduced figures), so that `main`
/// reports it once instead of aborting the job.
template <class... Args>
[[noreturn]] void fail_everywhere(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...), /*collective=*/true);
}

}  // namespace dmf

/// Throws dmf::Error(message) unless `condition` holds. The message is only
/// formatted on failure.
#define DMF_CHECK(condition, ...)   \
  do {                              \
    if (!(condition)) {             \
      ::dmf::fail(__VA_ARGS__);     \
    }                               \
  } while (false)

/// DMF_CHECK for a condition every rank evaluates alike: the error is
/// collective (see fail_everywhere).
#define DMF_CHECK_EVERYWHERE(condition, ...) \
  do {                                       \
    if (!(condition)) {                      \
      ::dmf::fail_everywhere(__VA_ARGS__);   \
    }                                        \
  } while (false)
