#pragma once
// The spectral-spatial form ("ms1d2d"): one network that can lean on the spectrum or on the
// neighbourhood, whichever separates a scene's classes.
//   spectral branch: ms1d's layers on the centre pixel's spectrum (width max(8, w/2)) -> D/2
//   spatial branch:  ms2d's layers on the p x p window                               -> D - D/2
//   concat -> D, then the shared head (the metric factor B fuses the two).
// Both branches are exact on dense tiles (the spectral one runs on the tile's interior spectra,
// the spatial one fully convolutionally), so embed_dense() equals embedding every window.
#include "models/spectral_net.hpp"
#include "models/window_net.hpp"

namespace hsi {

class SpectralSpatialNetImpl : public HsiNetImpl {
 public:
  explicit SpectralSpatialNetImpl(const NetOptions& options);
  torch::Tensor embed(const torch::Tensor& windows) override;
  torch::Tensor embed_dense(const torch::Tensor& tile) override;

 private:
  std::shared_ptr<SpectralNetImpl> spectral_;
  std::shared_ptr<WindowNetImpl> spatial_;
};

}  // namespace hsi
