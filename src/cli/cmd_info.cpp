#include "dmf/cli/commands_list.hpp"

namespace dmf::cli {
namespace {
struct Options {};
void declare(ParamSet&, Options&) {}
int run(Context&, const Options&, const ParamSet&) { fail("not yet"); }
}  // namespace

Command info_command() { return make_command<Options>("info", "TODO", declare, run); }

}  // namespace dmf::cli
