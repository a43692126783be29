#include "models/spectral_spatial_net.hpp"

#include <algorithm>

namespace hsi {
namespace {

NetOptions branch(const NetOptions& whole, const std::string& name, int width, int embedding) {
  NetOptions o = whole;
  o.name = name;
  o.width = width;
  o.embedding = embedding;
  return o;
}

}  // namespace

SpectralSpatialNetImpl::SpectralSpatialNetImpl(const NetOptions& options) : HsiNetImpl(options) {
  const int D = options_.embedding;
  // The spectral branch at half width: its 1-D convolutions run along the whole spectrum, and
  // at full width they would cost more than the 2-D branch they accompany.
  spectral_ = register_module("spectral",
                              std::make_shared<SpectralNetImpl>(branch(options_, "ms1d", std::max(8, options_.width / 2), D / 2), false));
  spatial_ = register_module("spatial", std::make_shared<WindowNetImpl>(branch(options_, "ms2d", options_.width, D - D / 2), false));
  macs_ = spectral_->macs_per_sample() + spatial_->macs_per_sample();
  dense_macs_ = spectral_->macs_per_pixel_dense() + spatial_->macs_per_pixel_dense();
  layer_notes_.push_back("spectral branch (centre pixel), " + spectral_->options().name + " layers, width " +
                         std::to_string(spectral_->options().width) + " -> " + std::to_string(D / 2));
  layer_notes_.push_back("spatial branch (window), " + spatial_->options().name + " layers -> " + std::to_string(D - D / 2));
  layer_notes_.push_back("concat -> D=" + std::to_string(D));
  build_head();
}

torch::Tensor SpectralSpatialNetImpl::embed(const torch::Tensor& windows) {
  const int64_t r = windows.size(2) / 2;
  const torch::Tensor centre = windows.narrow(2, r, 1).narrow(3, r, 1);
  return torch::cat({spectral_->embed(centre), spatial_->embed(windows)}, 1);
}

torch::Tensor SpectralSpatialNetImpl::embed_dense(const torch::Tensor& tile) {
  const int64_t r = options_.patch / 2;
  const torch::Tensor interior = tile.narrow(2, r, tile.size(2) - 2 * r).narrow(3, r, tile.size(3) - 2 * r);
  return torch::cat({spectral_->embed_dense(interior.contiguous()), spatial_->embed_dense(tile)}, 1);
}

}  // namespace hsi
