#include "models/hsi_net.hpp"

#include <sstream>

#include "common/error.hpp"

#include "models/spectral_net.hpp"
#include "models/spectral_spatial_net.hpp"
#include "models/volume_net.hpp"
#include "models/window_net.hpp"

namespace hsi {
namespace nn = torch::nn;

HsiNetImpl::HsiNetImpl(const NetOptions& options, bool with_head) : options_(options), with_head_(with_head) {
  TORCH_CHECK(options_.in_bands > 0 && options_.classes > 0, "HsiNet needs bands and classes");
}

void HsiNetImpl::build_head() {
  if (!with_head_) return;
  const int D = options_.embedding, K = options_.metric_dim, C = options_.classes;
  dropout_ = register_module("dropout", nn::Dropout(options_.dropout));
  metric_ = register_module("metric", nn::Linear(nn::LinearOptions(D, K).bias(false)));
  classifier_ = register_module("classifier", nn::Linear(K, C));
  macs_ += static_cast<int64_t>(D) * K + static_cast<int64_t>(K) * C;
  dense_macs_ += static_cast<int64_t>(D) * K + static_cast<int64_t>(K) * C;
  layer_notes_.push_back("metric B: " + std::to_string(D) + " -> " + std::to_string(K) + " (no bias); classifier: " +
                         std::to_string(K) + " -> " + std::to_string(C));
}

torch::Tensor HsiNetImpl::project(const torch::Tensor& embedding) { return metric_->forward(dropout_->forward(embedding)); }

torch::Tensor HsiNetImpl::classify(const torch::Tensor& z) { return classifier_->forward(z); }

int64_t HsiNetImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::string HsiNetImpl::describe() const {
  static const char* kForm[] = {"1d", "2d", "3d", "1d + 2d", "kernel"};
  std::ostringstream out;
  out << options_.name << " (" << (options_.multiscale() ? "multiscale" : "single-scale") << ", "
      << kForm[static_cast<int>(options_.form())] << "), input " << options_.in_bands << " bands";
  if (options_.window_model()) out << ", " << options_.patch << "x" << options_.patch << " window";
  out << "\n";
  for (const auto& note : layer_notes_) out << "  " << note << "\n";
  out << "  parameters: " << parameter_count() << "\n"
      << "  multiply-accumulates per sample: " << macs_ << " (" << macs_ / 1e6 << " M)\n";
  if (options_.window_model()) out << "  multiply-accumulates per pixel, dense route: " << dense_macs_ << " (" << dense_macs_ / 1e6 << " M)\n";
  return out.str();
}

HsiNet make_hsi_net(const NetOptions& options) {
  std::shared_ptr<HsiNetImpl> net;
  switch (options.form()) {
    case NetForm::Spectral: net = std::make_shared<SpectralNetImpl>(options); break;
    case NetForm::Spatial: net = std::make_shared<WindowNetImpl>(options); break;
    case NetForm::Volumetric: net = std::make_shared<VolumeNetImpl>(options); break;
    case NetForm::SpectralSpatial: net = std::make_shared<SpectralSpatialNetImpl>(options); break;
    case NetForm::Kernel: usage_error("'" + options.name + "' is not a network (models/svm.hpp trains it)");
    case NetForm::Unmixing: usage_error("'" + options.name + "' is not a network (models/unmixing.hpp fits it)");
  }
  return HsiNet(net);
}

}  // namespace hsi
