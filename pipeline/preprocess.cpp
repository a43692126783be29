#include "pipeline/preprocess.hpp"

#include <Eigen/Dense>
#include <cmath>

#include "common/error.hpp"

namespace hsi {

Preprocessor Preprocessor::fit(const Cube& cube, const std::vector<int64_t>& train_pixels, const PreprocessSpec& spec) {
  Preprocessor p;
  p.input_bands_ = static_cast<int>(cube.bands);
  size_t d = 0;
  for (int b = 0; b < cube.bands; ++b) {
    while (d < spec.drop_bands.size() && spec.drop_bands[d] < b + 1) ++d;
    if (d < spec.drop_bands.size() && spec.drop_bands[d] == b + 1) continue;
    p.kept_.push_back(b);
  }
  for (int band : spec.drop_bands) {
    if (band > cube.bands) usage_error("data.drop_bands: band " + std::to_string(band) + " does not exist; " + cube.source + " has " + std::to_string(cube.bands) + " bands");
  }
  const int kept = static_cast<int>(p.kept_.size());
  if (kept == 0) usage_error("data.drop_bands drops every band of " + cube.source);
  if (train_pixels.empty()) usage_error("preprocessing needs at least one training pixel");
  if (spec.pca > kept) {
    usage_error("preprocess.pca = " + std::to_string(spec.pca) + " is more than the " + std::to_string(kept) + " bands available");
  }

  const int64_t n = static_cast<int64_t>(train_pixels.size());
  Eigen::MatrixXd x(n, kept);
  for (int64_t i = 0; i < n; ++i) {
    const float* s = cube.data.data() + train_pixels[i] * cube.bands;
    for (int k = 0; k < kept; ++k) x(i, k) = s[p.kept_[k]];
  }
  const Eigen::RowVectorXd mean = x.colwise().mean();
  p.mean_.assign(mean.data(), mean.data() + kept);
  p.scale_.assign(kept, 1.0);
  if (spec.standardize) {
    for (int k = 0; k < kept; ++k) {
      const double var = (x.col(k).array() - mean(k)).square().mean();
      // A constant band carries no information; keep it at zero rather than dividing by 0.
      p.scale_[k] = var > 1e-12 ? 1.0 / std::sqrt(var) : 0.0;
    }
  }
  if (spec.pca > 0) {
    Eigen::MatrixXd z = x.rowwise() - mean;
    for (int k = 0; k < kept; ++k) z.col(k) *= p.scale_[k];
    const Eigen::MatrixXd cov = (z.transpose() * z) / std::max<double>(1.0, static_cast<double>(n - 1));
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    // Eigenvalues come in ascending order: the leading components are the last columns.
    p.pca_components_ = spec.pca;
    p.basis_.resize(static_cast<size_t>(kept) * spec.pca);
    for (int c = 0; c < spec.pca; ++c) {
      Eigen::VectorXd v = eig.eigenvectors().col(kept - 1 - c);
      // Fix the sign so the transform is deterministic across Eigen versions.
      int largest = 0;
      v.cwiseAbs().maxCoeff(&largest);
      if (v(largest) < 0) v = -v;
      for (int k = 0; k < kept; ++k) p.basis_[static_cast<size_t>(k) * spec.pca + c] = v(k);
      p.explained_.push_back(eig.eigenvalues()(kept - 1 - c));
    }
  }
  return p;
}

Preprocessor Preprocessor::restore(int input_bands, std::vector<int> kept, std::vector<double> mean, std::vector<double> scale,
                                   int pca_components, std::vector<double> basis) {
  Preprocessor p;
  p.input_bands_ = input_bands;
  p.kept_ = std::move(kept);
  p.mean_ = std::move(mean);
  p.scale_ = std::move(scale);
  p.pca_components_ = pca_components;
  p.basis_ = std::move(basis);
  if (p.mean_.size() != p.kept_.size() || p.scale_.size() != p.kept_.size() ||
      p.basis_.size() != p.kept_.size() * static_cast<size_t>(pca_components)) {
    throw Error(ErrorKind::Data, "preprocessing state is inconsistent");
  }
  return p;
}

void Preprocessor::apply(const float* in, float* out) const {
  const int kept = static_cast<int>(kept_.size());
  if (pca_components_ == 0) {
    for (int k = 0; k < kept; ++k) out[k] = static_cast<float>((in[kept_[k]] - mean_[k]) * scale_[k]);
    return;
  }
  double z[4096];
  std::vector<double> heap;
  double* zp = z;
  if (kept > 4096) {
    heap.resize(kept);
    zp = heap.data();
  }
  for (int k = 0; k < kept; ++k) zp[k] = (in[kept_[k]] - mean_[k]) * scale_[k];
  for (int c = 0; c < pca_components_; ++c) {
    double acc = 0;
    for (int k = 0; k < kept; ++k) acc += zp[k] * basis_[static_cast<size_t>(k) * pca_components_ + c];
    out[c] = static_cast<float>(acc);
  }
}

void Preprocessor::apply(Cube& cube) const {
  if (cube.bands != input_bands_) {
    throw Error(ErrorKind::Data, cube.source + ": has " + std::to_string(cube.bands) + " bands, the model expects " +
                                     std::to_string(input_bands_));
  }
  const int64_t in_b = cube.bands, out_b = output_bands();
  const int64_t pixels = cube.pixels();
  // Output never has more bands than input, so the transform runs in place pixel by pixel in
  // chunks: each chunk is transformed into a small buffer, then written to its compacted spot.
  const int64_t chunk = 4096;
  for (int64_t start = 0; start < pixels; start += chunk) {
    const int64_t count = std::min(chunk, pixels - start);
    std::vector<float> out(static_cast<size_t>(count * out_b));
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) apply(cube.data.data() + (start + i) * in_b, out.data() + i * out_b);
    std::copy(out.begin(), out.end(), cube.data.begin() + start * out_b);
  }
  cube.data.resize(static_cast<size_t>(pixels * out_b));
  cube.data.shrink_to_fit();
  cube.bands = out_b;
  if (!cube.geo.wavelengths.empty() && pca_components_ == 0) {
    std::vector<double> w;
    for (int b : kept_) w.push_back(cube.geo.wavelengths[b]);
    cube.geo.wavelengths = w;
  } else if (pca_components_ > 0) {
    cube.geo.wavelengths.clear();
  }
}

}  // namespace hsi
