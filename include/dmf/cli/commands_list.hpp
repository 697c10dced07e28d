// One factory per subcommand, each defined in its own src/cli/cmd_<name>.cpp.
#pragma once

#include "dmf/cli/command.hpp"

namespace dmf::cli {

Command generate_command();
Command split_command();
Command convert_command();
Command info_command();
Command train_command();
Command eval_command();
Command predict_command();
Command recommend_command();
Command similar_command();
Command gradcheck_command();
Command gather_command();
Command plot_command();

}  // namespace dmf::cli
