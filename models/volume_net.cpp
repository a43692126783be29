#include "models/volume_net.hpp"

#include <algorithm>

namespace hsi {
namespace nn = torch::nn;
namespace {

// The 3-D layers run as 2-D convolutions over the whole spectrum. A Conv3d with kernel
// (kd, k, k), spectral stride s and padding pd maps C channels x Din bands to O channels x Do
// bands; written as a 2-D convolution its input channels are (channel, band) pairs, C * Din of
// them, and its output channels (channel, output band) pairs, O * Do, each output band reading
// its kd bands through a banded weight (zeros elsewhere). With channel-major ordering on both
// sides the activations are exactly the 3-D layout's memory [N, C, D, H, W] seen as
// [N, C * D, H, W]: BatchNorm3d runs on a view, and folding the spectrum into channels costs
// nothing. The zeros of the banded weight are wasted multiplications (about half in the bank),
// but one large convolution on oneDNN's 2-D kernels with no unfolding copies is faster than the
// Conv3d modules or the "spectral planes" layout below while the spectrum is short (a Salinas-A
// training on 30 PCA bands: 40 -> 25 s, ms2d 11 s). The banded weights grow with the square of
// the band count, so long spectra (no PCA) keep the planes layout, whose work grows linearly.
// Same products and sums as the 3-D modules, plus exact zeros; only their order differs.

// Conv3d weights [O, C, kd, k, k] as banded 2-D weights [O * Do, C * Din, k, k]: output channel
// o * Do + j reads input band b of channel c through tap d = b - (stride * j - pad); taps outside
// the spectrum (the 3-D zero padding) read nothing. Built differentiably from the 3-D weights,
// which stay the parameters (checkpoints are unchanged).
torch::Tensor banded_weight(const torch::Tensor& w, int64_t in_bands, int64_t stride, int64_t pad) {
  const int64_t O = w.size(0), C = w.size(1), kd = w.size(2), k = w.size(3);
  const int64_t out_bands = (in_bands + 2 * pad - kd) / stride + 1;
  torch::Tensor taps = torch::zeros({kd, out_bands, in_bands});
  auto t = taps.accessor<float, 3>();
  for (int64_t j = 0; j < out_bands; ++j)
    for (int64_t d = 0; d < kd; ++d) {
      const int64_t b = stride * j - pad + d;
      if (b >= 0 && b < in_bands) t[d][j][b] = 1;
    }
  return torch::einsum("octyx,tjb->ojcbyx", {w, taps.to(w.options())}).reshape({O * out_bands, C * in_bands, k, k});
}

// BatchNorm3d on [N, C * D, H, W] held channel-major: the module on the [N, C, D, H, W] view.
torch::Tensor banded_batch_norm(nn::BatchNorm3d& bn, const torch::Tensor& x) {
  const int64_t N = x.size(0), C = bn->options.num_features(), H = x.size(2), W = x.size(3);
  return bn->forward(x.reshape({N, C, x.size(1) / C, H, W})).reshape(x.sizes());
}

// The "spectral planes" layout: a volume [N, C, D, H, W] held as [N * D, C, H, W], one 2-D
// image per (sample, band); a Conv3d is one 2-D convolution over the unfolded spectrum (each
// output band's kd taps of every channel become C * kd input channels).
// [N, D, C, H, W] -> [N * Do, C * kd, H, W] (channels-last), Do output bands.
torch::Tensor unfold_spectrum(const torch::Tensor& x, int64_t kd, int64_t stride, int64_t pad) {
  const torch::Tensor cols = torch::constant_pad_nd(x, {0, 0, 0, 0, 0, 0, pad, pad}).unfold(1, kd, stride);  // [N, Do, C, H, W, kd]
  const int64_t N = cols.size(0), Do = cols.size(1), C = cols.size(2), H = cols.size(3), W = cols.size(4);
  return cols.permute({0, 1, 2, 5, 3, 4}).reshape({N * Do, C * kd, H, W}).contiguous(torch::MemoryFormat::ChannelsLast);
}

// Conv3d weights [O, C, kd, k, k] as 2-D weights [O, C * kd, k, k].
torch::Tensor planar_weight(const nn::Conv3d& conv) {
  const torch::Tensor& w = conv->weight;
  return w.reshape({w.size(0), w.size(1) * w.size(2), w.size(3), w.size(4)});
}

// BatchNorm3d on [N * D, C, H, W]: the same per-channel statistics as on [N, C, D, H, W].
torch::Tensor planar_batch_norm(nn::BatchNorm3d& bn, const torch::Tensor& x) { return bn->forward(x.unsqueeze(2)).squeeze(2); }

}  // namespace

VolumeNetImpl::VolumeNetImpl(const NetOptions& options) : WindowNetImpl(options, DeferLayers{}) {
  // The banded bank's weight gradient is faster swapped on both CPUs measured (AVX2: 4 %,
  // AVX-512: 2-4 %, bench_forms); the 2-D blocks after it follow swap_weight_gradient_by_default.
  swapped_weight_gradient_ = true;
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
  banded_ = options_.in_bands <= kBandedMaxBands;
  build_back("fold", static_cast<int>(channels3d * b2), size, {{"block2", multi ? std::vector<int>{1, 3} : std::vector<int>{3}, 2 * w}});
}

torch::Tensor VolumeNetImpl::front(const torch::Tensor& windows) {
  if (conv3d_reference_) {
    torch::Tensor x = relu_in_place(stem3d_bn_->forward(stem3d_->forward(windows.unsqueeze(1).contiguous())));
    std::vector<torch::Tensor> outs;
    for (size_t i = 0; i < bank3d_.size(); ++i) outs.push_back(bank3d_[i]->forward(centre_crop(x, (kmax3d_ - kernels3d_[i]) / 2, 3)));
    x = relu_in_place(bank3d_bn_->forward(outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
    return x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3), x.size(4)});
  }
  if (!banded_) return front_planes(windows);
  // Stem: [N, bands, H, W] -> [N, 8 * b1, H, W].
  torch::Tensor x = torch::conv2d(windows.contiguous(), banded_weight(stem3d_->weight, windows.size(1), 2, 3));
  x = torch::relu(banded_batch_norm(stem3d_bn_, x));
  const int64_t b1 = x.size(1) / stem3d_bn_->options.num_features();
  // Bank: a k x k branch reads the centre of the window the largest kernel reads (the input is
  // cropped, not the output: fewer positions to compute).
  std::vector<int64_t> borders;
  for (int k : kernels3d_) borders.push_back((kmax3d_ - k) / 2);
  const std::vector<torch::Tensor> inputs = centre_crops(x, borders, 2);
  std::vector<torch::Tensor> outs;
  for (size_t i = 0; i < bank3d_.size(); ++i) {
    outs.push_back(valid_conv2d(inputs[i], banded_weight(bank3d_[i]->weight, b1, 2, 3), swapped_weight_gradient_));
  }
  // Branches in the order the modules are listed, each channel-major over its output bands: the
  // 3-D layout's fold of the spectrum into channels.
  return torch::relu(banded_batch_norm(bank3d_bn_, outs.size() == 1 ? outs[0] : torch::cat(outs, 1)));
}

