#include "dmf/solvers/als/row_solver.hpp"

#include "dmf/solvers/als/cg_pass.hpp"
#include "simd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace dmf::solvers {
namespace {

/// Relative pivot size below which a float-summed Gram matrix is singular:
/// float epsilon (1.2e-7) times the sums' length, with room to spare.
constexpr double kSingularThreshold = 1e-5;

/// The tiles use Eigen's packet operations (als_simd::Packet), so the one
/// kernel below serves every instruction set.
using als_simd::Packet;
constexpr Eigen::Index kLanes = als_simd::kPacketFloats;
/// Gathered rows are padded to this many floats (a multiple of every
/// packet), so each starts on a packet boundary.
constexpr Eigen::Index kRowAlign = 16;
/// Columns per register tile: one accumulator packet per row packet each,
/// plus the row packets and a broadcast, within the registers.
constexpr int kMaxTileColumns = 12;
/// Row packets per register tile. With the 32 vector registers of AVX-512
/// a tile spans two packets of rows (24 accumulators): each broadcast
/// serves two multiply-adds, 14 loads for 24 of them instead of 13 for 12,
/// which took the Gram build at k = 64 from about 54% of the SGEMM rate
/// to 61% (k = 128: 61% to 70%; BM_GramBuild against BM_Sgemm in one run). The 16 registers of AVX2
/// and SSE hold one packet of rows (12 accumulators). Either way each entry is the same chain of
/// multiply-adds in rating order, so the sums' bits do not depend on the tile shape.
#ifdef EIGEN_VECTORIZE_AVX512
constexpr int kMaxTilePackets = 2;
#else
constexpr int kMaxTilePackets = 1;
#endif
/// Bytes of gathered rows kept in L1 while every tile passes over them.
constexpr std::size_t kBlockBytes = 32 * 1024;

using als_simd::kCacheLineFloats;
using als_simd::kPrefetchAhead;

Eigen::Index round_up(Eigen::Index n, Eigen::Index to) { return (n + to - 1) / to * to; }

/// sums[(first + c)·ld + row ..][R lanes] (+)= Σ_j z_j[row ..] z_j[first + c]
/// for c < C over the `count` gathered rows z_j, in j order: one
/// multiply-add per rating and entry, whatever the packet width or the tile
/// shape, so the sum is the same on every build with fused multiply-add. The
/// columns are contiguous so that each broadcast is a load at a fixed offset
/// from z_j.
template <int R, int C>
void gram_tile(const float* z, Eigen::Index stride, std::size_t count, Eigen::Index row,
               Eigen::Index first, float* sums, Eigen::Index ld, bool accumulate) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  float* out = sums + first * ld + row;
  Packet acc[C][R];
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r < R; ++r) {
      acc[c][r] = accumulate ? pload<Packet>(out + c * ld + r * kLanes) : pset1<Packet>(0.0F);
    }
  }
  const float* zj = z;
  for (std::size_t j = 0; j < count; ++j, zj += stride) {
    Packet rows[R];
    for (int r = 0; r < R; ++r) rows[r] = pload<Packet>(zj + row + r * kLanes);
    const float* columns = zj + first;
    for (int c = 0; c < C; ++c) {
      const Packet column = pset1<Packet>(columns[c]);
      for (int r = 0; r < R; ++r) acc[c][r] = pmadd(rows[r], column, acc[c][r]);
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r < R; ++r) Eigen::internal::pstore(out + c * ld + r * kLanes, acc[c][r]);
  }
}

using TileKernel = void (*)(const float*, Eigen::Index, std::size_t, Eigen::Index, Eigen::Index,
                            float*, Eigen::Index, bool);

template <int R, std::size_t... C>
constexpr std::array<TileKernel, sizeof...(C)> make_tile_kernels(std::index_sequence<C...>) {
  return {&gram_tile<R, static_cast<int>(C + 1)>...};
}
using TileKernels = std::array<TileKernel, static_cast<std::size_t>(kMaxTileColumns)>;
/// Spelled out: with one row packet, `std::array{row}` would deduce a copy
/// of the row rather than a table of one row.
template <std::size_t... R>
constexpr std::array<TileKernels, sizeof...(R)> make_tile_table(std::index_sequence<R...>) {
  return {{make_tile_kernels<static_cast<int>(R + 1)>(
      std::make_index_sequence<static_cast<std::size_t>(kMaxTileColumns)>())...}};
}
/// gram_tile<r + 1, c + 1> at [r][c]: a tile of up to kMaxTilePackets row
/// packets and up to kMaxTileColumns columns.
constexpr auto kTileKernels =
    make_tile_table(std::make_index_sequence<static_cast<std::size_t>(kMaxTilePackets)>());

