#pragma once
// Turns pixel indices of a preprocessed cube into the input tensor of a model form, writing the
// patches straight into the tensor's memory.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "io/raster.hpp"
#include "models/hsi_net.hpp"
#include "pipeline/patches.hpp"

namespace hsi {

class BatchMaker {
 public:
  BatchMaker(const Cube& cube, const NetOptions& net);
  // transforms: one dihedral transform id per pixel (window forms), or empty.
  torch::Tensor make(const std::vector<int64_t>& pixels, const std::vector<uint8_t>& transforms = {}) const;
  const std::string& form() const { return form_; }

 private:
  PatchExtractor extractor_;
  std::string form_;
};

// Class indices 0..C-1 of original ids, in class-table order.
struct Samples {
  std::vector<int64_t> pixels;
  std::vector<int64_t> targets;
  size_t size() const { return pixels.size(); }
};

}  // namespace hsi
