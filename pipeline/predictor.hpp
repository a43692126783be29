#pragma once
// Whole-scene prediction. Window models go the dense route by default: each tile, with a halo
// of the patch radius (reflect-padded at the scene border), runs through the network as one
// fully convolutional pass, which equals the per-patch result for every pixel. The patch route
// (batches of windows) is the fallback and the reference the dense route is tested against.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/raster.hpp"
#include "models/hsi_net.hpp"

namespace hsi {

struct PredictOptions {
  std::string route = "auto";  // auto | dense | patch
  int tile = 128;
  int batch_size = 256;
  std::string classifier = "softmax";  // softmax | prototype
  torch::Tensor prototypes;            // [C, K] with classifier = prototype
  bool progress = true;
};

struct Prediction {
  std::vector<int64_t> class_index;  // per pixel, -1 where no data
  std::vector<float> confidence;     // max class probability, 0 where no data
  std::string route;                 // the route actually taken
  double seconds = 0;
};

// `cube` is already preprocessed. `nodata` (may be empty) marks pixels left unclassified.
Prediction predict_scene(HsiNet& net, const Cube& cube, const std::vector<uint8_t>& nodata, const PredictOptions& options);

// Class probabilities of every interior pixel of a band-major tile with a halo of the patch
// radius, [1, bands, h+2r, w+2r] (a 3-D model gets its channel axis added here): [h*w, classes].
torch::Tensor dense_tile_probabilities(HsiNet& net, const torch::Tensor& tile, const PredictOptions& options);

// Class probabilities from metric-space features z [N, K]: the softmax head, or a softmax over
// negative squared distances to the class prototypes.
torch::Tensor class_probabilities(HsiNet& net, const torch::Tensor& z, const PredictOptions& options);

}  // namespace hsi