using PacketD = Eigen::internal::packet_traits<double>::type;
constexpr Eigen::Index kLanesD = Eigen::internal::packet_traits<double>::size;

/// Rows of a matrix that factor_in_place() takes for n unknowns: n padded to
/// whole packets of doubles, so every column is whole aligned packets.
Eigen::Index padded_rows(Eigen::Index n) { return round_up(n, kLanesD); }

/// Rows [i, i + B packets) of columns j and j + 1 (W = 2) or of column j
/// alone (W = 1) of the factor, before their scaling: a[i.., j + w] −
/// Σ_{p<j} a[i.., p] a[j + w, p], the sums in registers. Each load of
/// column p serves both columns; fewer than 8 accumulators split the sum
/// over p into interleaved chains (p mod chains, added at the end in order),
/// so that the multiply-adds do not wait on each other's latency.
template <int B, int W>
void update_columns(double* a, Eigen::Index ld, Eigen::Index j, Eigen::Index i) {
  using Eigen::internal::padd;
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  constexpr int kChains = B * W >= 8 ? 1 : (B * W >= 4 ? 2 : (B * W >= 2 ? 4 : 8));
  PacketD sum[kChains][W][B];
  for (auto& chain : sum) {
    for (auto& column : chain) {
      for (auto& packet : column) packet = pset1<PacketD>(0.0);
    }
  }
  const auto step = [&](Eigen::Index p, PacketD(&chain)[W][B]) {
    const double* column = a + p * ld + i;
    PacketD rows[B];
    for (int b = 0; b < B; ++b) rows[b] = pload<PacketD>(column + b * kLanesD);
    for (int w = 0; w < W; ++w) {
      const PacketD l = pset1<PacketD>(a[p * ld + j + w]);
      for (int b = 0; b < B; ++b) chain[w][b] = pmadd(rows[b], l, chain[w][b]);
    }
  };
  Eigen::Index p = 0;
  for (; p + kChains <= j; p += kChains) {
    for (int c = 0; c < kChains; ++c) step(p + c, sum[c]);
  }
  for (int c = 0; p < j; ++p, ++c) step(p, sum[c]);
  for (int c = 1; c < kChains; ++c) {
    for (int w = 0; w < W; ++w) {
      for (int b = 0; b < B; ++b) sum[0][w][b] = padd(sum[0][w][b], sum[c][w][b]);
    }
  }
  for (int w = 0; w < W; ++w) {
    double* out = a + (j + w) * ld + i;
    for (int b = 0; b < B; ++b) {
      Eigen::internal::pstore(
          out + b * kLanesD,
          Eigen::internal::psub(pload<PacketD>(out + b * kLanesD), sum[0][w][b]));
    }
  }
}

/// update_columns over rows [j's packet, ld): 4 packets at a time, then
/// the rest.
template <int W>
void update_rows(double* a, Eigen::Index ld, Eigen::Index j) {
  Eigen::Index i = j / kLanesD * kLanesD;
  for (; i + 4 * kLanesD <= ld; i += 4 * kLanesD) update_columns<4, W>(a, ld, j, i);
  switch ((ld - i) / kLanesD) {
    case 3:
      update_columns<3, W>(a, ld, j, i);
      break;
    case 2:
      update_columns<2, W>(a, ld, j, i);
      break;
    case 1:
      update_columns<1, W>(a, ld, j, i);
      break;
    default:
      break;
  }
}

/// column[r] = column[r] · scale + shift[r] · offset for r in [from, ld):
/// scalars up to the first packet boundary, whole packets beyond (the
/// padding rows are zero in both and stay zero).
void scale_rows(double* column, const double* shift, double scale, double offset, Eigen::Index from,
                Eigen::Index ld) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  const Eigen::Index aligned = std::min(ld, round_up(from, kLanesD));
  for (Eigen::Index r = from; r < aligned; ++r) column[r] = column[r] * scale + shift[r] * offset;
  const PacketD s = pset1<PacketD>(scale);
  const PacketD o = pset1<PacketD>(offset);
  for (Eigen::Index r = aligned; r < ld; r += kLanesD) {
    Eigen::internal::pstore(
        column + r,
        pmadd(pload<PacketD>(shift + r), o, Eigen::internal::pmul(pload<PacketD>(column + r), s)));
  }
}

