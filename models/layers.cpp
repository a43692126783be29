#include "models/layers.hpp"

#include "common/cpu_features.hpp"

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

// A valid (unpadded, stride 1, no bias) 2-D convolution whose weight gradient is computed as a
// forward convolution with batch and channels swapped: dW[o, c] = sum over samples n of
// x[n, c] (*) g[n, o], i.e. conv2d(x^T [C, N, H, W], g^T [O, N, h, w]) -> [C, O, k, k]. oneDNN's
// forward kernels run it faster than its weight-gradient kernel for these small windows
// (ms2d's 5x5 bank on 13x13 windows, batch 32: 2.3 against 2.7 ms side by side; a training step
// 3-6 % faster in bench/bench_forms); the same products and sums, in another order. The input
// gradient stays oneDNN's own.
class ValidConv2d : public torch::autograd::Function<ValidConv2d> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight) {
    // oneDNN takes the weight in the input's layout and would convert it in both passes.
    const torch::Tensor w = weight.contiguous(x.suggest_memory_format());
    ctx->save_for_backward({x, w});
    return torch::conv2d(x, w);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &g = grads[0];
    torch::Tensor grad_x, grad_w;
    if (ctx->needs_input_grad(0)) {
      grad_x = std::get<0>(at::convolution_backward(g, x, weight, c10::nullopt, {1, 1}, {0, 0}, {1, 1}, false, {0, 0}, 1, {true, false, false}));
    }
    if (ctx->needs_input_grad(1)) {
      const auto format = torch::MemoryFormat::ChannelsLast;
      grad_w = torch::conv2d(x.transpose(0, 1).contiguous(format), g.transpose(0, 1).contiguous(format)).transpose(0, 1);
    }
    return {grad_x, grad_w};
  }
};

}  // namespace

bool swap_weight_gradient_by_default() { return !cpu_has_avx512(); }

torch::Tensor valid_conv2d(const torch::Tensor& x, const torch::Tensor& weight, bool swapped_weight_gradient) {
  // 1x1 kernels gain nothing (their weight gradient is one matrix product either way).
  if (!swapped_weight_gradient || (weight.size(2) == 1 && weight.size(3) == 1)) return torch::conv2d(x, weight);
  return ValidConv2d::apply(x, weight);
}

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
  for (size_t i = 0; i < branches_.size(); ++i) outs.push_back(valid_conv2d(inputs[i], branches_[i]->weight, swapped_weight_gradient_));
  return relu_in_place(bn_->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
}

}  // namespace hsi
