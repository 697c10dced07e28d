// The output paths of a command, checked before any long work starts (see
// the README's "Outputs and exit codes"): each can be written, none is
// another output or an input. Files are checked again where they are
// created; this check is what makes a bad --out fail in the first second
// instead of after the last epoch.
#pragma once

#include <vector>

#include "dmf/cli/params.hpp"
#include "dmf/dist/comm.hpp"
#include "dmf/io/output_path.hpp"

namespace dmf::cli {

/// Collective: rank 0 checks `outputs` (files, directories
/// written into, directories replaced as a whole, whose existing contents
/// model::check_model_dir_writable judges) against each other and `inputs`;
/// a refusal is raised on every rank. Paths given empty are refused; leave
/// out the options that were not given.
void check_output_paths(const dist::Comm& comm, const std::vector<io::NamedPath>& outputs,
                        const std::vector<io::NamedPath>& inputs);

/// `inputs` plus --config FILE when one was given: a config file is an input
/// too, and never to be overwritten.
[[nodiscard]] std::vector<io::NamedPath> with_config(std::vector<io::NamedPath> inputs,
                                                     const ParamSet& params);

}  // namespace dmf::cli
