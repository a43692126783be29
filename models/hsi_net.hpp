#pragma once
// Multiscale-convolution CNNs (MS-CNN) for hyperspectral pixels, and their single-scale
// baselines, in three input forms. Every model is
//     x --f--> embedding e (D) --B--> z = B e (K, the metric factors) --W--> logits (classes)
// with B a bias-free linear map whose rows b_1..b_K are the metric factors of
// d_B(x, y) = ||B (f(x) - f(y))||^2 used by the metric fine-tuning stage.
//
// 1-D "ms1d" (spectral), input [N, bands]:
//   3 x [ parallel Conv1d banks, kernel lengths {3, 7, 11} (same padding), width w each,
//         concat -> 3w, BN, ReLU, MaxPool(2) ]  -> AdaptiveAvgPool(8) -> Linear(3w*8 -> D), BN, ReLU
//   "cnn1d": the same with one kernel length (7) and 3w channels.
// 2-D "ms2d" (spectral-spatial), input [N, bands, p, p]:
//   Conv1x1(bands -> 2w), BN, ReLU                                   p x p
//   MultiScale{1x1, 3x3, 5x5} valid convs, w each, centre-cropped to the smallest output,
//     concat -> 3w, BN, ReLU                                          (p-4) x (p-4)
//   MultiScale{1x1, 3x3} -> 2w, BN, ReLU                              (p-6) x (p-6)
//   Conv1x1(2w -> D), BN, ReLU, mean over the remaining window        -> D
//   Kernels larger than what remains of the window are left out, so any odd p >= 1 works.
//   "cnn2d": the same depth with a single 3x3 bank per block (3w, 2w channels).
// 3-D "ms3d", input [N, 1, bands, p, p]:
//   Conv3d(1 -> 8, 7x1x1, spectral stride 2), BN, ReLU
//   MultiScale3d{7x1x1, 7x3x3, 7x5x5} (spectral 'same', spatial valid, spectral stride 2),
//     c3 = max(4, w/4) each -> 3 c3, BN, ReLU
//   fold spectra into channels -> Conv1x1 -> 2w, BN, ReLU, then as ms2d's second block and head.
//   "cnn3d": single 7x3x3 bank.
//
// The 2-D and 3-D window models use only unpadded spatial convolutions and end in a window
// average, so embed_dense() evaluates a whole tile as a fully convolutional network and gives
// exactly the per-patch result for every interior pixel at a fraction of the cost.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace hsi {

struct NetOptions {
  std::string name = "ms2d";  // ms1d ms2d ms3d cnn1d cnn2d cnn3d
  int in_bands = 0;
  int patch = 9;
  int width = 32;
  int embedding = 64;
  int metric_dim = 32;
  int classes = 0;
  double dropout = 0.2;

  std::string form() const { return name.substr(name.size() - 2); }  // "1d" | "2d" | "3d"
  bool multiscale() const { return name.rfind("ms", 0) == 0; }
  int patch_used() const { return form() == "1d" ? 1 : patch; }
};

class MultiScale2dImpl : public torch::nn::Module {
 public:
  MultiScale2dImpl(int in, int width, std::vector<int> kernels);
  torch::Tensor forward(const torch::Tensor& x);
  int shrink() const { return kmax_ - 1; }

 private:
  std::vector<int> kernels_;
  int kmax_;
  std::vector<torch::nn::Conv2d> branches_;
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(MultiScale2d);

class HsiNetImpl : public torch::nn::Module {
 public:
  explicit HsiNetImpl(const NetOptions& options);

  // x: [N, bands] (1d), [N, bands, p, p] (2d), [N, 1, bands, p, p] (3d)  ->  [N, D]
  torch::Tensor embed(const torch::Tensor& x);
  // Window models only. x: a tile with a halo of the patch radius, [1, bands, H+2r, W+2r]
  // (3d: [1, 1, bands, H+2r, W+2r])  ->  [H*W, D], row-major over the H x W interior.
  torch::Tensor embed_dense(const torch::Tensor& x);
  torch::Tensor project(const torch::Tensor& embedding);  // z = B e
  torch::Tensor classify(const torch::Tensor& z);          // logits
  torch::Tensor forward(const torch::Tensor& x) { return classify(project(embed(x))); }

  torch::Tensor metric_factor() { return metric_->weight; }  // B, [K, D]
  const NetOptions& options() const { return options_; }
  bool supports_dense() const { return options_.form() != "1d"; }
  int64_t parameter_count() const;
  int64_t macs_per_sample() const { return macs_; }
  // Multiply-accumulates per output pixel on the dense route (shared window work counted once).
  int64_t macs_per_pixel_dense() const { return dense_macs_; }
  std::string describe() const;

 private:
  torch::Tensor trunk2d(const torch::Tensor& x);  // window forms: features map before the window mean
  void build_1d();
  void build_2d();
  void build_3d();

  NetOptions options_;
  int64_t macs_ = 0, dense_macs_ = 0;
  int remaining_window_ = 1;
  std::vector<std::string> layer_notes_;

  // 1-D
  std::vector<std::vector<torch::nn::Conv1d>> banks1d_;
  std::vector<torch::nn::BatchNorm1d> bn1d_;
  torch::nn::Linear fc1d_{nullptr};
  torch::nn::BatchNorm1d fc1d_bn_{nullptr};
  // 2-D / 3-D
  torch::nn::Conv3d stem3d_{nullptr};
  torch::nn::BatchNorm3d stem3d_bn_{nullptr};
  std::vector<torch::nn::Conv3d> bank3d_;
  torch::nn::BatchNorm3d bank3d_bn_{nullptr};
  int kmax3d_ = 1;
  std::vector<int> kernels3d_;
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<MultiScale2d> blocks_;
  torch::nn::Conv2d head_{nullptr};
  torch::nn::BatchNorm2d head_bn_{nullptr};
  // shared head
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear metric_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(HsiNet);

}  // namespace hsi
