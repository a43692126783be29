#include "eval/open_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hsi {

double auroc(const std::vector<float>& known, const std::vector<float>& unknown) {
  if (known.empty() || unknown.empty()) return std::numeric_limits<double>::quiet_NaN();
  // Mann-Whitney U from the ranks of the pooled scores (average ranks for ties): O(n log n).
  struct Scored {
    float score;
    bool unknown;
  };
  std::vector<Scored> all;
  all.reserve(known.size() + unknown.size());
  for (float s : known) all.push_back({s, false});
  for (float s : unknown) all.push_back({s, true});
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score < b.score; });
  double unknown_rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].score == all[i].score) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;  // 1-based average rank
    for (size_t k = i; k < j; ++k)
      if (all[k].unknown) unknown_rank_sum += rank;
    i = j;
  }
  const double nu = static_cast<double>(unknown.size()), nk = static_cast<double>(known.size());
  return (unknown_rank_sum - nu * (nu + 1) / 2.0) / (nu * nk);
}

double acceptance_threshold(std::vector<float> known, double accept) {
  if (known.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(known.begin(), known.end());
  const double wanted = std::clamp(accept, 0.0, 1.0) * static_cast<double>(known.size());
  const size_t at = static_cast<size_t>(std::max(1.0, std::ceil(wanted - 1e-9))) - 1;
  return known[std::min(at, known.size() - 1)];
}

double rejected_share(const std::vector<float>& scores, double threshold) {
  if (scores.empty()) return std::numeric_limits<double>::quiet_NaN();
  size_t above = 0;
  for (float s : scores) above += s > threshold;
  return static_cast<double>(above) / static_cast<double>(scores.size());
}

}  // namespace hsi
