#pragma once
// The spatial form ("ms2d", "cnn2d"): a p x p window of spectra, [N, bands, p, p].
//   Conv1x1(bands -> 2w), BN, ReLU                                   p x p
//   MultiScale{1x1, 3x3, 5x5} valid convs, w each, centre-cropped to the smallest output,
//     concat -> 3w, BN, ReLU                                          (p-4) x (p-4)
//   MultiScale{1x1, 3x3} -> 2w, BN, ReLU                              (p-6) x (p-6)
//   Conv1x1(2w -> D), BN, ReLU, mean over the remaining window        -> D
//   Kernels larger than what remains of the window are left out, so any odd p >= 1 works.
//   "cnn2d": the same depth with a single 3x3 bank per block (3w, 2w channels).
//
// Only unpadded spatial convolutions and a final window average: embed_dense() evaluates a
// whole tile as a fully convolutional network and gives exactly the per-window result for
// every interior pixel at a fraction of the cost. The layers run channels-last (NHWC).
#include "models/hsi_net.hpp"
#include "models/layers.hpp"

namespace hsi {

class WindowNetImpl : public HsiNetImpl {
 public:
  explicit WindowNetImpl(const NetOptions& options, bool with_head = true);
  torch::Tensor embed(const torch::Tensor& windows) override;
  torch::Tensor embed_dense(const torch::Tensor& tile) override;
  // The banks' weight gradient: valid_conv2d's swapped one or oneDNN's own (default:
  // swap_weight_gradient_by_default; both in bench_forms).
  void use_swapped_weight_gradient(bool on) {
    swapped_weight_gradient_ = on;
    for (auto& block : blocks_) block->use_swapped_weight_gradient(on);
  }

 protected:
  struct Block {
    std::string name;
    std::vector<int> kernels;  // before dropping those that do not fit
    int channels;              // output channels, split evenly over the kernels
  };
  // For forms that put their own layers before the 2-D ones (build those, then build_back).
  struct DeferLayers {};
  WindowNetImpl(const NetOptions& options, DeferLayers);
  // The 2-D layers from `in_channels` maps of size x size: 1x1 conv named `first` -> 2w,
  // the blocks, the 1x1 head -> D; then the shared head.
  void build_back(const std::string& first, int in_channels, int size, const std::vector<Block>& blocks);
  // What precedes the 2-D layers: nothing here; VolumeNet's 3-D stem.
  virtual torch::Tensor front(const torch::Tensor& windows) { return windows; }
  bool swapped_weight_gradient_ = swap_weight_gradient_by_default();

 private:
  torch::Tensor trunk(const torch::Tensor& x);  // feature maps before the window mean

  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<MultiScale2d> blocks_;
  torch::nn::Conv2d head_{nullptr};
  torch::nn::BatchNorm2d head_bn_{nullptr};
  int remaining_window_ = 1;
};

}  // namespace hsi
