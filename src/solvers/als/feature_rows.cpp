#include "dmf/solvers/als/feature_rows.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "dmf/core/parallel.hpp"

namespace dmf::solvers {
namespace {

constexpr std::size_t kLineFloats = 64 / sizeof(float);
constexpr std::size_t kHugePage = std::size_t{2} << 20;

}  // namespace

void FeatureRows::Free::operator()(float* p) const noexcept { std::free(p); }

void FeatureRows::reserve(std::size_t rows, int k) {
  stride_ = (static_cast<std::size_t>(k) + kLineFloats - 1) / kLineFloats * kLineFloats;
  const std::size_t floats = std::max<std::size_t>(1, rows * stride_);
  biases_.resize(rows);
  if (floats <= capacity_) return;
  // Huge-page aligned when it spans one, so that madvise can back it with
  // huge pages; aligned_alloc wants a multiple of the alignment.
  const std::size_t bytes = floats * sizeof(float);
  const std::size_t align = bytes >= kHugePage ? kHugePage : 64;
  const std::size_t size = (bytes + align - 1) / align * align;
  data_.reset(static_cast<float*>(std::aligned_alloc(align, size)));
  if (!data_) throw std::bad_alloc();
  capacity_ = size / sizeof(float);
  if (align == kHugePage) madvise(data_.get(), size, MADV_HUGEPAGE);  // a hint: failure is fine
}

void FeatureRows::assign(const model::FactorBlock& block, int threads) {
  reserve(block.rows, block.k);
  const auto k = static_cast<std::size_t>(block.k);
  parallel_for(threads, block.rows, [&](std::int64_t r) {
    const auto row = static_cast<std::size_t>(r);
    std::copy_n(block.factors.data() + row * k, k, data_.get() + row * stride_);
  });
  std::copy(block.bias.begin(), block.bias.end(), biases_.begin());
}

void FeatureRows::assign_packed(std::span<const float> packed, std::size_t rows, int k,
                                int threads) {
  reserve(rows, k);
  const auto width = static_cast<std::size_t>(k) + 1;
  parallel_for(threads, static_cast<std::int64_t>(rows), [&](std::int64_t r) {
    const auto row = static_cast<std::size_t>(r);
    const float* from = packed.data() + row * width;
    std::copy_n(from, k, data_.get() + row * stride_);
    biases_[row] = from[k];
  });
}

}  // namespace dmf::solvers