/// Column j's pivot: its root on the diagonal, the rows below divided by it
/// (a multiply by the inverse, kept in `inverse`). False when not positive.
bool scale_column(double* a, Eigen::Index ld, Eigen::Index j, double* inverse) {
  double* column = a + j * ld;
  if (!(column[j] > 0.0)) return false;  // also a NaN pivot
  const double root = std::sqrt(column[j]);
  column[j] = root;
  inverse[j] = 1.0 / root;
  scale_rows(column, column, inverse[j], 0.0, j + 1, ld);
  return true;
}

/// Factors the first n columns of `a` (padded_rows(n) rows, the padding
/// rows zero, the upper triangle finite) in place, a = L Lᵀ with L lower,
/// and writes 1/L_jj to inverse[j]; false when `a` is not positive
/// definite. Left-looking, two columns at a time: both are their columns
/// of `a` less a product with the columns before them, kept in registers 4
/// packets of rows at a time (one load for two multiply-adds, 8 independent
/// chains); then the first is scaled by its pivot's root, and the second
/// takes the first's term and its own pivot. Eigen's unblocked LLT updates
/// each column with a matrix-vector product through memory: 9.3 µs at
/// k = 64; one column at a time in registers, 5.9; two at a time, see
/// BM_Cholesky. Rows above the diagonal in a column's first packet are
/// updated too and never read.
bool factor_in_place(Eigen::MatrixXd& a, Eigen::Index n, double* inverse) {
  const Eigen::Index ld = a.rows();
  double* data = a.data();
  Eigen::Index j = 0;
  for (; j + 2 <= n; j += 2) {
    update_rows<2>(data, ld, j);
    if (!scale_column(data, ld, j, inverse)) return false;
    const double* column = data + j * ld;
    scale_rows(data + (j + 1) * ld, column, 1.0, -column[j + 1], j + 1, ld);
    if (!scale_column(data, ld, j + 1, inverse)) return false;
  }
  if (j < n) {
    update_rows<1>(data, ld, j);
    if (!scale_column(data, ld, j, inverse)) return false;
  }
  return true;
}

