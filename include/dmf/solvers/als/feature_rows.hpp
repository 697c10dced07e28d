// The other side's rows as ALS's row kernels read them (docs/design.md §4):
// k factors a row at a stride of whole cache lines from a 64-byte boundary,
// on transparent huge pages where the system allows them, and the biases
// apart. Ratings read these rows scattered, several passes a row with cg:
// a row of k = 64 floats is then 4 cache lines where the model's rows (and
// the exchange's packed k + 1) straddle 5, and one huge page covers what
// took 512 TLB entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dmf/model/model.hpp"

namespace dmf::solvers {

class FeatureRows {
 public:
  /// The rows of `block` (a copy, `threads` threads).
  void assign(const model::FactorBlock& block, int threads);
  /// `rows` packed rows of k factors then the bias (the exchange's format).
  void assign_packed(std::span<const float> packed, std::size_t rows, int k, int threads);

  [[nodiscard]] const float* factors() const noexcept { return data_.get(); }
  /// Floats from one row to the next: k rounded up to a cache line.
  [[nodiscard]] std::size_t stride() const noexcept { return stride_; }
  [[nodiscard]] const float* biases() const noexcept { return biases_.data(); }

 private:
  /// Room for `rows` rows of k factors (contents undefined).
  void reserve(std::size_t rows, int k);

  struct Free {
    void operator()(float* p) const noexcept;
  };
  std::unique_ptr<float[], Free> data_;
  std::size_t capacity_ = 0;  // floats
  std::size_t stride_ = 0;
  std::vector<float> biases_;
};

}  // namespace dmf::solvers
