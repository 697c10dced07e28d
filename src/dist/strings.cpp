#include "dmf/dist/strings.hpp"

#include <cstdint>

namespace dmf::dist {

std::vector<std::string> allgather_strings(const Comm& comm, std::span<const std::string> mine) {
  std::vector<std::uint64_t> lengths;
  std::string bytes;
  for (const auto& s : mine) {
    lengths.push_back(s.size());
    bytes += s;
  }
  const auto all_lengths = comm.allgatherv<std::uint64_t>(lengths);
  const auto all_bytes = comm.allgatherv<char>(std::span<const char>(bytes.data(), bytes.size()));
  std::vector<std::string> out;
  out.reserve(all_lengths.size());
  std::size_t offset = 0;
  for (const auto length : all_lengths) {
    out.emplace_back(all_bytes.data() + offset, length);
    offset += length;
  }
  return out;
}

}  // namespace dmf::dist