/// x ← (L Lᵀ)⁻¹ x for the factor and inverse pivots of factor_in_place;
/// x has padded_rows(n) entries, those beyond n zero (they stay zero).
/// Blocks of one packet of unknowns: the triangle inside a block by
/// scalars, the rest of the matrix by packets of rows, each packet of x
/// loaded once per block and updated in a register (going forward), or
/// one sum per unknown of the block over the packets (coming back), where
/// Eigen's triangular solves for one vector go row by row.
void solve_factored(const Eigen::MatrixXd& factor, Eigen::Index n, const double* inverse,
                    double* x) {
  using Eigen::internal::pload;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  const Eigen::Index ld = factor.rows();
  const double* l = factor.data();
  // L y = x, forward.
  for (Eigen::Index block = 0; block < n; block += kLanesD) {
    const Eigen::Index end = std::min(block + kLanesD, n);
    for (Eigen::Index c = block; c < end; ++c) {
      x[c] *= inverse[c];
      for (Eigen::Index r = c + 1; r < end; ++r) x[r] -= l[c * ld + r] * x[c];
    }
    for (Eigen::Index r = block + kLanesD; r < ld; r += kLanesD) {
      PacketD rows = pload<PacketD>(x + r);
      for (Eigen::Index c = block; c < end; ++c) {
        rows = pmadd(pset1<PacketD>(-x[c]), pload<PacketD>(l + c * ld + r), rows);
      }
      Eigen::internal::pstore(x + r, rows);
    }
  }
  // Lᵀ x = y, backward.
  for (Eigen::Index block = (n - 1) / kLanesD * kLanesD; block >= 0; block -= kLanesD) {
    const Eigen::Index end = std::min(block + kLanesD, n);
    const Eigen::Index width = end - block;
    PacketD sums[kLanesD];
    for (auto& sum : sums) sum = pset1<PacketD>(0.0);
    for (Eigen::Index r = block + kLanesD; r < ld; r += kLanesD) {
      const PacketD rows = pload<PacketD>(x + r);
      for (Eigen::Index c = 0; c < width; ++c) {
        sums[c] = pmadd(pload<PacketD>(l + (block + c) * ld + r), rows, sums[c]);
      }
    }
    for (Eigen::Index c = 0; c < width; ++c) x[block + c] -= Eigen::internal::predux(sums[c]);
    for (Eigen::Index c = end - 1; c >= block; --c) {
      for (Eigen::Index r = c + 1; r < end; ++r) x[c] -= l[c * ld + r] * x[r];
      x[c] *= inverse[c];
    }
  }
}

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
      factor_(padded_rows(dim_), dim_) {
  block_ =
      std::max<std::size_t>(16, kBlockBytes / (static_cast<std::size_t>(stride_) * sizeof(float)));
  // The dual path gathers its rows (fewer than dim_) in one block.
  block_ = std::max(block_, static_cast<std::size_t>(dim_));
  // Zeros beyond z stay zero: the tiles of the last packet of rows read them.
  gathered_.setZero(static_cast<Eigen::Index>(block_) * stride_);
  factor_.setZero();  // its padding rows stay zero
  inverse_pivots_.setZero(padded_rows(dim_));
  solution_.setZero(padded_rows(dim_));  // entries beyond the unknowns stay zero
  for (auto* v : {&cg_x_, &cg_g_, &cg_r_, &cg_start_r_, &cg_p_, &cg_ap_, &cg_delta_}) {
    v->setZero(dim_);
  }
  cg_direction_.setZero(static_cast<Eigen::Index>(cg_direction_size(k)));
  tile_sums_.setZero(tile_rows_ * (dim_ + 1));
  // Row packet [row, row + lanes) against columns c ≤ its last row (the lower
  // triangle, with the upper part of the diagonal block thrown away), and
  // against the bias and target columns k..dim (their transposes are row k
  // of the Gram matrix and the right-hand side), which continue the range
  // for the last packet of rows. Two packets of rows share a tile over the
  // first one's columns (a subset of the second's), and the second takes
  // its extra columns alone.
  const auto add_tiles = [&](Eigen::Index row, Eigen::Index packets, Eigen::Index first,
                             Eigen::Index end) {
    for (; first < end; first += kMaxTileColumns) {
      tiles_.push_back({row, packets, first, std::min<Eigen::Index>(kMaxTileColumns, end - first)});
    }
  };
  const auto add_packet_tiles = [&](Eigen::Index row, Eigen::Index packets) {
    if (row + kLanes >= k) {
      add_tiles(row, packets, 0, dim_ + 1);
    } else {
      add_tiles(row, packets, 0, row + kLanes);
      add_tiles(row, packets, k, dim_ + 1);
    }
  };
  for (Eigen::Index row = 0; row < k; row += kMaxTilePackets * kLanes) {
    if (kMaxTilePackets == 2 && row + kLanes < k) {
      add_packet_tiles(row, 2);
      add_tiles(row + kLanes, 1, row + kLanes, std::min<Eigen::Index>(row + 2 * kLanes, k));
    } else {
      add_packet_tiles(row, 1);
    }
  }
}

