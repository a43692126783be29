#pragma once
// Which pixels to label next (hsi suggest). With a few labels a class, the errors sit in parts of
// the scene that no labelled pixel resembles (README "Where the weak seeds come from": a part of
// a field its labelled pixels all missed). In the learned metric those parts form clusters of
// unlabelled pixels away from every class mean; a label inside each is worth more than one drawn
// at random. k-means over the scene's unlabelled features, with the class means as fixed centres
// and `count` free centres (started farthest-first, as refine_prototypes starts its free centres),
// finds them; each free cluster's member nearest its centre is suggested, largest cluster first.
// Labelled, the suggestions refine the checkpoint without retraining (hsi enrol) or join the
// training map.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "io/raster.hpp"

namespace hsi {

struct Checkpoint;

struct Suggestion {
  int64_t pixel = 0;          // row * cols + col
  int64_t cluster_pixels = 0;  // members of its cluster among the pixels looked at
  double cluster_share = 0;    // ... as a share of them
  int nearest_class = -1;      // index into ck.classes of the nearest class mean in the metric
};

// The clustering behind it, on features alone: u [M, K] the unlabelled features, `class_means`
// [C, K] the fixed centres. Returns, for each non-empty free cluster, largest first, the row of
// u nearest its centre and the cluster's size.
struct FreeCluster {
  int64_t central_row = 0;
  int64_t members = 0;
};
std::vector<FreeCluster> free_clusters(const torch::Tensor& u, const torch::Tensor& class_means, int64_t count);

// A usage error for checkpoints without a learned metric (unmixing, SVM).
void require_metric(const Checkpoint& ck);

// `prepared`: the cube through the checkpoint's preprocessing. `taken` (1 = labelled already) and
// `nodata` (1 = no data; may be empty) are the cube's size. Returns at most `count` suggestions,
// fewer when fewer clusters are non-empty. A usage error for checkpoints without a metric.
std::vector<Suggestion> suggest_pixels(Checkpoint& ck, const Cube& prepared, const std::vector<uint8_t>& taken,
                                       const std::vector<uint8_t>& nodata, int64_t count);

}  // namespace hsi
