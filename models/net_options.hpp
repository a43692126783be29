#pragma once
// What defines a network: its family (name), input form and sizes. Torch-free, so settings,
// checkpoints' metadata and the CLI can use it without LibTorch's headers.
#include <string>
#include <vector>

namespace hsi {

// The input form of a model family: one spectrum, a window of spectra, a spectral volume, or
// the centre spectrum and the window side by side; Kernel is the RBF-SVM baseline and Unmixing
// the linear unmixing classifier (one spectrum each, not networks).
enum class NetForm { Spectral, Spatial, Volumetric, SpectralSpatial, Kernel, Unmixing };  // 1-D, 2-D, 3-D, 1-D + 2-D, SVM, unmix

struct NetOptions {
  std::string name = "ms2d";  // ms1d ms2d ms3d ms1d2d cnn1d cnn2d cnn3d, or svm, unmix
  int in_bands = 0;
  int patch = 9;
  int width = 32;
  int embedding = 64;
  int metric_dim = 32;
  int classes = 0;
  double dropout = 0.2;

  NetForm form() const;     // parsed from the name (usage error for an unknown one)
  bool multiscale() const;  // "ms*" (several kernel sizes per block) rather than "cnn*"
  bool window_model() const { return network() && form() != NetForm::Spectral; }
  bool network() const { return form() != NetForm::Kernel && form() != NetForm::Unmixing; }
  int patch_used() const { return window_model() ? patch : 1; }
};

// The model families hsi trains (the networks and "svm"), e.g. for option help and validation.
const std::vector<std::string>& model_names();
// The models fitted rather than trained as networks (svm, unmix): no learned metric, so no
// fine-tuning, enrolment into prototypes or open-set rule. Any other name (auto included) may
// have them.
bool learns_no_metric(const std::string& model_name);

}  // namespace hsi
