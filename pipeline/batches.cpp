#include "pipeline/batches.hpp"

namespace hsi {

BatchMaker::BatchMaker(const Cube& cube, const NetOptions& net) : extractor_(cube, net.patch_used()) {}

torch::Tensor BatchMaker::make(const std::vector<int64_t>& pixels, const std::vector<uint8_t>& transforms) const {
  const int64_t n = static_cast<int64_t>(pixels.size());
  const int64_t B = extractor_.bands(), p = extractor_.patch();
  // Channels-last, the layout the 2-D networks compute in: [n, B, p, p] with NHWC strides.
  torch::Tensor x = torch::empty({n, p, p, B});
  extractor_.windows_channels_last(pixels.data(), n, x.data_ptr<float>(), transforms.empty() ? nullptr : transforms.data());
  return x.permute({0, 3, 1, 2});
}

}  // namespace hsi
