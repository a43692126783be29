#include "models/spectral_net.hpp"

#include "models/layers.hpp"

namespace hsi {
namespace nn = torch::nn;

SpectralNetImpl::SpectralNetImpl(const NetOptions& options, bool with_head) : HsiNetImpl(options, with_head) {
  const int w = options_.width;
  const bool multi = options_.multiscale();
  const std::vector<int> kernels = multi ? std::vector<int>{3, 7, 11} : std::vector<int>{7};
  const int branch_width = multi ? w : 3 * w;
  int in = 1;
  int64_t length = options_.in_bands;
  for (int block = 0; block < 3; ++block) {
    std::vector<nn::Conv1d> bank;
    for (int k : kernels) {
      bank.push_back(register_module("b" + std::to_string(block) + "k" + std::to_string(k),
                                     nn::Conv1d(nn::Conv1dOptions(in, branch_width, k).padding(k / 2).bias(false))));
      macs_ += static_cast<int64_t>(in) * branch_width * k * length;
    }
    banks_.push_back(bank);
    in = branch_width * static_cast<int>(kernels.size());
    bn_.push_back(register_module("bn" + std::to_string(block), nn::BatchNorm1d(in)));
    layer_notes_.push_back("block " + std::to_string(block + 1) + ": Conv1d kernels {" + join_kernels(kernels) + "} -> " +
                           std::to_string(in) + " x " + std::to_string(length) + (length >= 2 ? ", max-pool 2" : ""));
    if (length >= 2) length /= 2;
  }
  const int pooled = static_cast<int>(std::min<int64_t>(8, length));
  fc_ = register_module("fc", nn::Linear(in * pooled, options_.embedding));
  fc_bn_ = register_module("fc_bn", nn::BatchNorm1d(options_.embedding));
  macs_ += static_cast<int64_t>(in) * pooled * options_.embedding;
  layer_notes_.push_back("adaptive average pool to " + std::to_string(pooled) + ", Linear " + std::to_string(in * pooled) +
                         " -> D=" + std::to_string(options_.embedding) + ", BN, ReLU");
  dense_macs_ = macs_;
  build_head();
}

torch::Tensor SpectralNetImpl::embed(const torch::Tensor& windows) {
  torch::Tensor y = windows.reshape({windows.size(0), 1, options_.in_bands});
  for (size_t b = 0; b < banks_.size(); ++b) {
    std::vector<torch::Tensor> outs;
    for (auto& conv : banks_[b]) outs.push_back(conv->forward(y));
    y = relu_in_place(bn_[b]->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
    if (y.size(2) >= 2) y = torch::max_pool1d(y, 2);
  }
  y = torch::adaptive_avg_pool1d(y, std::min<int64_t>(8, y.size(2))).flatten(1);
  return relu_in_place(fc_bn_->forward(fc_->forward(y)));
}

torch::Tensor SpectralNetImpl::embed_dense(const torch::Tensor& tile) {
  return embed(tile.reshape({tile.size(1), tile.size(2) * tile.size(3)}).t().contiguous());
}

}  // namespace hsi
