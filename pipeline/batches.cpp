#include "pipeline/batches.hpp"

#include "common/error.hpp"

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

Samples samples_of(const std::vector<int32_t>& map, const ClassTable& classes) {
  Samples s;
  for (int64_t p = 0; p < static_cast<int64_t>(map.size()); ++p) {
    if (map[p] == 0) continue;
    const int index = classes.index_of(map[p]);
    if (index < 0) throw Error(ErrorKind::Data, "split holds class " + std::to_string(map[p]) + " which the scene's class table lacks");
    s.pixels.push_back(p);
    s.targets.push_back(index);
  }
  return s;
}

}  // namespace hsi
