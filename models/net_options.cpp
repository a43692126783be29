#include "models/net_options.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace hsi {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"ms1d", "ms2d", "ms3d", "ms1d2d", "cnn1d", "cnn2d", "cnn3d", "svm", "unmix"};
  return names;
}

bool learns_no_metric(const std::string& model_name) { return model_name == "svm" || model_name == "unmix"; }

// The one place a model name is read: family prefix and form suffix.
NetForm NetOptions::form() const {
  const auto& names = model_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) usage_error("unknown model '" + name + "'");
  if (name == "svm") return NetForm::Kernel;
  if (name == "unmix") return NetForm::Unmixing;
  if (name == "ms1d2d") return NetForm::SpectralSpatial;
  const char dimension = name[name.size() - 2];
  return dimension == '1' ? NetForm::Spectral : dimension == '2' ? NetForm::Spatial : NetForm::Volumetric;
}

bool NetOptions::multiscale() const {
  form();  // validates the name
  return name.rfind("ms", 0) == 0;
}

}  // namespace hsi
