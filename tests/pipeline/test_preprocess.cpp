#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>

#include "common/error.hpp"
#include "pipeline/preprocess.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

std::vector<int64_t> every_other_pixel(const Cube& cube) {
  std::vector<int64_t> p;
  for (int64_t i = 0; i < cube.pixels(); i += 2) p.push_back(i);
  return p;
}

TEST(Preprocessor, StatisticsComeOnlyFromTrainingPixels) {
  test::SyntheticScene s = test::make_scene(12, 12, 10, 3, 1);
  const std::vector<int64_t> train = every_other_pixel(s.cube);
  PreprocessSpec spec;
  spec.pca = 4;
  const Preprocessor a = Preprocessor::fit(s.cube, train, spec);
  // Change a pixel that is not in the training set: the fit must not move.
  Cube changed = s.cube;
  for (int64_t b = 0; b < changed.bands; ++b) changed.data[1 * changed.bands + b] = 1e6f;
  const Preprocessor b = Preprocessor::fit(changed, train, spec);
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.scale(), b.scale());
  EXPECT_EQ(a.pca_basis(), b.pca_basis());
  // ...and changing a training pixel does.
  Cube changed_train = s.cube;
  changed_train.data[0] = 1e6f;
  EXPECT_NE(Preprocessor::fit(changed_train, train, spec).mean(), a.mean());
}

TEST(Preprocessor, StandardisedTrainingPixelsHaveZeroMeanUnitStd) {
  test::SyntheticScene s = test::make_scene(10, 10, 6, 2, 3);
  const std::vector<int64_t> train = every_other_pixel(s.cube);
  PreprocessSpec spec;
  spec.drop_bands = {2, 5};
  const Preprocessor p = Preprocessor::fit(s.cube, train, spec);
  EXPECT_EQ(p.output_bands(), 4);
  EXPECT_EQ(p.kept_bands(), (std::vector<int>{0, 2, 3, 5}));
  Cube cube = s.cube;
  p.apply(cube);
  ASSERT_EQ(cube.bands, 4);
  for (int64_t b = 0; b < 4; ++b) {
    double sum = 0, sq = 0;
    for (int64_t i : train) {
      sum += cube.data[i * 4 + b];
      sq += cube.data[i * 4 + b] * cube.data[i * 4 + b];
    }
    const double n = static_cast<double>(train.size()), mean = sum / n;
    EXPECT_NEAR(mean, 0.0, 1e-4);
    EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 1.0, 1e-3);
  }
  // The dropped bands are really gone: kept band 1 is original band index 2.
  const int64_t pixel = 7;
  EXPECT_NEAR(cube.data[pixel * 4 + 1], (s.cube.data[pixel * 6 + 2] - p.mean()[1]) * p.scale()[1], 1e-4);
}

TEST(Preprocessor, PcaComponentsAreOrthonormalAndOrdered) {
  test::SyntheticScene s = test::make_scene(16, 16, 12, 4, 5);
  PreprocessSpec spec;
  spec.pca = 5;
  const Preprocessor p = Preprocessor::fit(s.cube, every_other_pixel(s.cube), spec);
  const auto& basis = p.pca_basis();
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b) {
      double dot = 0;
      for (int k = 0; k < 12; ++k) dot += basis[k * 5 + a] * basis[k * 5 + b];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9);
    }
  for (int c = 1; c < 5; ++c) EXPECT_GE(p.explained_variance()[c - 1], p.explained_variance()[c]);
}

// The transform as written in the docs, one pixel at a time in double precision.
std::vector<double> reference_transform(const Preprocessor& p, const float* spectrum) {
  const size_t kept = p.kept_bands().size();
  std::vector<double> z(kept);
  for (size_t k = 0; k < kept; ++k) z[k] = (spectrum[p.kept_bands()[k]] - p.mean()[k]) * p.scale()[k];
  if (p.pca_basis().empty()) return z;
  const size_t components = static_cast<size_t>(p.output_bands());
  std::vector<double> out(components, 0.0);
  for (size_t c = 0; c < components; ++c)
    for (size_t k = 0; k < kept; ++k) out[c] += z[k] * p.pca_basis()[k * components + c];
  return out;
}

