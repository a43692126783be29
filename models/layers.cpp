#include "models/layers.hpp"

#include <algorithm>

namespace hsi {
namespace nn = torch::nn;

std::vector<int> kernels_that_fit(const std::vector<int>& kernels, int size) {
  std::vector<int> fit;
  for (int k : kernels) {
    if (k <= size) fit.push_back(k);
  }
  if (fit.empty()) fit.push_back(1);
  return fit;
}

torch::Tensor centre_crop(const torch::Tensor& y, int64_t border, int first_axis) {
  torch::Tensor out = y;
  if (border == 0) return out;
  for (int axis = first_axis; axis < y.dim(); ++axis) out = out.narrow(axis, border, y.size(axis) - 2 * border);
  return out;
}

std::string join_kernels(const std::vector<int>& v) {
  std::string s;
  for (int k : v) s += (s.empty() ? "" : ",") + std::to_string(k);
  return s;
}

MultiScale2dImpl::MultiScale2dImpl(int in, int width, std::vector<int> kernels)
    : kernels_(std::move(kernels)), kmax_(*std::max_element(kernels_.begin(), kernels_.end())) {
  for (size_t i = 0; i < kernels_.size(); ++i) {
    branches_.push_back(register_module("branch" + std::to_string(kernels_[i]),
                                        nn::Conv2d(nn::Conv2dOptions(in, width, kernels_[i]).bias(false))));
  }
  bn_ = register_module("bn", nn::BatchNorm2d(width * static_cast<int>(kernels_.size())));
}

torch::Tensor MultiScale2dImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outs;
  for (size_t i = 0; i < branches_.size(); ++i) outs.push_back(branches_[i]->forward(centre_crop(x, (kmax_ - kernels_[i]) / 2, 2)));
  return torch::relu(bn_->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
}

}  // namespace hsi
