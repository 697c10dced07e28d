#include "dmf/model/global_mean.hpp"

#include "dmf/core/exact_sum.hpp"

namespace dmf::model {

double global_mean(const dist::Comm& comm, const data::SparseBlock& ratings) {
  ExactSum sum;
  for (const float r : ratings.values) sum.add(r);
  comm.allreduce<std::int64_t>(sum.buckets(), dist::Op::kSum);
  const auto count = comm.allreduce<std::uint64_t>(ratings.nnz(), dist::Op::kSum);
  return count == 0 ? 0.0 : sum.value() / static_cast<double>(count);
}

}  // namespace dmf::model