TEST(Preprocessor, BothLayoutsMatchAPixelByPixelReference) {
  // 4,757 pixels: more than one of the blocks both layouts transform at a time (4,096).
  test::SyntheticScene s = test::make_scene(71, 67, 40, 4, 7);
  for (int pca : {0, 6}) {
    PreprocessSpec spec;
    spec.drop_bands = {1, 17, 18, 40};
    spec.pca = pca;
    const Preprocessor p = Preprocessor::fit(s.cube, every_other_pixel(s.cube), spec);
    const int64_t n = s.cube.pixels(), out_b = p.output_bands();
    std::vector<float> pixel_major(static_cast<size_t>(n * out_b)), band_major(pixel_major.size());
    p.apply(s.cube.data.data(), n, pixel_major.data());
    p.apply_band_major(s.cube.data.data(), n, band_major.data());
    Cube in_place = s.cube;
    p.apply(in_place);
    ASSERT_EQ(in_place.bands, out_b);
    // The copy route: the same values, the input left as it was, wavelengths kept with the bands.
    Cube with_wavelengths = s.cube;
    for (int64_t b = 0; b < s.cube.bands; ++b) with_wavelengths.geo.wavelengths.push_back(400.0 + 10.0 * static_cast<double>(b));
    const std::vector<float> before = with_wavelengths.data;
    const Cube copy = p.applied(with_wavelengths);
    EXPECT_EQ(with_wavelengths.data, before);
    EXPECT_EQ(with_wavelengths.bands, s.cube.bands);
    ASSERT_EQ(copy.bands, out_b);
    EXPECT_EQ(copy.rows, s.cube.rows);
    EXPECT_EQ(copy.cols, s.cube.cols);
    EXPECT_EQ(copy.data, in_place.data);
    if (pca == 0) {
      ASSERT_EQ(copy.geo.wavelengths.size(), static_cast<size_t>(out_b));
      // drop_bands 1, 17, 18 (1-based): the kept bands are 2-16 and 19-39 (1-based).
      EXPECT_EQ(copy.geo.wavelengths.front(), 410.0);
      EXPECT_EQ(copy.geo.wavelengths[15], 580.0);
    } else {
      EXPECT_TRUE(copy.geo.wavelengths.empty());
    }
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<double> expected = reference_transform(p, s.cube.data.data() + i * s.cube.bands);
      for (int64_t b = 0; b < out_b; ++b) {
        ASSERT_NEAR(pixel_major[i * out_b + b], expected[b], 1e-4 * (1 + std::abs(expected[b]))) << "pca " << pca << " pixel " << i;
        ASSERT_NEAR(band_major[b * n + i], expected[b], 1e-4 * (1 + std::abs(expected[b]))) << "pca " << pca << " pixel " << i;
        ASSERT_EQ(in_place.data[i * out_b + b], pixel_major[i * out_b + b]);
      }
    }
  }
}

// Rasters arrive as integers too: converting while standardising gives exactly what converting
// to float first gives.
TEST(Preprocessor, IntegerSamplesGiveTheSameTransformAsFloats) {
  test::SyntheticScene s = test::make_scene(9, 11, 16, 3, 5);
  for (float& v : s.cube.data) v = std::round(v * 100.0f);
  PreprocessSpec spec;
  spec.pca = 4;
  const Preprocessor p = Preprocessor::fit(s.cube, every_other_pixel(s.cube), spec);
  const int64_t n = s.cube.pixels();
  std::vector<int16_t> as_int16(s.cube.data.begin(), s.cube.data.end());
  std::vector<double> as_double(s.cube.data.begin(), s.cube.data.end());
  std::vector<float> from_float(static_cast<size_t>(n * 4)), from_int16(from_float.size()), from_double(from_float.size());
  p.apply_band_major(s.cube.data.data(), n, from_float.data());
  p.apply_band_major(as_int16.data(), n, from_int16.data());
  p.apply_band_major(as_double.data(), n, from_double.data());
  EXPECT_EQ(from_int16, from_float);
  EXPECT_EQ(from_double, from_float);
}

// Few training pixels, many bands (the Gram-matrix route) and many pixels, few bands (the
// covariance route): both give the covariance's leading eigenvectors and eigenvalues.
TEST(Preprocessor, PcaEqualsTheCovarianceEigenvectorsOnBothRoutes) {
  test::SyntheticScene s = test::make_scene(20, 20, 40, 4, 11);
  for (size_t train_count : {12, 200}) {
    std::vector<int64_t> train;
    for (size_t i = 0; i < train_count; ++i) train.push_back(static_cast<int64_t>(i * 2));
    PreprocessSpec spec;
    spec.pca = 6;
    const Preprocessor p = Preprocessor::fit(s.cube, train, spec);
    const int64_t n = static_cast<int64_t>(train.size()), bands = s.cube.bands;
    Eigen::MatrixXd z(n, bands);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t b = 0; b < bands; ++b) z(i, b) = (s.cube.data[train[i] * bands + b] - p.mean()[b]) * p.scale()[b];
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(z.transpose() * z / static_cast<double>(n - 1));
    for (int c = 0; c < 6; ++c) {
      Eigen::VectorXd v = eig.eigenvectors().col(bands - 1 - c);
      int largest = 0;
      v.cwiseAbs().maxCoeff(&largest);
      if (v(largest) < 0) v = -v;
      const double value = eig.eigenvalues()(bands - 1 - c);
      EXPECT_NEAR(p.explained_variance()[c], value, 1e-9 * value) << train_count << " pixels, component " << c;
      for (int64_t b = 0; b < bands; ++b) ASSERT_NEAR(p.pca_basis()[b * 6 + c], v(b), 1e-7) << train_count << " pixels, component " << c;
    }
  }
}

