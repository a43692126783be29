#pragma once
// Building blocks shared by the network forms.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace hsi {

// The kernels of `kernels` no larger than `size` (at least {1}): a block keeps only the
// branches that fit what remains of the window.
std::vector<int> kernels_that_fit(const std::vector<int>& kernels, int size);

// Drops `border` cells from both ends of every axis from first_axis on. A branch with kernel k
// sees its input cropped by (kmax - k) / 2 so all branches line up with the largest kernel's
// valid output, whatever the (possibly non-square) input size. For valid convolutions cropping
// the input equals cropping the output, without computing the cells that would be thrown away
// (14% of the first multiscale block's work at patch 13).
torch::Tensor centre_crop(const torch::Tensor& y, int64_t border, int first_axis);

// The centre crops of x by each of `borders` (as centre_crop), for the branches of a multiscale
// bank. Under autograd each crop is a compact copy in x's memory format, and the backward pass
// adds every crop's gradient into one gradient of x's shape and format. Autograd's own crop
// backward zero-fills a full-size, channels-first gradient per axis and per crop and sums them,
// and the convolutions copy their strided crops to compact ones in both passes: 15 % of an
// ms2d training step. A zero border gives x itself. Without autograd the crops are views.
std::vector<torch::Tensor> centre_crops(const torch::Tensor& x, const std::vector<int64_t>& borders, int first_axis);

// ReLU in place, for a BatchNorm output that nothing else reads (BatchNorm's backward does not
// need its output): one allocation and one pass of stores fewer per layer.
inline torch::Tensor relu_in_place(torch::Tensor x) { return x.relu_(); }

// conv2d(x, weight) without padding, stride or bias: what the multiscale banks compute. With
// `swapped_weight_gradient` the weight gradient is a forward convolution with batch and channels
// swapped (the same sums in another order), else oneDNN's own.
torch::Tensor valid_conv2d(const torch::Tensor& x, const torch::Tensor& weight, bool swapped_weight_gradient);

// Which weight gradient the 2-D banks use unless told: the swapped one where oneDNN runs its AVX2
// kernels (their backward-weights pass is the weak one: an ms2d step 3-6 % faster swapped,
// measured on an AMD EPYC without AVX-512), oneDNN's where it has AVX-512 (an ms2d step 3-5 %
// faster than swapped in three runs on an AMD EPYC of family 26 with AVX512-BF16). ms3d's banded
// bank keeps the swapped one (volume_net.cpp). `bench_forms` shows both on any machine.
bool swap_weight_gradient_by_default();

std::string join_kernels(const std::vector<int>& kernels);

// Parallel valid 2-D convolutions of several kernel sizes, centre-cropped to a common size,
// concatenated, BN, ReLU.
class MultiScale2dImpl : public torch::nn::Module {
 public:
  MultiScale2dImpl(int in, int width, std::vector<int> kernels);
  torch::Tensor forward(const torch::Tensor& x);
  int shrink() const { return kmax_ - 1; }
  // valid_conv2d's swapped weight gradient or oneDNN's own (default: swap_weight_gradient_by_default).
  void use_swapped_weight_gradient(bool on) { swapped_weight_gradient_ = on; }

 private:
  std::vector<int> kernels_;
  int kmax_;
  bool swapped_weight_gradient_ = swap_weight_gradient_by_default();
  std::vector<torch::nn::Conv2d> branches_;
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(MultiScale2d);

}  // namespace hsi
