#include "pipeline/preprocess.hpp"

#include <torch/torch.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "common/text.hpp"
#include "pipeline/bands.hpp"

namespace hsi {
namespace {

// The `count` leading eigenpairs (largest first) of the covariance Z'Z / (n - 1) of the centred
// training spectra z (n x kept). With fewer training pixels than bands (the usual few-shot case)
// they come from the n x n Gram matrix ZZ' / (n - 1) instead: the same non-zero eigenvalues,
// eigenvectors Z'u / |Z'u|, at (n / kept)^3 of the cost. Components the Gram matrix cannot give
// reliably (at or near its null space) send the fit to the covariance.
void leading_eigenpairs(const Eigen::MatrixXd& z, int count, Eigen::MatrixXd& vectors, Eigen::VectorXd& values) {
  const int64_t n = z.rows(), kept = z.cols();
  const double norm = 1.0 / std::max<double>(1.0, static_cast<double>(n - 1));
  if (n < kept && count < n - 1) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> gram((z * z.transpose()) * norm);
    const Eigen::VectorXd& ev = gram.eigenvalues();  // ascending
    if (ev(n - count) > 1e-10 * std::max(ev(n - 1), 1e-300)) {
      vectors.resize(kept, count);
      values.resize(count);
      for (int c = 0; c < count; ++c) {
        values(c) = ev(n - 1 - c);
        const Eigen::VectorXd v = z.transpose() * gram.eigenvectors().col(n - 1 - c);
        vectors.col(c) = v / v.norm();
      }
      return;
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig((z.transpose() * z) * norm);
  vectors.resize(kept, count);
  values.resize(count);
  for (int c = 0; c < count; ++c) {
    vectors.col(c) = eig.eigenvectors().col(kept - 1 - c);
    values(c) = eig.eigenvalues()(kept - 1 - c);
  }
}

}  // namespace

std::vector<uint8_t> window_cover(const std::vector<int64_t>& pixels, int64_t rows, int64_t cols, int radius) {
  std::vector<uint8_t> covered(static_cast<size_t>(rows * cols), 0);
  for (int64_t p : pixels) {
    const int64_t r = p / cols, c = p % cols;
    for (int64_t y = std::max<int64_t>(0, r - radius); y <= std::min<int64_t>(rows - 1, r + radius); ++y)
      for (int64_t x = std::max<int64_t>(0, c - radius); x <= std::min<int64_t>(cols - 1, c + radius); ++x) covered[y * cols + x] = 1;
  }
  return covered;
}

std::vector<int64_t> preprocessing_fit_pixels(const std::vector<int64_t>& train_pixels, int64_t rows, int64_t cols, int radius,
                                              const std::vector<uint8_t>& nodata, const std::string& fit_on, int pca, std::string* note) {
  const bool too_few = pca > 0 && static_cast<int64_t>(train_pixels.size()) <= pca;
  const bool windows = radius > 0 && (fit_on == "windows" || (fit_on == "auto" && too_few));
  if (!windows) {
    if (note) *note = "";
    return train_pixels;
  }
  const std::vector<uint8_t> covered = window_cover(train_pixels, rows, cols, radius);
  std::vector<int64_t> pixels;
  for (int64_t i = 0; i < rows * cols; ++i)
    if (covered[i] && (nodata.empty() || !nodata[i])) pixels.push_back(i);
  if (note) {
    *note = "preprocessing fitted on the " + std::to_string(pixels.size()) + " pixels the " + std::to_string(train_pixels.size()) +
            " training windows cover" +
            (fit_on == "auto" ? " (preprocess.fit_on = auto: " + std::to_string(train_pixels.size()) + " training pixels are too few for " +
                                    std::to_string(pca) + " PCA components)"
                              : std::string(" (preprocess.fit_on = windows)"));
  }
  return pixels;
}

PreprocessFit plan_preprocess_fit(const std::vector<int64_t>& train_pixels, int64_t rows, int64_t cols, int radius,
                                  const std::vector<uint8_t>& nodata, const std::string& fit_on, int pca) {
  PreprocessFit fit;
  fit.pixels = preprocessing_fit_pixels(train_pixels, rows, cols, radius, nodata, fit_on, pca, &fit.note);
  const int64_t n = static_cast<int64_t>(fit.pixels.size());
  if (pca <= 0 || n > pca) return fit;
  const std::string carried = std::to_string(std::max<int64_t>(0, n - 1));
  const std::string what = "preprocess.pca = " + std::to_string(pca) + " components from " + std::to_string(n) +
                           (fit.pixels == train_pixels ? " training pixels: " : " pixels of the training windows: ") +
                           carried + " carry their variance";
  if (fit_on == "auto") {
    fit.note = (fit.note.empty() ? "" : fit.note + "; ") + what +
               "; the others pass on the pixels' spectra along directions the training pixels do not vary in, and are kept" +
               (radius == 0 ? " (a model without a window has no other pixels to fit on)" : "");
  } else {
    fit.warning = what + (radius > 0 ? "; preprocess.fit_on = auto fits the PCA on the pixels the training windows cover" : "");
  }
  return fit;
}

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
    Eigen::MatrixXd vectors;
    Eigen::VectorXd values;
    leading_eigenpairs(z, spec.pca, vectors, values);
    p.pca_components_ = spec.pca;
    p.basis_.resize(static_cast<size_t>(kept) * spec.pca);
    for (int c = 0; c < spec.pca; ++c) {
      Eigen::VectorXd v = vectors.col(c);
      // Fix the sign so the transform is deterministic across Eigen versions.
      int largest = 0;
      v.cwiseAbs().maxCoeff(&largest);
      if (v(largest) < 0) v = -v;
      for (int k = 0; k < kept; ++k) p.basis_[static_cast<size_t>(k) * spec.pca + c] = v(k);
      p.explained_.push_back(values(c));
    }
    p.basis_f_.assign(p.basis_.begin(), p.basis_.end());
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
  p.basis_f_.assign(p.basis_.begin(), p.basis_.end());
  return p;
}

template <typename T>
void Preprocessor::standardize(const T* in, int64_t n, float* out) const {
  const int64_t in_b = input_bands_, kept = static_cast<int64_t>(kept_.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T* s = in + i * in_b;
    float* d = out + i * kept;
    for (int64_t k = 0; k < kept; ++k) d[k] = static_cast<float>((s[kept_[k]] - mean_[k]) * scale_[k]);
  }
}

std::vector<uint8_t> Preprocessor::kept_band_flags() const {
  std::vector<uint8_t> flags(static_cast<size_t>(input_bands_), 0);
  for (int band : kept_) flags[static_cast<size_t>(band)] = 1;
  return flags;
}

void Preprocessor::check_input_bands(int bands, const std::string& source) const {
  if (bands == input_bands_) return;
  std::string message = "has " + std::to_string(bands) + " bands, the model was trained on " + std::to_string(input_bands_);
  const int dropped = input_bands_ - static_cast<int>(kept_.size());
  if (dropped > 0 && bands == static_cast<int>(kept_.size())) {
    std::vector<int> dropped_1based;
    for (int b = 0, k = 0; b < input_bands_; ++b) {
      if (k < static_cast<int>(kept_.size()) && kept_[k] == b) ++k;
      else dropped_1based.push_back(b + 1);
    }
    message += " and drops " + std::to_string(dropped) + " of them (" + band_ranges_text(dropped_1based) + "); " + std::to_string(bands) +
               " is the count it keeps, so this looks like the cube with those bands already removed: give it the " +
               std::to_string(input_bands_) + "-band cube";
  }
  data_error(source, message);
}

PreprocessSpec preprocess_spec(const RunSettings& s, const Cube& cube) {
  PreprocessSpec spec;
  spec.drop_bands = dropped_bands(s.data, cube);
  spec.standardize = s.preprocess.standardize;
  spec.pca = s.preprocess.pca;
  const int kept = cube.bands - static_cast<int>(std::count_if(spec.drop_bands.begin(), spec.drop_bands.end(),
                                                                [&](int band) { return band <= cube.bands; }));
  if (spec.pca > 0 && kept > 0 && spec.pca >= kept) {
    spec.note = "preprocess.pca = " + std::to_string(spec.pca) + " components, but " + cube.source + " keeps " + std::to_string(kept) +
                " bands: PCA skipped, the models read the " + std::to_string(kept) + " bands" +
                (spec.standardize ? " standardised" : "") + " (set preprocess.pca below " + std::to_string(kept) + " to reduce them)";
    spec.pca = 0;
  }
  return spec;
}

template <typename T>
double Preprocessor::distance_from_training(const T* in, int64_t n, const uint8_t* skip) const {
  if (std::all_of(scale_.begin(), scale_.end(), [](double v) { return v == 1.0 || v == 0.0; })) return -1;
  const int64_t kept = static_cast<int64_t>(kept_.size());
  double sum = 0;
  int64_t counted = 0;
  // A spread sample of at most about 4,096 pixels tells a scale apart (0.8 against tens) as well
  // as the whole tile, at a tenth of its cost on a large one (4.8 ms of 33,000 pixels).
  const int64_t step = std::max<int64_t>(1, n / 4096);
  for (int64_t i = 0; i < n; i += step) {
    if (skip && skip[i]) continue;
    const T* s = in + i * input_bands_;
    for (int64_t k = 0; k < kept; ++k) sum += std::abs((static_cast<double>(s[kept_[k]]) - mean_[k]) * scale_[k]);
    counted += kept;
  }
  return counted ? sum / static_cast<double>(counted) : -1;
}

std::vector<float> Preprocessor::zero_spectrum() const {
  const std::vector<float> zero(static_cast<size_t>(input_bands_), 0.0f);
  std::vector<float> out(static_cast<size_t>(output_bands()));
  apply(zero.data(), 1, out.data());
  return out;
}

void Preprocessor::apply(const float* in, int64_t n, float* out) const {
  if (pca_components_ == 0) return standardize(in, n, out);
  // In blocks, so the standardised spectra stay a small reused buffer that the product reads
  // back from cache (fresh memory costs a page fault per 4 KB, more than the arithmetic here;
  // 512 pixels x 200 bands is 400 KB: measured 1.5 ms of 6 faster than 4096 on Salinas-A).
  // Eigen rather than OpenBLAS: this path transforms in-memory scenes of a few thousand
  // pixels, where OpenBLAS's first-call set-up costs more than the product (measured); whole
  // streamed tiles take apply_band_major.
  const int64_t kept = static_cast<int64_t>(kept_.size()), block = 512;
  std::vector<float> z(static_cast<size_t>(std::min(n, block) * kept));
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> basis(basis_f_.data(), kept, pca_components_);
  for (int64_t start = 0; start < n; start += block) {
    const int64_t m = std::min(block, n - start);
    standardize(in + start * input_bands_, m, z.data());
    Eigen::Map<RowMajor>(out + start * pca_components_, m, pca_components_).noalias() = Eigen::Map<const RowMajor>(z.data(), m, kept) * basis;
  }
}

template <typename T>
void Preprocessor::apply_band_major(const T* in, int64_t n, float* out) const {
  // In blocks of pixels, as apply() does: the standardised spectra stay a small reused buffer.
  // A whole tile's (33,000 pixels x 224 bands: 30 MB) was fresh memory on every tile, a page
  // fault per 4 KB: 18-80 ms of standardising where the arithmetic takes 2. Each block's product
  // writes its columns of the band-major output in place (BLAS takes the output's row stride).
  const int64_t kept = static_cast<int64_t>(kept_.size()), block = 4096;
  std::vector<float> z(static_cast<size_t>(std::min(n, block) * kept));
  const torch::Tensor result = torch::from_blob(out, {output_bands(), n});
  torch::Tensor basis_t;
  if (pca_components_ > 0) basis_t = torch::from_blob(const_cast<float*>(basis_f_.data()), {kept, pca_components_}).t();
  for (int64_t start = 0; start < n; start += block) {
    const int64_t m = std::min(block, n - start);
    standardize(in + start * input_bands_, m, z.data());
    const torch::Tensor zt = torch::from_blob(z.data(), {m, kept}).t();
    torch::Tensor columns = result.narrow(1, start, m);
    if (pca_components_ == 0) columns.copy_(zt);
    else torch::mm_out(columns, basis_t, zt);
  }
}

void Preprocessor::check_bands(const Cube& cube) const {
  if (cube.bands != input_bands_) {
    throw Error(ErrorKind::Data, cube.source + ": has " + std::to_string(cube.bands) + " bands, the model expects " +
                                     std::to_string(input_bands_));
  }
}

std::vector<double> Preprocessor::output_wavelengths(const std::vector<double>& input) const {
  std::vector<double> w;
  if (input.empty() || pca_components_ > 0) return w;  // principal components have no wavelength
  for (int b : kept_) w.push_back(input[b]);
  return w;
}

Cube Preprocessor::applied(const Cube& cube) const {
  check_bands(cube);
  Cube out;
  out.source = cube.source;
  out.source_type = cube.source_type;
  out.rows = cube.rows;
  out.cols = cube.cols;
  out.bands = output_bands();
  out.geo = cube.geo;
  out.geo.wavelengths = output_wavelengths(cube.geo.wavelengths);
  out.data.resize(static_cast<size_t>(cube.pixels() * out.bands));
  apply(cube.data.data(), cube.pixels(), out.data.data());
  return out;
}

void Preprocessor::apply(Cube& cube) const {
  check_bands(cube);
  const int64_t in_b = cube.bands, out_b = output_bands();
  const int64_t pixels = cube.pixels();
  // Output never has more bands than input, so the transform runs in place in chunks: each
  // chunk is transformed into a small buffer, then written to its compacted spot.
  const int64_t chunk = 16384;
  std::vector<float> out(static_cast<size_t>(std::min(chunk, pixels) * out_b));
  for (int64_t start = 0; start < pixels; start += chunk) {
    const int64_t count = std::min(chunk, pixels - start);
    apply(cube.data.data() + start * in_b, count, out.data());
    std::copy(out.begin(), out.begin() + count * out_b, cube.data.begin() + start * out_b);
  }
  cube.data.resize(static_cast<size_t>(pixels * out_b));
  cube.data.shrink_to_fit();
  cube.bands = out_b;
  cube.geo.wavelengths = output_wavelengths(cube.geo.wavelengths);
}

#define HSI_DISTANCE(T) template double Preprocessor::distance_from_training(const T*, int64_t, const uint8_t*) const;
HSI_DISTANCE(uint8_t) HSI_DISTANCE(int8_t) HSI_DISTANCE(int16_t) HSI_DISTANCE(uint16_t) HSI_DISTANCE(int32_t) HSI_DISTANCE(uint32_t)
HSI_DISTANCE(float) HSI_DISTANCE(double)
#undef HSI_DISTANCE
template void Preprocessor::apply_band_major(const uint8_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const int8_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const int16_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const uint16_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const int32_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const uint32_t*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const float*, int64_t, float*) const;
template void Preprocessor::apply_band_major(const double*, int64_t, float*) const;

}  // namespace hsi
