// The subcommands of the dmf executable and how each one is run.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dmf/cli/params.hpp"
#include "dmf/core/console.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::cli {

/// What a running command gets: its communicator and its console.
struct Context {
  dist::Comm comm;
  Console console;
};

/// One subcommand: `dmf <name> [options]`.
struct Command {
  std::string name;
  std::string summary;
  /// Declares the command's options into `params` (for --help and docs).
  std::function<void(ParamSet& params)> describe;
  /// Parses `args` and runs; returns the exit code.
  std::function<int(Context& context, std::span<const std::string> args)> main;
};

/// Every subcommand, in the order `dmf --help` lists them.
[[nodiscard]] const std::vector<Command>& commands();

/// The names of every option of every command (config files may hold any).
[[nodiscard]] std::set<std::string> all_option_names();

/// Declares --quiet, which every command has.
void declare_quiet(ParamSet& params, bool& quiet);

/// Builds a Command from an options struct, a declaration function and a
/// run function. The options are parsed on every rank with errors agreed
/// collectively; --help prints and exits 0; unless --quiet, rank 0 echoes the
/// effective configuration to stderr before running.
template <class Options>
Command make_command(std::string name, std::string summary,
                     void (*declare)(ParamSet&, Options&),
                     int (*run)(Context&, const Options&, const ParamSet&)) {
  Command command;
  command.name = name;
  command.summary = summary;
  command.describe = [declare](ParamSet& params) {
    static Options scratch;  // binding targets only; their values are the defaults
    static bool quiet = false;
    declare_quiet(params, quiet);
    declare(params, scratch);
  };
  command.main = [name, summary, declare, run](Context& context,
                                               std::span<const std::string> args) {
    Options options;
    ParamSet params(name, summary);
    bool quiet = false;
    declare_quiet(params, quiet);
    declare(params, options);
    context.comm.agree([&] { params.parse(args, all_option_names()); });
    if (params.help_requested()) {
      context.console.out("{}", params.help());
      return 0;
    }
    context.console.set_quiet(quiet);
    context.console.log("{}", params.effective_config());
    return run(context, options, params);
  };
  return command;
}

/// Runs `dmf` with argv; returns the exit code. Errors propagate as dmf::Error.
int run_dmf(Context& context, std::span<const std::string> argv);

/// The README's option tables, generated from the declarations.
[[nodiscard]] std::string options_markdown();

}  // namespace dmf::cli
