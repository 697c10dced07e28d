#include "dmf/cli/load_options.hpp"

#include "dmf/io/text_values.hpp"

namespace dmf::cli {

// How files are read changes no model (a run's data fingerprint checks what
// was read), and neither do the threads: both are outcome_free.
void declare_load_options(ParamSet& params, data::LoadOptions& options) {
  params
      .add("format", &options.format.format,
           "Format of the ratings file; auto detects it from the name and first lines")
      .outcome_free();
  params
      .add("sep", &options.format.separator,
           "Field separator, overriding the format's: a string such as ',' or '::', 'tab', or "
           "'space' for runs of blanks")
      .value_name("SEP")
      .outcome_free();
  params
      .add("columns", &options.format.columns,
           "Roles of the fields in order, from user, item, rating, time, and - to skip one "
           "(default: user,item,rating[,time])")
      .value_name("LIST")
      .outcome_free();
  params
      .add("header", &options.format.header,
           "Whether the first line is a header; auto: when its rating (else time) field is not a "
           "number, or, with neither, when it reads user,item or has words over integer IDs")
      .implicit("yes")
      .outcome_free();
  params
      .add("duplicates", &options.duplicates,
           "What to do with a (user, item) pair rated more than once")
      .outcome_free();
  params
      .add("bad-lines", &options.bad_lines,
           "What to do with a malformed line: stop with file:line, or skip it and report "
           "how many")
      .outcome_free();
  params
      .add("rating-range", &options.rating_range,
           "Ratings outside MIN:MAX are malformed lines (default and widest: -1e9:1e9, beyond "
           "which training's float sums overflow)")
      .value_name("MIN:MAX")
      .outcome_free();
}

void declare_threads(ParamSet& params, int& threads) {
  params
      .add("threads", &threads,
           "OpenMP threads per rank; 0 = OMP_NUM_THREADS, else the cores available to the rank")
      .at_least(0)
      .outcome_free();
}

void declare_cold_start(ParamSet& params, eval::ColdStart& policy) {
  params.add("cold-start", &policy,
             "Ratings of a user or item the model has never seen: mean predicts mu plus the "
             "known bias, drop leaves them out, error stops at the first (all are counted)");
}

}  // namespace dmf::cli
