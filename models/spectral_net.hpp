#pragma once
// The spectral form ("ms1d", "cnn1d"): one pixel's spectrum.
//   3 x [ parallel Conv1d banks, kernel lengths {3, 7, 11} (same padding), width w each,
//         concat -> 3w, BN, ReLU, MaxPool(2) ]  -> AdaptiveAvgPool(8) -> Linear(3w*8 -> D), BN, ReLU
//   "cnn1d": the same with one kernel length (7) and 3w channels.
#include "models/hsi_net.hpp"

namespace hsi {

class SpectralNetImpl : public HsiNetImpl {
 public:
  explicit SpectralNetImpl(const NetOptions& options, bool with_head = true);
  // windows [N, bands, 1, 1] (or spectra [N, bands]) -> [N, D]
  torch::Tensor embed(const torch::Tensor& windows) override;
  // The tile's spectra as one batch: [1, bands, H, W] -> [H*W, D].
  torch::Tensor embed_dense(const torch::Tensor& tile) override;

 private:
  std::vector<std::vector<torch::nn::Conv1d>> banks_;
  std::vector<torch::nn::BatchNorm1d> bn_;
  torch::nn::Linear fc_{nullptr};
  torch::nn::BatchNorm1d fc_bn_{nullptr};
};

}  // namespace hsi
