#include "dmf/eval/item_ring.hpp"

#include <vector>

#include "dmf/model/row_pack.hpp"

namespace dmf::eval {

void for_each_item_block(const dist::Comm& comm, const model::FactorBlock& items,
                         const ItemBlockVisitor& visit) {
  const auto boundaries = model::row_boundaries(comm, items);
  const std::size_t width = model::packed_width(items);
  std::vector<float> block;
  model::pack_rows(items, block);
  std::vector<float> incoming;
  const int ranks = comm.size();
  const int me = comm.rank();
  for (int step = 0; step < ranks; ++step) {
    const int owner = (me - step + ranks) % ranks;  // whose block we hold
    const std::uint32_t first_item = boundaries[static_cast<std::size_t>(owner)];
    const std::size_t count = boundaries[static_cast<std::size_t>(owner) + 1] - first_item;
    visit(first_item, count, block);
    if (step + 1 == ranks) break;
    // Pass our block on to the next rank; take the previous rank's.
    const int next_owner = (owner - 1 + ranks) % ranks;
    const std::size_t next_count = boundaries[static_cast<std::size_t>(next_owner) + 1] -
                                   boundaries[static_cast<std::size_t>(next_owner)];
    incoming.resize(next_count * width);
    comm.sendrecv_bytes(std::as_bytes(std::span<const float>(block)), (me + 1) % ranks,
                        std::as_writable_bytes(std::span<float>(incoming)),
                        (me - 1 + ranks) % ranks);
    std::swap(block, incoming);
  }
}

}  // namespace dmf::eval
