#include <algorithm>
#include <set>
#include <sstream>

#include "dmf/cli/command.hpp"
#include "dmf/cli/commands_list.hpp"

#ifndef DMF_VERSION
#define DMF_VERSION "unknown"
#endif

namespace dmf::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      generate_command(),
      split_command(),
      info_command(),
      train_command(),
      eval_command(),
      predict_command(),
      recommend_command(),
      gradcheck_command(),
      gather_command(),
      plot_command(),
  };
  return all;
}

void declare_quiet(ParamSet& params, bool& quiet) {
  params.flag("quiet", &quiet, "Print only results and errors, no progress or configuration");
}

std::set<std::string> all_option_names() {
  std::set<std::string> names;
  for (const auto& command : commands()) {
    ParamSet params(command.name, command.summary);
    command.describe(params);
    for (auto& name : params.names()) names.insert(std::move(name));
  }
  return names;
}

std::string options_markdown() {
  std::ostringstream out;
  for (const auto& command : commands()) {
    ParamSet params(command.name, command.summary);
    command.describe(params);
    out << "#### dmf " << command.name << "\n\n" << command.summary << "\n\n" << params.markdown()
        << "\n";
  }
  return out.str();
}

namespace {

std::string usage() {
  std::ostringstream out;
  out << "dmf " DMF_VERSION " - distributed matrix factorization for recommender models\n\n"
      << "Usage: dmf <command> [options]      (under MPI: mpirun -n P dmf <command> ...)\n"
      << "       dmf <command> --help         the options of one command\n"
      << "       dmf --version\n\nCommands:\n";
  for (const auto& command : commands()) {
    const std::size_t pad = 12 - std::min<std::size_t>(11, command.name.size());
    out << "  " << command.name << std::string(pad, ' ') << command.summary << "\n";
  }
  out << "\nEvery option can also be set in an INI file given with --config FILE.\n";
  return out.str();
}

/// The command named `name`; every rank fails alike if there is none.
const Command& lookup(const Context& context, std::string_view name) {
  return *context.comm.agree([&] {
    const auto& all = commands();
    const auto it = std::ranges::find(all, name, &Command::name);
    if (it == all.end()) fail("unknown command '{}' (see dmf --help)", name);
    return &*it;
  });
}

}  // namespace

int run_dmf(Context& context, std::span<const std::string> argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    if (argv.size() >= 2 && argv[0] == "help") {
      const std::vector<std::string> help_args{"--help"};
      return lookup(context, argv[1]).main(context, help_args);
    }
    context.console.out("{}", usage());
    return argv.empty() ? 1 : 0;
  }
  if (argv[0] == "--version") {
    context.console.out("dmf {}\n", DMF_VERSION);
    return 0;
  }
  if (argv[0] == "--options-markdown") {  // regenerates the README's option tables
    context.console.out("{}", options_markdown());
    return 0;
  }
  return lookup(context, argv[0]).main(context, argv.subspan(1));
}

}  // namespace dmf::cli
