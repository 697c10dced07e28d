#include "dmf/solvers/row_solver.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace dmf::solvers {
namespace {

/// Relative pivot size below which a float-summed Gram matrix is singular:
/// float epsilon (1.2e-7) times the sums' length, with room to spare.
constexpr double kSingularThreshold = 1e-5;

/// Factors the lower half of `a` in place (a = L Lᵀ); false when `a` is not
/// positive definite. Eigen's LLT is blocked, which for systems of k ≤ 100
/// or so costs half again the unblocked factorization it is built on
/// (measured: 15 vs 10 µs at k = 64), and this solve runs once per row.
bool factor_in_place(Eigen::MatrixXd& a) {
  return Eigen::internal::llt_inplace<double, Eigen::Lower>::unblocked(a) < 0;
}

/// x ← (L Lᵀ)⁻¹ x for the factor of factor_in_place.
void solve_factored(const Eigen::MatrixXd& factor, Eigen::VectorXd& x) {
  factor.triangularView<Eigen::Lower>().solveInPlace(x);
  factor.triangularView<Eigen::Lower>().adjoint().solveInPlace(x);
}

/// The widest SIMD packet of floats Eigen uses on this build (16 lanes
/// with AVX-512, 8 with AVX, 4 with SSE). The tiles use Eigen's packet
/// operations, so the one kernel below serves every instruction set.
using Packet = Eigen::internal::packet_traits<float>::type;
constexpr Eigen::Index kLanes = Eigen::internal::packet_traits<float>::size;
/// Gathered rows are padded to this many floats (a multiple of every
/// packet), so each starts on a packet boundary.
constexpr Eigen::Index kRowAlign = 16;
/// Columns per register tile: one accumulator packet each, plus the row
/// packet and a broadcast, within the 16 registers of AVX2 and SSE (and
/// 32 of AVX-512). Every rating costs 12 multiply-adds for 13 loads.
constexpr int kMaxTileColumns = 12;
/// Bytes of gathered rows kept in L1 while every tile passes over them.
constexpr std::size_t kBlockBytes = 24 * 1024;

Eigen::Index round_up(Eigen::Index n, Eigen::Index to) { return (n + to - 1) / to * to; }

/// sums[c·ld + row ..][lanes] (+)= Σ_j z_j[row ..] z_j[columns[c]] over the
/// `count` gathered rows z_j, in j order: one multiply-add per rating and
/// entry, whatever the packet width, so the sum is the same on every build
/// with fused multiply-add.
template <int C>
void gram_tile(const float* z, Eigen::Index stride, std::size_t count, Eigen::Index row,
               const Eigen::Index* columns, float* sums, Eigen::Index ld, bool accumulate) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  Packet acc[C];
  for (int c = 0; c < C; ++c) {
    acc[c] = accumulate ? pload<Packet>(sums + columns[c] * ld + row) : pset1<Packet>(0.0F);
  }
  for (std::size_t j = 0; j < count; ++j) {
    const float* zj = z + static_cast<Eigen::Index>(j) * stride;
    const Packet rows = pload<Packet>(zj + row);
    for (int c = 0; c < C; ++c) acc[c] = pmadd(rows, pset1<Packet>(zj[columns[c]]), acc[c]);
  }
  for (int c = 0; c < C; ++c) Eigen::internal::pstore(sums + columns[c] * ld + row, acc[c]);
}

using TileKernel = void (*)(const float*, Eigen::Index, std::size_t, Eigen::Index,
                            const Eigen::Index*, float*, Eigen::Index, bool);

template <std::size_t... C>
constexpr std::array<TileKernel, sizeof...(C)> make_tile_kernels(std::index_sequence<C...>) {
  return {&gram_tile<static_cast<int>(C + 1)>...};
}
/// gram_tile<c + 1> at index c: a tile of any width up to kMaxTileColumns.
constexpr auto kTileKernels =
    make_tile_kernels(std::make_index_sequence<static_cast<std::size_t>(kMaxTileColumns)>());

}  // namespace

