#include <gtest/gtest.h>

#include <set>

#include "common/error.hpp"
#include "pipeline/patches.hpp"
#include "pipeline/sampler.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

// The naive reference: one value at a time through reflect-padded coordinates.
float naive_window_value(const Cube& cube, int64_t pixel, int p, int64_t band, int64_t i, int64_t j) {
  const int64_t r = p / 2, row = pixel / cube.cols, col = pixel % cube.cols;
  auto mirror = [](int64_t x, int64_t n) {
    while (x < 0 || x >= n) x = x < 0 ? -x : 2 * (n - 1) - x;
    return x;
  };
  return cube.at(mirror(row - r + i, cube.rows), mirror(col - r + j, cube.cols), band);
}

TEST(Patches, WindowsEqualNaiveReflectPaddedExtraction) {
  test::SyntheticScene s = test::make_scene(11, 13, 5, 3, 2);
  for (int p : {1, 3, 9}) {
    const PatchExtractor extractor(s.cube, p);
    std::vector<int64_t> pixels = {0, 12, 13 * 5 + 6, 11 * 13 - 1, 11 * 13 - 13};
    std::vector<float> out(pixels.size() * 5 * p * p);
    extractor.windows(pixels.data(), static_cast<int64_t>(pixels.size()), out.data());
    for (size_t n = 0; n < pixels.size(); ++n)
      for (int64_t b = 0; b < 5; ++b)
        for (int64_t i = 0; i < p; ++i)
          for (int64_t j = 0; j < p; ++j)
            ASSERT_EQ(out[((n * 5 + b) * p + i) * p + j], naive_window_value(s.cube, pixels[n], p, b, i, j))
                << "p " << p << " pixel " << pixels[n] << " b " << b << " i " << i << " j " << j;
  }
}

// The channels-last windows hold the same values as the band-major ones, under every transform.
TEST(Patches, ChannelsLastWindowsAreTheBandMajorWindowsTransposed) {
  test::SyntheticScene s = test::make_scene(11, 13, 5, 3, 2);
  const int p = 7, B = 5;
  const PatchExtractor extractor(s.cube, p);
  // Border and interior pixels (columns 5 and 6 hold a whole 7-wide row) under every transform.
  const std::vector<int64_t> pixels = {0, 12, 13 * 5 + 6, 11 * 13 - 1, 11 * 13 - 13, 40, 41, 77, 13 * 6 + 5, 13 * 2 + 6};
  const std::vector<uint8_t> transforms = {1, 2, 0, 3, 4, 5, 6, 7, 1, 2};
  const int64_t n = static_cast<int64_t>(pixels.size());
  std::vector<float> band_major(static_cast<size_t>(n * B * p * p)), channels_last(band_major.size());
  extractor.windows(pixels.data(), n, band_major.data(), transforms.data());
  extractor.windows_channels_last(pixels.data(), n, channels_last.data(), transforms.data());
  for (int64_t k = 0; k < n; ++k)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < p; ++i)
        for (int64_t j = 0; j < p; ++j)
          ASSERT_EQ(channels_last[((k * p + i) * p + j) * B + b], band_major[((k * B + b) * p + i) * p + j])
              << "sample " << k << " band " << b << " cell " << i << "," << j;
}

TEST(Patches, SpectraAreTheCubesSpectra) {
  test::SyntheticScene s = test::make_scene(4, 4, 7, 2, 2);
  const PatchExtractor extractor(s.cube, 1);
  const std::vector<int64_t> pixels = {3, 9};
  std::vector<float> out(14);
  extractor.spectra(pixels.data(), 2, out.data());
  for (int b = 0; b < 7; ++b) {
    EXPECT_EQ(out[b], s.cube.data[3 * 7 + b]);
    EXPECT_EQ(out[7 + b], s.cube.data[9 * 7 + b]);
  }
}

TEST(Patches, EightTransformsAreTheDihedralGroup) {
  test::SyntheticScene s = test::make_scene(9, 9, 1, 1, 2);
  for (int64_t i = 0; i < 81; ++i) s.cube.data[i] = static_cast<float>(i);  // asymmetric window
  const PatchExtractor extractor(s.cube, 5);
  std::set<std::vector<float>> seen;
  const int64_t centre = 4 * 9 + 4;
  for (uint8_t t = 0; t < 8; ++t) {
    std::vector<float> w(25);
    extractor.windows(&centre, 1, w.data(), &t);
    EXPECT_EQ(w[12], s.cube.data[centre]) << "the centre pixel stays in the centre";
    std::multiset<float> values(w.begin(), w.end()), original;
    std::vector<float> id(25);
    extractor.windows(&centre, 1, id.data());
    original.insert(id.begin(), id.end());
    EXPECT_EQ(values, original) << "a transform only moves values";
    seen.insert(w);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(Patches, EvenOrZeroPatchIsRefused) {
  test::SyntheticScene s = test::make_scene(4, 4, 2, 2, 2);
  EXPECT_THROW(PatchExtractor(s.cube, 4), Error);
  EXPECT_THROW(PatchExtractor(s.cube, 0), Error);
}

TEST(BalancedSampler, EveryBatchHasMOfEachOfCClasses) {
  std::vector<int64_t> targets;
  for (int c = 0; c < 6; ++c)
    for (int k = 0; k < (c == 0 ? 2 : 10); ++k) targets.push_back(c);
  const BalancedBatchSampler sampler(targets, 4, 3);
  Rng rng(1);
  for (int b = 0; b < 20; ++b) {
    const std::vector<int64_t> batch = sampler.next(rng);
    ASSERT_EQ(batch.size(), 12u);
    std::map<int64_t, int> per_class;
    for (int64_t i : batch) ++per_class[targets[i]];
    EXPECT_EQ(per_class.size(), 4u);
    for (const auto& [c, n] : per_class) EXPECT_EQ(n, 3);
  }
}

}  // namespace
}  // namespace hsi
