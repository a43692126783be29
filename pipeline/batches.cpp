#include "pipeline/batches.hpp"

namespace hsi {

BatchMaker::BatchMaker(const Cube& cube, const NetOptions& net) : extractor_(cube, net.patch_used()), form_(net.form()) {}

torch::Tensor BatchMaker::make(const std::vector<int64_t>& pixels, const std::vector<uint8_t>& transforms) const {
  const int64_t n = static_cast<int64_t>(pixels.size());
  const int64_t B = extractor_.bands(), p = extractor_.patch();
  if (form_ == "1d") {
    torch::Tensor x = torch::empty({n, B});
    extractor_.spectra(pixels.data(), n, x.data_ptr<float>());
    return x;
  }
  const uint8_t* t = transforms.empty() ? nullptr : transforms.data();
  if (form_ == "2d") {
    // Channels-last, the layout the 2-D networks compute in: [n, B, p, p] with NHWC strides.
    torch::Tensor x = torch::empty({n, p, p, B});
    extractor_.windows_channels_last(pixels.data(), n, x.data_ptr<float>(), t);
    return x.permute({0, 3, 1, 2});
  }
  torch::Tensor x = torch::empty({n, B, p, p});
  extractor_.windows(pixels.data(), n, x.data_ptr<float>(), t);
  return x.unsqueeze(1);
}

}  // namespace hsi
