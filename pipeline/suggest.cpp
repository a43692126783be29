#include "pipeline/suggest.hpp"

#include <algorithm>
#include <limits>

#include "common/error.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/prototypes.hpp"

namespace hsi {

void require_metric(const Checkpoint& ck) {
  if (!ck.net || !ck.prototypes.defined()) {
    usage_error("this " + ck.net_options.name + " checkpoint has no learned metric to suggest pixels in (train a network)");
  }
}

std::vector<FreeCluster> free_clusters(const torch::Tensor& u, const torch::Tensor& class_means, int64_t count) {
  const int64_t classes = class_means.size(0);
  // The class means stay where they are; the free centres start farthest-first.
  std::vector<torch::Tensor> start{class_means};
  torch::Tensor nearest = prototype_distances(u, class_means, {}).amin(1);
  for (int64_t k = 0; k < count && k < u.size(0); ++k) {
    const torch::Tensor farthest = u[nearest.argmax().item<int64_t>()].unsqueeze(0);
    start.push_back(farthest);
    nearest = torch::minimum(nearest, prototype_distances(u, farthest, {}).squeeze(1));
  }
  torch::Tensor centres = torch::cat(start, 0);
  torch::Tensor assign;
  for (int round = 0; round < 10; ++round) {
    const torch::Tensor next = prototype_distances(u, centres, {}).argmin(1);
    if (assign.defined() && torch::equal(next, assign)) break;
    assign = next;
    for (int64_t j = classes; j < centres.size(0); ++j) {
      const torch::Tensor members = assign == j;
      if (members.any().item<bool>()) centres[j] = u.index({members}).mean(0);
    }
  }

  std::vector<FreeCluster> out;
  for (int64_t j = classes; j < centres.size(0); ++j) {
    const int64_t members = (assign == j).sum().item<int64_t>();
    if (members == 0) continue;
    torch::Tensor d = prototype_distances(u, centres.slice(0, j, j + 1), {}).squeeze(1);
    d.masked_fill_(assign != j, std::numeric_limits<float>::infinity());
    out.push_back({d.argmin().item<int64_t>(), members});
  }
  std::stable_sort(out.begin(), out.end(), [](const FreeCluster& a, const FreeCluster& b) { return a.members > b.members; });
  return out;
}

std::vector<Suggestion> suggest_pixels(Checkpoint& ck, const Cube& prepared, const std::vector<uint8_t>& taken,
                                       const std::vector<uint8_t>& nodata, int64_t count) {
  require_metric(ck);
  if (count < 1) usage_error("the number of suggestions must be at least 1");
  const std::vector<int64_t> pool = unlabelled_pool(taken, nodata);
  if (pool.empty()) return {};
  const torch::Tensor u = metric_features(ck.net, BatchMaker(prepared, ck.net_options), pool);
  std::vector<Suggestion> out;
  for (const FreeCluster& c : free_clusters(u, ck.prototypes, count)) {
    Suggestion s;
    s.pixel = pool[static_cast<size_t>(c.central_row)];
    s.cluster_pixels = c.members;
    s.cluster_share = static_cast<double>(c.members) / static_cast<double>(pool.size());
    const torch::Tensor z = u.slice(0, c.central_row, c.central_row + 1);
    s.nearest_class = static_cast<int>(prototype_distances(z, ck.prototypes, ck.metric_precision).argmin(1).item<int64_t>());
    out.push_back(s);
  }
  return out;
}

}  // namespace hsi