RowSolver::RowSolver(int k, bool with_bias)
    : k_(k),
      with_bias_(with_bias),
      dim_(k + (with_bias ? 1 : 0)),
      stride_(round_up(std::max<Eigen::Index>(round_up(k, kLanes), k + (with_bias ? 2 : 1)),
                       kRowAlign)),
      tile_rows_(round_up(k, kLanes)),
      gram_(dim_, dim_),
      rhs_(dim_),
      factor_(dim_, dim_),
      work_(dim_) {
  block_ = std::max<std::size_t>(
      16, kBlockBytes / (static_cast<std::size_t>(stride_) * sizeof(float)));
  // The dual path gathers its rows (fewer than dim_) in one block.
  block_ = std::max(block_, static_cast<std::size_t>(dim_));
  // Zeros beyond z stay zero: the tiles of the last packet of rows read them.
  gathered_.setZero(static_cast<Eigen::Index>(block_) * stride_);
  tile_sums_.setZero(tile_rows_ * (dim_ + 1));
  // Row packet [row, row + lanes) against columns c ≤ its last row (the lower
  // triangle, with the upper part of the diagonal block thrown away), and
  // against the bias and target columns k.. (their transposes are row k of
  // the Gram matrix and the right-hand side).
  for (Eigen::Index row = 0; row < k; row += kLanes) {
    std::vector<Eigen::Index> columns;
    for (Eigen::Index c = 0; c < std::min<Eigen::Index>(row + kLanes, k); ++c) columns.push_back(c);
    for (Eigen::Index c = k; c <= dim_; ++c) columns.push_back(c);
    for (std::size_t first = 0; first < columns.size(); first += kMaxTileColumns) {
      const std::size_t n = std::min<std::size_t>(kMaxTileColumns, columns.size() - first);
      tiles_.push_back({row, static_cast<std::uint32_t>(tile_columns_.size()),
                        static_cast<std::uint32_t>(n)});
      tile_columns_.insert(tile_columns_.end(), columns.begin() + static_cast<std::ptrdiff_t>(first),
                           columns.begin() + static_cast<std::ptrdiff_t>(first + n));
    }
  }
}

void RowSolver::gather(const RowRatings& row, float mu, std::size_t begin, std::size_t count) {
  using Eigen::internal::ploadu;
  using Eigen::internal::pstore;
  const Eigen::Index k = k_;
  const Eigen::Index whole = k / kLanes * kLanes;
  for (std::size_t j = 0; j < count; ++j) {
    const float* feature = row.features + row.slots[begin + j] * row.feature_width;
    float* z = gathered_.data() + static_cast<Eigen::Index>(j) * stride_;
    // A packet copy per lane group: a memcpy call per rating costs more
    // than the copy at these lengths.
    for (Eigen::Index c = 0; c < whole; c += kLanes) pstore(z + c, ploadu<Packet>(feature + c));
    for (Eigen::Index c = whole; c < k; ++c) z[c] = feature[c];
    if (with_bias_) z[k] = 1.0F;
    const float target = row.values[begin + j] - mu - feature[k];
    z[dim_] = target;
    chunk_targets_ += target;
    targets_squared_ += static_cast<double>(target) * target;
  }
}

void RowSolver::build_normal_equations(const RowRatings& row, float mu) {
  gram_.setZero();
  rhs_.setZero();
  targets_squared_ = 0.0;
  const std::size_t n = row.values.size();
  for (std::size_t chunk = 0; chunk < n; chunk += kChunk) {
    const std::size_t chunk_end = std::min(n, chunk + kChunk);
    chunk_targets_ = 0.0F;
    for (std::size_t begin = chunk; begin < chunk_end; begin += block_) {
      const std::size_t count = std::min(block_, chunk_end - begin);
      gather(row, mu, begin, count);
      for (const Tile& tile : tiles_) {
        kTileKernels[tile.columns - 1](gathered_.data(), stride_, count, tile.row,
                                       &tile_columns_[tile.first_column], tile_sums_.data(),
                                       tile_rows_, begin != chunk);
      }
    }
    add_chunk();
    if (with_bias_) gram_(k_, k_) += static_cast<double>(chunk_end - chunk);
  }
}

void RowSolver::add_chunk() {
  const Eigen::Index k = k_;
  const Eigen::Map<const Eigen::MatrixXf> sums(tile_sums_.data(), tile_rows_, dim_ + 1);
  for (Eigen::Index c = 0; c < k; ++c) {
    gram_.col(c).segment(c, k - c) += sums.col(c).segment(c, k - c).cast<double>();
  }
  rhs_.head(k) += sums.col(dim_).head(k).cast<double>();
  if (with_bias_) {
    gram_.row(k).head(k) += sums.col(k).head(k).cast<double>().transpose();
    rhs_[k] += static_cast<double>(chunk_targets_);
  }
}

