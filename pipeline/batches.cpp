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
  torch::Tensor x = torch::empty({n, B, p, p});
  extractor_.windows(pixels.data(), n, x.data_ptr<float>(), transforms.empty() ? nullptr : transforms.data());
  return form_ == "3d" ? x.unsqueeze(1) : x;
}

}  // namespace hsi
