#pragma once
// Turns pixel indices of a preprocessed cube into a model's input: windows of spectra
// [n, bands, p, p] in channels-last memory (p = 1 for spectral models), written straight into
// the tensor's memory. Every network form reads this one layout (models/hsi_net.hpp).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "io/class_table.hpp"
#include "io/raster.hpp"
#include "models/net_options.hpp"
#include "pipeline/patches.hpp"

namespace hsi {

class BatchMaker {
 public:
  BatchMaker(const Cube& cube, const NetOptions& net);
  // transforms: one dihedral transform id per pixel (flips/rotations of the window), or empty.
  torch::Tensor make(const std::vector<int64_t>& pixels, const std::vector<uint8_t>& transforms = {}) const;

 private:
  PatchExtractor extractor_;
};

// Class indices 0..C-1 of original ids, in class-table order.
struct Samples {
  std::vector<int64_t> pixels;
  std::vector<int64_t> targets;
  size_t size() const { return pixels.size(); }
};

// The labelled pixels of a split map (class ids, 0 = not in the set) as samples; a data error
// for an id the class table lacks.
Samples samples_of(const std::vector<int32_t>& map, const ClassTable& classes);

}  // namespace hsi
