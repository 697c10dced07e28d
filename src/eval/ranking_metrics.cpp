#include "dmf/eval/ranking_metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "dmf/core/error.hpp"

namespace dmf::eval {
namespace {

struct Named {
  MetricKind kind;
  std::string_view name;
};

constexpr std::array<Named, 10> kMetrics{{
    {MetricKind::kRmse, "rmse"},
    {MetricKind::kMae, "mae"},
    {MetricKind::kPrecision, "precision"},
    {MetricKind::kRecall, "recall"},
    {MetricKind::kMap, "map"},
    {MetricKind::kNdcg, "ndcg"},
    {MetricKind::kMrr, "mrr"},
    {MetricKind::kHit, "hit"},
    {MetricKind::kAuc, "auc"},
    {MetricKind::kCoverage, "coverage"},
}};

std::string_view base_name(MetricKind kind) {
  for (const Named& m : kMetrics) {
    if (m.kind == kind) return m.name;
  }
  return "?";
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// One metric's name as `option` takes it; errors list `accepted`.
MetricSpec parse_one(std::string_view text, int default_k, std::string_view option,
                     const std::string& accepted) {
  const std::size_t at = text.find('@');
  const std::string_view base = text.substr(0, at);
  const auto* found = std::ranges::find(kMetrics, base, &Named::name);
  DMF_CHECK(found != kMetrics.end(), "{}: unknown metric '{}'; accepted: {}", option, text,
            accepted);
  MetricSpec spec{found->kind, takes_k(found->kind) ? default_k : 0};
  if (at == std::string_view::npos) return spec;
  const std::string_view k = text.substr(at + 1);
  DMF_CHECK(takes_k(spec.kind), "{}: '{}': {} has no cut-off @k; accepted: {}", option, text, base,
            accepted);
  if (k == "k") return spec;
  int value = 0;
  const auto [end, error] = std::from_chars(k.data(), k.data() + k.size(), value);
  DMF_CHECK(error == std::errc() && end == k.data() + k.size() && value >= 1,
            "{}: '{}': the cut-off after @ must be a whole number of at least 1", option, text);
  spec.k = value;
  return spec;
}

/// 1 / log2(j + 1): the discount of position j.
double discount(std::uint64_t j) { return 1.0 / std::log2(static_cast<double>(j) + 1.0); }

}  // namespace

std::string MetricSpec::name() const {
  return takes_k(kind) ? fmt::format("{}@{}", base_name(kind), k) : std::string(base_name(kind));
}

bool is_ranking(MetricKind kind) noexcept {
  return kind != MetricKind::kRmse && kind != MetricKind::kMae;
}

bool takes_k(MetricKind kind) noexcept { return is_ranking(kind) && kind != MetricKind::kAuc; }

bool higher_is_better(MetricKind kind) noexcept { return is_ranking(kind); }

std::string accepted_metrics(bool per_user_only) {
  std::string out;
  for (const Named& m : kMetrics) {
    if (per_user_only && m.kind == MetricKind::kCoverage) continue;
    if (!out.empty()) out += ", ";
    out += m.name;
    if (takes_k(m.kind)) out += "@k";
  }
  return out;
}

std::vector<MetricSpec> parse_metrics(std::string_view list, int default_k) {
  std::vector<MetricSpec> specs;
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) {
      const MetricSpec spec = parse_one(item, default_k, "--metrics", accepted_metrics());
      if (std::ranges::find(specs, spec) == specs.end()) specs.push_back(spec);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  DMF_CHECK(!specs.empty(), "--metrics names no metric; accepted: {}", accepted_metrics());
  return specs;
}

MetricSpec parse_per_user_metric(std::string_view text, int default_k, std::string_view option) {
  const std::string accepted = accepted_metrics(/*per_user_only=*/true);
  text = trim(text);
  DMF_CHECK(!text.empty(), "{} names no metric; accepted: {}", option, accepted);
  DMF_CHECK(text.find(',') == std::string_view::npos,
            "{} takes one metric, not the list '{}'; accepted: {}", option, text, accepted);
  const MetricSpec spec = parse_one(text, default_k, option, accepted);
  DMF_CHECK(spec.kind != MetricKind::kCoverage,
            "{}: '{}' is a figure of the whole catalogue, not a mean over users; accepted: {}",
            option, text, accepted);
  return spec;
}

std::optional<double> user_metric(const MetricSpec& metric, const UserRanking& ranking) {
  const auto& positions = ranking.relevant_positions;
  DMF_CHECK(!positions.empty(), "user_metric: a user without relevant items");
  const auto relevant = static_cast<std::uint64_t>(positions.size());
  const auto k = static_cast<std::uint64_t>(metric.k);
  // h: relevant items in the top k (positions are ascending).
  const auto hits =
      static_cast<std::uint64_t>(std::ranges::upper_bound(positions, k) - positions.begin());
  switch (metric.kind) {
    case MetricKind::kPrecision:
      return static_cast<double>(hits) / static_cast<double>(k);
    case MetricKind::kRecall:
      return static_cast<double>(hits) / static_cast<double>(relevant);
    case MetricKind::kMap: {
      // Σ over hits of precision at the hit's position, h_j / j.
      double sum = 0.0;
      for (std::uint64_t h = 0; h < hits; ++h) {
        sum += static_cast<double>(h + 1) / static_cast<double>(positions[h]);
      }
      return sum / static_cast<double>(std::min(k, relevant));
    }
    case MetricKind::kNdcg: {
      double dcg = 0.0;
      for (std::uint64_t h = 0; h < hits; ++h) dcg += discount(positions[h]);
      // The ideal ordering puts every relevant item first, capped at k.
      double ideal = 0.0;
      for (std::uint64_t j = 1; j <= std::min(k, relevant); ++j) ideal += discount(j);
      return dcg / ideal;
    }
    case MetricKind::kMrr:
      return positions.front() <= k ? 1.0 / static_cast<double>(positions.front()) : 0.0;
    case MetricKind::kHit:
      return positions.front() <= k ? 1.0 : 0.0;
    case MetricKind::kAuc: {
      if (ranking.candidates == relevant) return std::nullopt;
      // The j-th relevant item (1-based) at position p_j has
      // candidates − p_j items below it, of which R − j are relevant.
      std::uint64_t ordered = 0;
      for (std::uint64_t j = 1; j <= relevant; ++j) {
        ordered += (ranking.candidates - positions[j - 1]) - (relevant - j);
      }
      return static_cast<double>(ordered) /
             (static_cast<double>(relevant) * static_cast<double>(ranking.candidates - relevant));
    }
    case MetricKind::kRmse:
    case MetricKind::kMae:
    case MetricKind::kCoverage:
      break;
  }
  fail("user_metric: {} is not a per-user ranking metric", metric.name());
}

}  // namespace dmf::eval
