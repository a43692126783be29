#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hsi