double RowSolver::solve(const RowRatings& row, float mu, double ridge, std::span<float> factors,
                        float& bias) {
  const std::size_t n = row.values.size();
  if (n == 0) {
    std::ranges::fill(factors, 0.0F);
    bias = 0.0F;
    return 0.0;
  }
  const double squared_error = n < static_cast<std::size_t>(dim_)
                                   ? solve_dual(row, mu, ridge)
                                   : solve_primal(row, mu, ridge);
  const auto k = static_cast<std::size_t>(k_);
  for (std::size_t f = 0; f < k; ++f) factors[f] = static_cast<float>(x_[static_cast<Eigen::Index>(f)]);
  bias = with_bias_ ? static_cast<float>(x_[static_cast<Eigen::Index>(k)]) : 0.0F;
  return squared_error;
}

double RowSolver::solve_primal(const RowRatings& row, float mu, double ridge) {
  build_normal_equations(row, mu);
  gram_.diagonal().array() += ridge;
  factor_.triangularView<Eigen::Lower>() = gram_;
  if (factor_in_place(factor_)) {
    x_ = rhs_;
    solve_factored(factor_, x_);
  } else {
    // Singular (λ = 0 and the row's features span fewer than k+1
    // dimensions): the minimum-norm least-squares solution, which is what
    // the limit λ → 0 gives. The Gram matrix was summed in float, so pivots
    // below float rounding of the largest count as zero.
    const Eigen::MatrixXd full = gram_.selfadjointView<Eigen::Lower>();
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> decomposition(full);
    decomposition.setThreshold(kSingularThreshold);
    x_ = decomposition.solve(rhs_);
  }
  // Σ (y − Xx)² = yᵀy − 2 xᵀXᵀy + xᵀ(XᵀX)x, with XᵀX the Gram matrix less
  // the ridge. It cancels when the fit is close, but the terms are doubles
  // of at most float-rounded sums: enough for a reported figure.
  work_.noalias() = gram_.selfadjointView<Eigen::Lower>() * x_;
  const double fit = x_.dot(work_) - ridge * x_.squaredNorm();
  return std::max(0.0, targets_squared_ - 2.0 * x_.dot(rhs_) + fit);
}

double RowSolver::solve_dual(const RowRatings& row, float mu, double ridge) {
  // (XᵀX + λw I) x = Xᵀy  ⇔  x = Xᵀ α with (XXᵀ + λw I) α = y: for a row with
  // fewer ratings n than unknowns the n × n system is the smaller one. With
  // λ = 0 this is the minimum-norm solution, as long as the n features are
  // independent (else the factorization fails and the primal path decides).
  using GatheredRows = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                      Eigen::RowMajor>,
                                  Eigen::Aligned64, Eigen::OuterStride<>>;
  const std::size_t rows = row.values.size();
  const auto n = static_cast<Eigen::Index>(rows);
  targets_squared_ = 0.0;
  gather(row, mu, 0, rows);
  const GatheredRows features(gathered_.data(), n, dim_, Eigen::OuterStride<>(stride_));
  const Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<>> targets(
      gathered_.data() + dim_, n, Eigen::InnerStride<>(stride_));
  dual_chunk_.setZero(n, n);
  dual_chunk_.selfadjointView<Eigen::Lower>().rankUpdate(features);
  dual_.resize(n, n);
  dual_.triangularView<Eigen::Lower>() = dual_chunk_.cast<double>();
  dual_.diagonal().array() += ridge;
  if (!factor_in_place(dual_)) return solve_primal(row, mu, ridge);
  alpha_ = targets.cast<double>();
  solve_factored(dual_, alpha_);
  x_.noalias() = features.transpose().cast<double>() * alpha_;
  // (XXᵀ + λw I) α = y makes the residual y − Xx = y − XXᵀα = λw α.
  return ridge * ridge * alpha_.squaredNorm();
}

double RowSolver::squared_error(const RowRatings& row, float mu, std::span<const float> factors,
                                float bias) {
  const auto k = static_cast<Eigen::Index>(factors.size());
  const Eigen::Map<const Eigen::VectorXf> x(factors.data(), k);
  double total = 0.0;
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const float* feature = row.features + row.slots[j] * row.feature_width;
    const float dot = x.dot(Eigen::Map<const Eigen::VectorXf>(feature, k));
    const double error = static_cast<double>(row.values[j]) - (mu + bias + feature[k] + dot);
    total += error * error;
  }
  return total;
}

}  // namespace dmf::solvers