torch::Tensor VolumeNetImpl::front_planes(const torch::Tensor& windows) {
  const int64_t N = windows.size(0), H = windows.size(2), W = windows.size(3);
  // Stem: the window's spectra as [N, bands, 1, H, W] -> planes [N * b1, 7, H, W] -> [N * b1, 8, H, W].
  torch::Tensor x = torch::conv2d(unfold_spectrum(windows.unsqueeze(2), 7, 2, 3), planar_weight(stem3d_));
  x = torch::relu(planar_batch_norm(stem3d_bn_, x));
  const int64_t b1 = x.size(0) / N;
  // Bank: the spectrum unfolded once. A k x k kernel zero-padded to kmax x kmax reads, at each
  // output position, exactly the k x k centre of the kmax window, which is what the branch on
  // the centred crop computes: the spatial kernels run as one convolution, without cropping
  // the planes (the backward pass of a crop is a zero-filled copy of the whole planes tensor,
  // which cost more than the bank). The 1 x 1 kernel, where padding would multiply its work by
  // kmax^2, runs on all positions and its output is cropped instead.
  const torch::Tensor planes = unfold_spectrum(x.reshape({N, b1, x.size(1), H, W}), 7, 2, 3);  // [N * b2, 56, H, W]
  std::vector<torch::Tensor> outs, spatial;
  for (size_t i = 0; i < bank3d_.size(); ++i) {
    const int64_t k = kernels3d_[i], pad = (kmax3d_ - k) / 2;
    if (k == 1 && kmax3d_ > 1) {
      outs.push_back(centre_crop(torch::conv2d(planes, planar_weight(bank3d_[i])), pad, 2));
    } else {
      spatial.push_back(torch::constant_pad_nd(planar_weight(bank3d_[i]), {pad, pad, pad, pad}));
    }
  }
  outs.push_back(torch::conv2d(planes, spatial.size() == 1 ? spatial[0] : torch::cat(spatial, 0)));
  x = outs.size() == 1 ? outs[0] : torch::cat(outs, 1);  // channels in branch order, as the modules are listed
  x = torch::relu(planar_batch_norm(bank3d_bn_, x));  // [N * b2, c, h, w]
  const int64_t b2 = x.size(0) / N;
  // Fold the spectrum into channels, channel-major as the 3-D layout's reshape does.
  return x.reshape({N, b2, x.size(1), x.size(2), x.size(3)}).permute({0, 2, 1, 3, 4}).reshape({N, x.size(1) * b2, x.size(2), x.size(3)});
}

}  // namespace hsi
