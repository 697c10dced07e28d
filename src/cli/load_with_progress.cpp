#include "dmf/cli/load_with_progress.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include "dmf/train/progress.hpp"

namespace dmf::cli {

data::RatingsData load_with_progress(const Context& context, const std::string& path,
                                     data::LoadOptions options) {
  // The size only scales the line: a file that cannot be read is the
  // loader's error to report, on every rank alike.
  std::error_code ignored;
  const std::uintmax_t bytes = std::filesystem::file_size(path, ignored);
  // Destroyed (the live line cleared) before an error is printed, too.
  train::LoadProgress progress(context.console, path, ignored ? 0 : bytes,
                               train::Progress::stderr_is_terminal());
  options.on_progress = [&progress](double fraction) { progress.update(fraction); };
  options.on_route_progress = [&progress](double fraction) { progress.route(fraction); };
  return data::load_ratings(context.comm, path, std::move(options));
}

}  // namespace dmf::cli
