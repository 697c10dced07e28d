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

/// How much a command prints besides its result.
struct Verbosity {
  bool verbose = false;
  bool quiet = false;
};

/// Declares --verbose and --quiet, which every command has.
void declare_verbosity(ParamSet& params, Verbosity& verbosity);

/// Sets the console to `verbosity`. --verbose and --quiet together are an
/// error, unless one is on the command line and the other in the config
/// file: the command line wins, as for any option.
void apply_verbosity(Console& console, Verbosity verbosity, const ParamSet& params);

/// Builds a Command from an options struct, a declaration function and a
/// run function, and optionally a check of the options taken together. The
/// options are parsed (and checked) on every rank with errors agreed
/// collectively; --help prints and exits 0; --print-config prints the
/// effective configuration on stdout and exits 0; with --verbose rank 0
/// echoes it to stderr before running.
template <class Options>
Command make_command(std::string name, std::string summary, void (*declare)(ParamSet&, Options&),
                     int (*run)(Context&, const Options&, const ParamSet&),
                     void (*check)(const Options&, const ParamSet&) = nullptr) {
  Command command;
  command.name = name;
  command.summary = summary;
  command.describe = [declare](ParamSet& params) {
    static Options scratch;  // binding targets only; their values are the defaults
    static Verbosity verbosity;
    declare_verbosity(params, verbosity);
    declare(params, scratch);
  };
  command.main = [name, summary, declare, run, check](Context& context,
                                                      std::span<const std::string> args) {
    Options options;
    ParamSet params(name, summary);
    Verbosity verbosity;
    declare_verbosity(params, verbosity);
    declare(params, options);
    context.comm.agree([&] { params.parse(args, all_option_names()); });
    if (params.help_requested()) {
      context.console.out("{}", params.help());
      return 0;
    }
    // Checked before printing too: --print-config never writes a file that
    // --config would then refuse.
    if (check != nullptr) context.comm.agree([&] { check(options, params); });
    if (params.print_config_requested()) {
      context.console.out("{}", params.effective_config(false));
      return 0;
    }
    context.comm.agree([&] { apply_verbosity(context.console, verbosity, params); });
    context.console.verbose("{}", params.effective_config());
    return run(context, options, params);
  };
  return command;
}

/// Runs `dmf` with argv; returns the exit code. Errors propagate as dmf::Error.
int run_dmf(Context& context, std::span<const std::string> argv);

/// docs/options.md: every command's options, generated from the declarations.
[[nodiscard]] std::string options_markdown();

}  // namespace dmf::cli