TEST(Preprocessor, BadRequestsAreRefused) {
  test::SyntheticScene s = test::make_scene(6, 6, 4, 2, 1);
  PreprocessSpec too_many;
  too_many.pca = 5;
  EXPECT_THROW(Preprocessor::fit(s.cube, {0, 1}, too_many), Error);
  PreprocessSpec drop_missing;
  drop_missing.drop_bands = {9};
  EXPECT_THROW(Preprocessor::fit(s.cube, {0, 1}, drop_missing), Error);
  EXPECT_THROW(Preprocessor::fit(s.cube, {}, PreprocessSpec{}), Error);
  Cube other = test::make_scene(6, 6, 5, 2, 1).cube;
  EXPECT_THROW(Preprocessor::fit(s.cube, {0, 1}, PreprocessSpec{}).apply(other), Error);
}

// The README's config template sets pca = 30 for any scene: on a cube that keeps no more bands
// than that, the PCA is skipped with a note instead of refusing the run.
TEST(Preprocessor, APcaOfAtLeastTheKeptBandsIsSkippedWithANote) {
  test::SyntheticScene scene = test::make_scene(6, 6, 8, 2, 1);
  scene.cube.source = "eight_bands.tif";
  RunSettings s;
  s.preprocess.pca = 6;
  EXPECT_EQ(preprocess_spec(s, scene.cube).pca, 6);
  EXPECT_TRUE(preprocess_spec(s, scene.cube).note.empty());
  s.data.drop_bands = "1-2";  // 6 bands kept: a 6-component PCA would only rotate them
  const PreprocessSpec skipped = preprocess_spec(s, scene.cube);
  EXPECT_EQ(skipped.pca, 0);
  EXPECT_NE(skipped.note.find("eight_bands.tif keeps 6 bands"), std::string::npos) << skipped.note;
  EXPECT_EQ(Preprocessor::fit(scene.cube, every_other_pixel(scene.cube), skipped).output_bands(), 6);
  s.data.drop_bands = "";
  s.preprocess.pca = 30;
  EXPECT_EQ(preprocess_spec(s, scene.cube).pca, 0);
  EXPECT_EQ(Preprocessor::fit(scene.cube, every_other_pixel(scene.cube), preprocess_spec(s, scene.cube)).output_bands(), 8);
}

