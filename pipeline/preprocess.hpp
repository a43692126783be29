#pragma once
// The spectral transform applied before any model sees a pixel: band selection, per-band
// standardisation and optional PCA. Fitted on training pixels only, stored in the checkpoint,
// and applied identically at prediction time.
#include <cstdint>
#include <string>
#include <vector>

#include "io/raster.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

struct PreprocessSpec {
  std::vector<int> drop_bands;  // 1-based, sorted
  bool standardize = true;
  int pca = 0;
  std::string note;  // what was changed from the settings, and why; empty when nothing
};

// The transform the settings ask for ([data] drop_bands, [preprocess]).
// `cube` resolves data.drop_wavelengths against its band wavelengths. A PCA of as many components
// as the bands kept, or more, is skipped (said in `note`): it could only rotate the bands, and the
// spectral convolutions of ms1d and ms1d2d read the bands in their order.
PreprocessSpec preprocess_spec(const RunSettings& settings, const Cube& cube);

// 1 for every pixel of a rows x cols image within `radius` (Chebyshev) of one of `pixels`: what
// their windows cover, clipped at the border.
std::vector<uint8_t> window_cover(const std::vector<int64_t>& pixels, int64_t rows, int64_t cols, int radius);

// The pixels a preprocessing is fitted on, by `fit_on` (PreprocessSettings): the training pixels,
// or every pixel within `radius` of one (the windows the network reads in training; pixels
// marked in `nodata` left out). "auto" takes the windows only when a PCA of `pca` components
// has no more training pixels than components (n centred pixels span n - 1 directions: a
// 30-component PCA from 6 pixels of a one-shot split would pass 5 meaningful bands to the
// network). `note`, when given, says which was used and why.
std::vector<int64_t> preprocessing_fit_pixels(const std::vector<int64_t>& train_pixels, int64_t rows, int64_t cols, int radius,
                                              const std::vector<uint8_t>& nodata, const std::string& fit_on, int pca, std::string* note);

// What a preprocessing is fitted on (preprocessing_fit_pixels), and what to say about it: a
// PCA of more components than those pixels span keeps them all. Its extra components pass on
// the other pixels' spectra along directions the training pixels do not vary in; lowering the
// PCA to the n - 1 components n pixels span was measured worse for the spectral models (ms1d,
// unmixing) that have no windows to fit on. With fit_on = auto that is a note; with training or
// windows a warning (a window model then has auto's windows to fit on).
struct PreprocessFit {
  std::vector<int64_t> pixels;
  std::string note;     // which pixels and why; empty when the training pixels as asked
  std::string warning;  // empty when nothing calls for the user's attention
};
PreprocessFit plan_preprocess_fit(const std::vector<int64_t>& train_pixels, int64_t rows, int64_t cols, int radius,
                                  const std::vector<uint8_t>& nodata, const std::string& fit_on, int pca);

class Preprocessor {
 public:
  Preprocessor() = default;

  // Fits on the pixels `train_pixels` (row-major indices) of `cube`. Statistics ignore every
  // other pixel, so test pixels cannot leak into the transform.
  static Preprocessor fit(const Cube& cube, const std::vector<int64_t>& train_pixels, const PreprocessSpec& spec);

  // Transforms the cube in place (its band count becomes output_bands()).
  void apply(Cube& cube) const;
  // The transformed copy of a cube that stays as it is: only the output is allocated (a copy
  // made for apply() would hold the input's bands a second time, twice a large scene at peak).
  Cube applied(const Cube& cube) const;
  // Transforms n spectra of input_bands() values (pixel after pixel) into n x output_bands()
  // values. PCA runs as one float matrix product over all n, so call it on whole tiles.
  void apply(const float* in, int64_t n, float* out) const;
  // The same transform with the output band-major: output_bands() rows of n values, the layout
  // of a network input tile (and a faster matrix product: n is the long side).
  // `in` may hold any sample type a raster comes in (uint8_t, int16_t, uint16_t, int32_t,
  // uint32_t, float, double): the conversion happens while standardising.
  template <typename T>
  void apply_band_major(const T* in, int64_t n, float* out) const;

  // How far n spectra (pixel after pixel; `skip`, may be null, marks pixels to leave out) lie
  // from the training pixels: the mean over pixels (an evenly spread sample of about 4,096 of
  // them) and kept bands of |standardised value|.
  // About 0.8 for spectra like the training ones; tens or more for another scale or data type.
  // -1 when the transform does not standardise (or no pixel is counted).
  template <typename T>
  double distance_from_training(const T* in, int64_t n, const uint8_t* skip) const;

  // The transform of the all-zero spectrum: where zero reflectance lands, the origin the linear
  // mixture model needs (models/unmixing.hpp).
  std::vector<float> zero_spectrum() const;

  int input_bands() const { return input_bands_; }
  // A data error naming `source` unless a cube of `bands` bands is one this transform reads. When
  // the count is that of the bands it keeps, the message says the cube probably had the dropped
  // bands removed already (a "corrected" file against a model trained on the full one).
  void check_input_bands(int bands, const std::string& source) const;
  int output_bands() const { return pca_components_ > 0 ? pca_components_ : static_cast<int>(kept_.size()); }

  // Serialised state, for checkpoints.
  const std::vector<int>& kept_bands() const { return kept_; }
  // Per input band, 1 = the model reads it: only those bands decide whether a pixel has data.
  std::vector<uint8_t> kept_band_flags() const;
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }
  const std::vector<double>& pca_basis() const { return basis_; }  // kept x k, row-major
  const std::vector<double>& explained_variance() const { return explained_; }
  static Preprocessor restore(int input_bands, std::vector<int> kept, std::vector<double> mean, std::vector<double> scale,
                              int pca_components, std::vector<double> basis);

 private:
  void check_bands(const Cube& cube) const;  // a data error naming the cube when its band count is not input_bands()
  std::vector<double> output_wavelengths(const std::vector<double>& input) const;  // none after PCA
  // Band selection and standardisation of n spectra into n x kept values, pixel after pixel.
  template <typename T>
  void standardize(const T* in, int64_t n, float* out) const;

  int input_bands_ = 0;
  std::vector<int> kept_;       // 0-based indices of the bands kept
  std::vector<double> mean_;    // per kept band
  std::vector<double> scale_;   // 1/std per kept band (1 when not standardising)
  int pca_components_ = 0;
  std::vector<double> basis_;   // kept x k
  std::vector<float> basis_f_;  // basis_ in float, the operand of the matrix product
  std::vector<double> explained_;
};

}  // namespace hsi
