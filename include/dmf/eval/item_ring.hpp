// The whole item side, one block at a time, without any rank holding it
// all: each rank starts with its own block of packed item rows and passes it
// on around a ring of ranks, P steps in all, so every rank sees every block
// once and never holds more than two. What top-N lists and ranking metrics
// score their users against.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "dmf/dist/comm.hpp"
#include "dmf/model/model.hpp"

namespace dmf::eval {

/// Calls visit(first_item, count, rows) for every rank's item block, this
/// rank's own first: `rows` are `count` packed rows ([factors..., bias], see
/// model/row_pack) of global item rows [first_item, first_item + count).
using ItemBlockVisitor =
    std::function<void(std::uint32_t first_item, std::size_t count, std::span<const float> rows)>;

/// Collective: every rank visits every item block.
void for_each_item_block(const dist::Comm& comm, const model::FactorBlock& items,
                         const ItemBlockVisitor& visit);

}  // namespace dmf::eval