// A cube of another band count is refused naming the file; one with exactly the kept bands is
// most likely the "corrected" file of a scene the model was trained on in full, and the error says so.
TEST(Preprocessor, ACubeWithTheDroppedBandsAlreadyRemovedIsNamedAsSuch) {
  const test::SyntheticScene scene = test::make_scene(6, 6, 8, 2, 1);
  PreprocessSpec spec;
  spec.drop_bands = {2, 3, 8};
  const Preprocessor p = Preprocessor::fit(scene.cube, every_other_pixel(scene.cube), spec);
  EXPECT_NO_THROW(p.check_input_bands(8, "full.tif"));
  // The error a cube of `bands` bands gets; empty when it is accepted.
  const auto refusal = [&](int bands, const std::string& source) -> std::string {
    try {
      p.check_input_bands(bands, source);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  const std::string corrected = refusal(5, "corrected.tif");
  ASSERT_FALSE(corrected.empty()) << "a 5-band cube was accepted";
  EXPECT_NE(corrected.find("corrected.tif"), std::string::npos) << corrected;
  EXPECT_NE(corrected.find("drops 3 of them (2-3,8)"), std::string::npos) << corrected;
  EXPECT_NE(corrected.find("already removed"), std::string::npos) << corrected;
  const std::string other = refusal(6, "other.tif");
  ASSERT_FALSE(other.empty()) << "a 6-band cube was accepted";
  EXPECT_NE(other.find("has 6 bands, the model was trained on 8"), std::string::npos) << other;
  EXPECT_EQ(other.find("already removed"), std::string::npos) << other;
}

// Which pixels the preprocessing is fitted on: the training pixels, or every pixel their windows
// cover (clipped at the image border, nodata left out); auto takes the windows only when the
// training pixels are too few for the PCA, and a spectral model (radius 0) never.
TEST(Preprocessor, FitPixelsAreTheTrainingPixelsOrTheirWindows) {
  const int64_t rows = 6, cols = 7;
  const std::vector<int64_t> train = {0, 3 * cols + 4};  // a corner pixel and an inner one
  std::vector<uint8_t> nodata(rows * cols, 0);
  nodata[2 * cols + 4] = 1;  // inside the inner pixel's window
  std::string note;
  EXPECT_EQ(preprocessing_fit_pixels(train, rows, cols, 1, nodata, "training", 30, &note), train);
  EXPECT_EQ(note, "");
  const std::vector<int64_t> windows = preprocessing_fit_pixels(train, rows, cols, 1, nodata, "windows", 0, &note);
  // Corner window: (0,0) (0,1) (1,0) (1,1); inner 3 x 3 around (3,4) less the nodata (2,4).
  const std::vector<int64_t> expected = {0, 1, cols, cols + 1, 2 * cols + 3, 2 * cols + 5, 3 * cols + 3, 3 * cols + 4, 3 * cols + 5,
                                         4 * cols + 3, 4 * cols + 4, 4 * cols + 5};
  EXPECT_EQ(windows, expected);
  EXPECT_NE(note.find("12 pixels the 2 training windows cover"), std::string::npos) << note;
  EXPECT_EQ(preprocessing_fit_pixels(train, rows, cols, 1, nodata, "auto", 2, &note), expected);  // 2 pixels <= 2 components
  EXPECT_NE(note.find("too few for 2 PCA components"), std::string::npos) << note;
  EXPECT_EQ(preprocessing_fit_pixels(train, rows, cols, 1, nodata, "auto", 1, &note), train);   // enough for 1
  EXPECT_EQ(preprocessing_fit_pixels(train, rows, cols, 1, nodata, "auto", 0, &note), train);   // no PCA
  EXPECT_EQ(preprocessing_fit_pixels(train, rows, cols, 0, nodata, "windows", 30, &note), train);  // spectral model
}

// A PCA of more components than its pixels span keeps them all: a note with fit_on = auto (a
// model without a window has nothing else to fit on), a warning otherwise, which for a window
// model points at auto.
TEST(Preprocessor, APcaItsPixelsCannotCarryIsANoteUnderAutoAndAWarningOtherwise) {
  const int64_t rows = 6, cols = 7;
  const std::vector<int64_t> train = {0, 9, 17, 30, 41};
  const std::vector<uint8_t> nodata(rows * cols, 0);
  const PreprocessFit spectral = plan_preprocess_fit(train, rows, cols, 0, nodata, "auto", 30);
  EXPECT_EQ(spectral.pixels, train);
  EXPECT_TRUE(spectral.warning.empty()) << spectral.warning;
  EXPECT_NE(spectral.note.find("30 components from 5 training pixels: 4 carry their variance"), std::string::npos) << spectral.note;

  const PreprocessFit strict = plan_preprocess_fit(train, rows, cols, 0, nodata, "training", 30);
  EXPECT_NE(strict.warning.find("30 components from 5 training pixels: 4 carry their variance"), std::string::npos) << strict.warning;
  EXPECT_EQ(strict.warning.find("fit_on = auto"), std::string::npos) << strict.warning;  // nothing auto could do
  const PreprocessFit strict_window = plan_preprocess_fit(train, rows, cols, 1, nodata, "training", 30);
  EXPECT_NE(strict_window.warning.find("fit_on = auto fits the PCA on the pixels the training windows cover"), std::string::npos);

  const PreprocessFit windowed = plan_preprocess_fit(train, rows, cols, 1, nodata, "auto", 20);  // 3 x 3 windows: 27 pixels
  EXPECT_EQ(windowed.pixels.size(), 27u);
  EXPECT_TRUE(windowed.warning.empty());
  EXPECT_NE(windowed.note.find("27 pixels the 5 training windows cover"), std::string::npos) << windowed.note;

  // Windows too few as well (a tiny image): both said, the windows' note kept.
  const PreprocessFit tiny = plan_preprocess_fit(train, rows, cols, 1, nodata, "auto", 30);
  EXPECT_NE(tiny.note.find("27 pixels the 5 training windows cover"), std::string::npos) << tiny.note;
  EXPECT_NE(tiny.note.find("30 components from 27 pixels of the training windows: 26 carry their variance"), std::string::npos) << tiny.note;
  EXPECT_EQ(tiny.note.find("without a window"), std::string::npos) << tiny.note;

  const PreprocessFit enough = plan_preprocess_fit(train, rows, cols, 0, nodata, "auto", 4);  // 5 pixels carry 4 components
  EXPECT_TRUE(enough.note.empty() && enough.warning.empty());
}

}  // namespace
}  // namespace hsi
