#pragma once
// Multiscale-convolution CNNs (MS-CNN) for hyperspectral pixels, and their single-scale
// baselines, in three input forms, each its own module behind one shared head:
//     x --f--> embedding e (D) --B--> z = B e (K, the metric factors) --W--> logits (classes)
// with B a bias-free linear map whose rows b_1..b_K are the metric factors of
// d_B(x, y) = ||B (f(x) - f(y))||^2 used by the metric fine-tuning stage.
//
// f is SpectralNet (1-D, models/spectral_net.hpp), WindowNet (2-D, models/window_net.hpp),
// VolumeNet (3-D, models/volume_net.hpp) or SpectralSpatialNet (a 1-D and a 2-D branch fused,
// models/spectral_spatial_net.hpp). Every form takes the same input, windows of spectra
// [N, bands, p, p] (p = 1 for the spectral form; any memory format), and owns how it reads them,
// so batch makers and prediction need not know the form.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/net_options.hpp"

namespace hsi {

class HsiNetImpl : public torch::nn::Module {
 public:
  // windows: [N, bands, p, p]  ->  [N, D]
  virtual torch::Tensor embed(const torch::Tensor& windows) = 0;
  // A tile with a halo of the patch radius, [1, bands, H+2r, W+2r]  ->  [H*W, D], row-major over
  // the H x W interior. Window forms evaluate it as one fully convolutional pass, equal to
  // embedding every window; the spectral form embeds the tile's spectra.
  virtual torch::Tensor embed_dense(const torch::Tensor& tile) = 0;

  torch::Tensor project(const torch::Tensor& embedding);  // z = B e
  torch::Tensor classify(const torch::Tensor& z);          // logits
  torch::Tensor forward(const torch::Tensor& windows) { return classify(project(embed(windows))); }

  torch::Tensor metric_factor() { return metric_->weight; }  // B, [K, D]
  const NetOptions& options() const { return options_; }
  int64_t parameter_count() const;
  int64_t macs_per_sample() const { return macs_; }
  // Multiply-accumulates per output pixel on the dense route (shared window work counted once).
  int64_t macs_per_pixel_dense() const { return dense_macs_; }
  std::string describe() const;

 protected:
  // with_head = false builds a branch of a larger network: the form's layers only (no dropout,
  // B or classifier; project() and classify() are not available).
  explicit HsiNetImpl(const NetOptions& options, bool with_head = true);
  // Registers the shared head after the form's layers (registration order fixes the order in
  // which a seed initialises the weights, and checkpoints' parameter names).
  void build_head();

  NetOptions options_;
  int64_t macs_ = 0, dense_macs_ = 0;
  std::vector<std::string> layer_notes_;

 private:
  bool with_head_ = true;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear metric_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(HsiNet);

// The module of the options' form, initialised from torch's current generator.
HsiNet make_hsi_net(const NetOptions& options);

}  // namespace hsi
