#include "dmf/train/metrics_log.hpp"

#include <filesystem>

#include "dmf/core/error.hpp"

namespace dmf::train {

MetricsLog::MetricsLog(const dist::Comm& comm, std::string path, bool overwrite)
    : path_(std::move(path)) {
  comm.agree([&] {
    if (!comm.is_root()) return;
    std::error_code ignored;
    DMF_CHECK(overwrite || !std::filesystem::exists(path_, ignored),
              "{} exists; pass --overwrite to replace it", path_);
    out_.open(path_, std::ios::out | std::ios::trunc);
    DMF_CHECK(out_.good(), "cannot create {}", path_);
  });
}

nlohmann::json MetricsLog::to_json(const EpochRecord& r) {
  nlohmann::json line{{"epoch", r.epoch},           {"loss", r.loss},
                      {"objective", r.objective},   {"train_rmse", r.train_rmse},
                      {"seconds", r.seconds},       {"elapsed", r.elapsed}};
  if (r.validation_rmse) line["validation_rmse"] = *r.validation_rmse;
  return line;
}

void MetricsLog::write(const EpochRecord& record) {
  if (!out_.is_open()) return;
  out_ << to_json(record).dump() << '\n';
  out_.flush();
  DMF_CHECK(out_.good(), "cannot write {}", path_);
}

}  // namespace dmf::train
