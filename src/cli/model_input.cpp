#include "dmf/cli/model_input.hpp"

namespace dmf::cli {

void declare_model(ParamSet& params, std::string& dir) {
  params.add("model", &dir, "The model directory (dmf train --out)").value_name("DIR").required();
}

ModelAndRatings read_model_and_ratings(const dist::Comm& comm, const std::string& model_dir,
                                       const std::string& path, data::LoadOptions load,
                                       eval::ColdStart cold_start, int threads) {
  ModelAndRatings out;
  out.loaded = model::read_model_dir(comm, model_dir);
  load.threads = threads;
  out.ratings = data::read_ratings_here(comm, path, load);
  out.set.emplace(comm, out.loaded.model, out.loaded.users, out.loaded.items, out.ratings, path,
                  cold_start);
  return out;
}

}  // namespace dmf::cli
