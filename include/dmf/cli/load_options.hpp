// The input-format options shared by every command that reads ratings,
// declared once here.
#pragma once

#include "dmf/cli/params.hpp"
#include "dmf/data/loader.hpp"
#include "dmf/eval/rating_set.hpp"

namespace dmf::cli {

/// Declares --format, --sep, --columns, --header, --duplicates, --bad-lines
/// and --rating-range, bound to `options`, in the caller's current section
/// (next to the file option they describe).
void declare_load_options(ParamSet& params, data::LoadOptions& options);

/// Declares --threads bound to `threads` (0 = OMP_NUM_THREADS, else the
/// cores available to each rank).
void declare_threads(ParamSet& params, int& threads);

/// Declares --cold-start: what to do with ratings of users or items the
/// model has never seen.
void declare_cold_start(ParamSet& params, eval::ColdStart& policy);

}  // namespace dmf::cli
