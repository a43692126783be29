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

namespace {

// Outputs x itself for a zero border (autograd makes that a view), a compact copy otherwise.
class CentreCrops : public torch::autograd::Function<CentreCrops> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, std::vector<int64_t> borders,
                                                int64_t first_axis) {
    ctx->saved_data["sizes"] = x.sizes().vec();
    ctx->saved_data["borders"] = borders;
    ctx->saved_data["first_axis"] = first_axis;
    const auto format = x.suggest_memory_format();
    torch::autograd::variable_list crops;
    for (int64_t border : borders) crops.push_back(border == 0 ? x : centre_crop(x, border, static_cast<int>(first_axis)).contiguous(format));
    return crops;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const std::vector<int64_t> sizes = ctx->saved_data["sizes"].toIntVector();
    const std::vector<int64_t> borders = ctx->saved_data["borders"].toIntVector();
    const int first_axis = static_cast<int>(ctx->saved_data["first_axis"].toInt());
    // Start from the uncropped branch's gradient where there is one (a copy: the engine may
    // share the tensor it passes in), so no zero fill and no separate sum.
    size_t start = grads.size();
    for (size_t i = 0; i < grads.size() && start == grads.size(); ++i) {
      if (borders[i] == 0 && grads[i].defined()) start = i;
    }
    torch::Tensor grad = start < grads.size() ? grads[start].clone() : torch::Tensor();
    for (size_t i = 0; i < grads.size(); ++i) {
      if (i == start || !grads[i].defined()) continue;
      if (!grad.defined()) grad = torch::zeros(sizes, grads[i].options().memory_format(grads[i].suggest_memory_format()));
      centre_crop(grad, borders[i], first_axis).add_(grads[i]);
    }
    return {grad, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::vector<torch::Tensor> centre_crops(const torch::Tensor& x, const std::vector<int64_t>& borders, int first_axis) {
  if (x.requires_grad() && torch::GradMode::is_enabled() && std::any_of(borders.begin(), borders.end(), [](int64_t b) { return b > 0; })) {
    return CentreCrops::apply(x, borders, first_axis);
  }
  std::vector<torch::Tensor> crops;
  for (int64_t border : borders) crops.push_back(centre_crop(x, border, first_axis));
  return crops;
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
  std::vector<int64_t> borders;
  for (int k : kernels_) borders.push_back((kmax_ - k) / 2);
  const std::vector<torch::Tensor> inputs = centre_crops(x, borders, 2);
  std::vector<torch::Tensor> outs;
  for (size_t i = 0; i < branches_.size(); ++i) outs.push_back(branches_[i]->forward(inputs[i]));
  return torch::relu(bn_->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
}

}  // namespace hsi
