#include "models/volume_net.hpp"

#include <algorithm>

namespace hsi {
namespace nn = torch::nn;

VolumeNetImpl::VolumeNetImpl(const NetOptions& options) : WindowNetImpl(options, DeferLayers{}) {
  const int w = options_.width, S = options_.patch;
  const bool multi = options_.multiscale();
  const int c3 = std::max(4, w / 4);
  auto spectral_out = [](int64_t n) { return (n - 1) / 2 + 1; };  // kernel 7, padding 3, stride 2
  const int64_t b1 = spectral_out(options_.in_bands);
  stem3d_ = register_module("stem3d", nn::Conv3d(nn::Conv3dOptions(1, 8, {7, 1, 1}).stride({2, 1, 1}).padding({3, 0, 0}).bias(false)));
  stem3d_bn_ = register_module("stem3d_bn", nn::BatchNorm3d(8));
  macs_ += 8 * 7 * b1 * S * S;
  dense_macs_ += 8 * 7 * b1;
  kernels3d_ = kernels_that_fit(multi ? std::vector<int>{1, 3, 5} : std::vector<int>{3}, S);
  const int branch_width = multi ? c3 : 3 * c3;
  const int64_t b2 = spectral_out(b1);
  kmax3d_ = *std::max_element(kernels3d_.begin(), kernels3d_.end());
  const int size = S - kmax3d_ + 1;
  for (int k : kernels3d_) {
    bank3d_.push_back(register_module("bank3d_k" + std::to_string(k),
                                      nn::Conv3d(nn::Conv3dOptions(8, branch_width, {7, k, k}).stride({2, 1, 1}).padding({3, 0, 0}).bias(false))));
    macs_ += static_cast<int64_t>(8) * branch_width * 7 * k * k * b2 * size * size;
    dense_macs_ += static_cast<int64_t>(8) * branch_width * 7 * k * k * b2;
  }
  const int channels3d = branch_width * static_cast<int>(kernels3d_.size());
  bank3d_bn_ = register_module("bank3d_bn", nn::BatchNorm3d(channels3d));
  layer_notes_.push_back("stem: Conv3d 7x1x1/2 1 -> 8 @" + std::to_string(b1) + "x" + std::to_string(S) + "x" + std::to_string(S));
  layer_notes_.push_back("block 1: Conv3d kernels 7x{" + join_kernels(kernels3d_) + "}/2 -> " + std::to_string(channels3d) + " @" +
                         std::to_string(b2) + "x" + std::to_string(size) + "x" + std::to_string(size) + ", spectra folded into " +
                         std::to_string(channels3d * b2) + " channels");
  build_back("fold", static_cast<int>(channels3d * b2), size, {{"block2", multi ? std::vector<int>{1, 3} : std::vector<int>{3}, 2 * w}});
}

torch::Tensor VolumeNetImpl::front(const torch::Tensor& windows) {
  torch::Tensor x = torch::relu(stem3d_bn_->forward(stem3d_->forward(windows.unsqueeze(1).contiguous())));
  std::vector<torch::Tensor> outs;
  for (size_t i = 0; i < bank3d_.size(); ++i) outs.push_back(bank3d_[i]->forward(centre_crop(x, (kmax3d_ - kernels3d_[i]) / 2, 3)));
  x = torch::relu(bank3d_bn_->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
  return x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3), x.size(4)});
}

}  // namespace hsi