void RowSolver::gather(const RowRatings& row, float mu, std::size_t begin, std::size_t count) {
  using Eigen::internal::ploadu;
  using Eigen::internal::pstore;
  const Eigen::Index k = k_;
  const Eigen::Index whole = k / kLanes * kLanes;
  const std::size_t end = row.values.size();
  for (std::size_t j = 0; j < count; ++j) {
    // The rows of the other side are read in slot order, scattered over a
    // matrix larger than L2: ask for the row kPrefetchAhead ratings ahead.
    if (begin + j + kPrefetchAhead < end) {
      const float* ahead = row.features + row.slots[begin + j + kPrefetchAhead] * row.feature_width;
      for (std::size_t f = 0; f <= row.feature_width; f += kCacheLineFloats) {
        Eigen::internal::prefetch(ahead + f);
      }
    }
    const float* feature = row.features + row.slots[begin + j] * row.feature_width;
    float* z = gathered_.data() + static_cast<Eigen::Index>(j) * stride_;
    // A packet copy per lane group: a memcpy call per rating costs more
    // than the copy at these lengths.
    for (Eigen::Index c = 0; c < whole; c += kLanes) pstore(z + c, ploadu<Packet>(feature + c));
    for (Eigen::Index c = whole; c < k; ++c) z[c] = feature[c];
    if (with_bias_) z[k] = 1.0F;
    const float target = row.values[begin + j] - mu - row.bias(row.slots[begin + j], k_);
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
        kTileKernels[static_cast<std::size_t>(tile.packets - 1)][static_cast<std::size_t>(
            tile.columns - 1)](gathered_.data(), stride_, count, tile.row, tile.first_column,
                               tile_sums_.data(), tile_rows_, begin != chunk);
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
  const double squared_error = n < static_cast<std::size_t>(dim_) ? solve_dual(row, mu, ridge)
                                                                  : solve_primal(row, mu, ridge);
  store(factors, bias);
  return squared_error;
}

double RowSolver::solve_primal(const RowRatings& row, float mu, double ridge) {
  build_normal_equations(row, mu);
  return solve_built(ridge);
}

double RowSolver::solve_normal_equations(double ridge, std::span<float> factors, float& bias) {
  const double squared_error = solve_built(ridge);
  store(factors, bias);
  return squared_error;
}

double RowSolver::solve_built(double ridge) {
  // The Gram matrix's upper triangle is zero: the factor starts finite.
  factor_.topRows(dim_) = gram_;
  factor_.diagonal().array() += ridge;
  if (factor_in_place(factor_, dim_, inverse_pivots_.data())) {
    solution_.head(dim_) = rhs_;
    solve_factored(factor_, dim_, inverse_pivots_.data(), solution_.data());
    x_ = solution_.head(dim_);
  } else {
    // Singular (λ = 0 and the row's features span fewer than k+1
    // dimensions): the minimum-norm least-squares solution, which is what
    // the limit λ → 0 gives. The Gram matrix was summed in float, so pivots
    // below float rounding of the largest count as zero.
    Eigen::MatrixXd full = gram_.selfadjointView<Eigen::Lower>();
    full.diagonal().array() += ridge;
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> decomposition(full);
    decomposition.setThreshold(kSingularThreshold);
    x_ = decomposition.solve(rhs_);
  }
  // Σ (y − Xx)² = yᵀy − 2 xᵀb + xᵀGx with G = XᵀX and b = Xᵀy, and the
  // solution of (G + λw I) x = b has xᵀGx = xᵀb − λw ‖x‖² (the
  // least-squares solution of the singular case too: b lies in G's range).
  // It cancels when the fit is close, but the terms are doubles of at most
  // float-rounded sums: enough for a reported figure.
  return std::max(0.0, targets_squared_ - x_.dot(rhs_) - ridge * x_.squaredNorm());
}

void RowSolver::store(std::span<float> factors, float& bias) const {
  const auto k = static_cast<std::size_t>(k_);
  for (std::size_t f = 0; f < k; ++f)
    factors[f] = static_cast<float>(x_[static_cast<Eigen::Index>(f)]);
  bias = with_bias_ ? static_cast<float>(x_[static_cast<Eigen::Index>(k)]) : 0.0F;
}

double RowSolver::solve_dual(const RowRatings& row, float mu, double ridge) {
  // (XᵀX + λw I) x = Xᵀy  ⇔  x = Xᵀ α with (XXᵀ + λw I) α = y: for a row with
  // fewer ratings n than unknowns the n × n system is the smaller one. With
  // λ = 0 this is the minimum-norm solution, as long as the n features are
  // independent (else the factorization fails and the primal path decides).
  using GatheredRows =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
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
  dual_.setZero(padded_rows(n), n);
  dual_.topRows(n).triangularView<Eigen::Lower>() = dual_chunk_.cast<double>();
  dual_.diagonal().array() += ridge;
  if (!factor_in_place(dual_, n, inverse_pivots_.data())) return solve_primal(row, mu, ridge);
  solution_.setZero();
  solution_.head(n) = targets.cast<double>();
  solve_factored(dual_, n, inverse_pivots_.data(), solution_.data());
  alpha_ = solution_.head(n);
  x_.noalias() = features.transpose().cast<double>() * alpha_;
  // (XXᵀ + λw I) α = y makes the residual y − Xx = y − XXᵀα = λw α.
  return ridge * ridge * alpha_.squaredNorm();
}

double RowSolver::cg_pass(const RowRatings& row, float mu, const Eigen::VectorXd& v,
                          bool with_targets, Eigen::VectorXd& out) {
  for (Eigen::Index c = 0; c < dim_; ++c) cg_direction_[c] = static_cast<float>(v[c]);
  const bool own_biases = row.biases != nullptr;
  const CgPassInput input{row.slots.data(),
                          row.values.data(),
                          row.values.size(),
                          row.features,
                          row.feature_width,
                          own_biases ? row.biases : row.features + k_,
                          own_biases ? 1 : row.feature_width,
                          k_,
                          with_bias_,
                          mu};
  return solvers::cg_pass(input, cg_direction_.data(), with_targets, out.data());
}

double RowSolver::solve_cg(const RowRatings& row, float mu, double ridge, int steps,
                           std::span<float> factors, float& bias) {
  if (row.values.empty()) {
    std::ranges::fill(factors, 0.0F);
    bias = 0.0F;
    return 0.0;
  }
  // With e₀ = y − X x₀ the errors at the start, g = Xᵀe₀ and the system
  // A x = b, A = XᵀX + λw I: the residual is r = b − A x = g − λw x₀ at the
  // start, and each step's A p is one pass, Xᵀ(X p) + λw p. The solution is
  // x₀ + Δ.
  const Eigen::Index k = k_;
  for (Eigen::Index f = 0; f < k; ++f) cg_x_[f] = factors[static_cast<std::size_t>(f)];
  if (with_bias_) cg_x_[k] = bias;
  const double start_error = cg_pass(row, mu, cg_x_, /*with_targets=*/true, cg_g_);
  cg_r_ = cg_g_ - ridge * cg_x_;
  cg_start_r_ = cg_r_;
  cg_p_ = cg_r_;
  cg_delta_.setZero();
  double rs = cg_r_.squaredNorm();
  // The passes sum in float: below this the residual is rounding.
  const double rounding = 1e-12 * rs;
  for (int step = 0; step < steps && rs > rounding; ++step) {
    cg_pass(row, mu, cg_p_, /*with_targets=*/false, cg_ap_);  // −XᵀX p
    cg_ap_ = ridge * cg_p_ - cg_ap_;
    const double curvature = cg_p_.dot(cg_ap_);
    if (!(curvature > 0.0)) break;
    const double alpha = rs / curvature;
    cg_delta_ += alpha * cg_p_;
    cg_r_ -= alpha * cg_ap_;
    const double rs_next = cg_r_.squaredNorm();
    cg_p_ = cg_r_ + (rs_next / rs) * cg_p_;
    rs = rs_next;
  }
  x_ = cg_x_ + cg_delta_;
  store(factors, bias);
  // ‖e₀ − XΔ‖² = ‖e₀‖² − 2Δᵀg + ΔᵀXᵀXΔ, and AΔ = r₀ − r (the residual's
  // change), so ΔᵀXᵀXΔ = Δᵀ(r₀ − r) − λw ‖Δ‖²: no pass over the ratings.
  const double fit = cg_delta_.dot(cg_start_r_ - cg_r_) - ridge * cg_delta_.squaredNorm();
  return std::max(0.0, start_error - 2.0 * cg_delta_.dot(cg_g_) + fit);
}

void RowSolver::prefetch_start(const RowRatings& row, int k) noexcept {
  const std::size_t n = std::min(row.values.size(), kPrefetchAhead);
  for (std::size_t j = 0; j < n; ++j) {
    als_simd::prefetch_floats(row.features + row.slots[j] * row.feature_width,
                              static_cast<std::size_t>(k));
  }
}

double RowSolver::squared_error(const RowRatings& row, float mu, std::span<const float> factors,
                                float bias) {
  const auto k = static_cast<Eigen::Index>(factors.size());
  const Eigen::Map<const Eigen::VectorXf> x(factors.data(), k);
  double total = 0.0;
  for (std::size_t j = 0; j < row.values.size(); ++j) {
    const float* feature = row.features + row.slots[j] * row.feature_width;
    const float dot = x.dot(Eigen::Map<const Eigen::VectorXf>(feature, k));
    const double error = static_cast<double>(row.values[j]) -
                         (mu + bias + row.bias(row.slots[j], static_cast<std::size_t>(k)) + dot);
    total += error * error;
  }
  return total;
}

}  // namespace dmf::solvers
