#include "dmf/cli/commands_list.hpp"

namespace dmf::cli {
namespace {
struct Options {};
void declare(ParamSet&, Options&) {}
int run(Context&, const Options&, const ParamSet&) { fail("not yet"); }
}  // namespace

Command split_command() { return make_command<Options>("split", "TODO", declare, run); }

}  // namespace dmf::cli
