#pragma once
// The volumetric form ("ms3d", "cnn3d"): the window as a spectral volume [N, 1, bands, p, p].
//   Conv3d(1 -> 8, 7x1x1, spectral stride 2), BN, ReLU
//   MultiScale3d{7x1x1, 7x3x3, 7x5x5} (spectral 'same', spatial valid, spectral stride 2),
//     c3 = max(4, w/4) each -> 3 c3, BN, ReLU
//   fold spectra into channels -> Conv1x1 -> 2w, BN, ReLU, then as ms2d's second block and head.
//   "cnn3d": single 7x3x3 bank.
// Spatially unpadded like the 2-D form, so dense tiles equal per-window results too.
// The 3-D convolutions run as 2-D ones over the whole spectrum (banded weights built from the
// Conv3d weights, see volume_net.cpp): the same arithmetic on oneDNN's tuned 2-D kernels, and
// the parameters are still the Conv3d modules' weights, so checkpoints are unchanged.
#include "models/window_net.hpp"

namespace hsi {

class VolumeNetImpl : public WindowNetImpl {
 public:
  explicit VolumeNetImpl(const NetOptions& options);

 public:
  // The Conv3d modules' own forward instead of the 2-D formulation: the reference the tests
  // compare against.
  void use_conv3d_reference(bool on) { conv3d_reference_ = on; }
  // Which 2-D formulation runs: banded weights over the whole spectrum (chosen for short spectra)
  // or spectral planes (long ones); both compute the Conv3d modules' result. For tests and benches.
  void use_banded(bool on) { banded_ = on; }
  bool banded() const { return banded_; }
  // Up to this many input bands the banded formulation is chosen (measured crossover, see .cpp).
  static constexpr int64_t kBandedMaxBands = 60;

 protected:
  // [N, bands, p, p] -> volume [N, 1, bands, p, p] -> 3-D layers -> [N, folded channels, p', p']
  torch::Tensor front(const torch::Tensor& windows) override;
  torch::Tensor front_planes(const torch::Tensor& windows);

 private:
  torch::nn::Conv3d stem3d_{nullptr};
  torch::nn::BatchNorm3d stem3d_bn_{nullptr};
  std::vector<torch::nn::Conv3d> bank3d_;
  torch::nn::BatchNorm3d bank3d_bn_{nullptr};
  std::vector<int> kernels3d_;
  int kmax3d_ = 1;
  bool conv3d_reference_ = false;
  bool banded_ = true;
};

}  // namespace hsi
