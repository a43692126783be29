// McNemar's comparison of two maps on the same reference pixels: the paired counts, the exact
// p-value against a naive sum of binomial coefficients, the difference's interval, and the
// test's size and power over repeated simulated maps.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <vector>

#include "eval/compare.hpp"

namespace hsi {
namespace {

// Pixels of the four kinds, in order: both maps right, only the first, only the second, neither.
struct Maps {
  std::vector<int32_t> reference, first, second;
};
Maps maps_of(int64_t both_right, int64_t only_first, int64_t only_second, int64_t both_wrong) {
  Maps m;
  const auto add = [&](int64_t n, bool a, bool b) {
    for (int64_t i = 0; i < n; ++i) {
      const int32_t truth = 1 + static_cast<int32_t>(i % 3);
      m.reference.push_back(truth);
      m.first.push_back(a ? truth : truth % 3 + 1);
      m.second.push_back(b ? truth : 0);  // no data counts as wrong
    }
  };
  add(both_right, true, true);
  add(only_first, true, false);
  add(only_second, false, true);
  add(both_wrong, false, false);
  return m;
}

// 2 * sum_{i <= min(k, n-k)} C(n, i) / 2^n by exact integer binomial coefficients.
double naive_two_sided_p(int k, int n) {
  const int m = std::min(k, n - k);
  long double sum = 0, c = 1;  // C(n, 0)
  for (int i = 0; i <= m; ++i) {
    sum += c;
    c = c * (n - i) / (i + 1);
  }
  return static_cast<double>(std::min<long double>(1.0L, 2 * sum / std::pow(2.0L, n)));
}

TEST(CompareMaps, HandWorkedExample) {
  // 50 pixels both right, 15 only the first, 5 only the second, 10 neither (80 in all), and 7
  // unlabelled ones that must not count.
  Maps m = maps_of(50, 15, 5, 10);
  for (int i = 0; i < 7; ++i) {
    m.reference.push_back(0);
    m.first.push_back(1);
    m.second.push_back(2);
  }
  const MapComparison c = compare_maps(m.reference, m.first, m.second);
  EXPECT_EQ(c.pixels, 80);
  EXPECT_EQ(c.both_right, 50);
  EXPECT_EQ(c.only_first, 15);
  EXPECT_EQ(c.only_second, 5);
  EXPECT_EQ(c.both_wrong, 10);
  EXPECT_DOUBLE_EQ(c.first_oa, 65.0 / 80);
  EXPECT_DOUBLE_EQ(c.second_oa, 55.0 / 80);
  EXPECT_DOUBLE_EQ(c.difference, 0.125);
  // ((15 + 5)/80 - 0.125^2) / 80 = 0.234375 / 80.
  EXPECT_NEAR(c.difference_se, std::sqrt(0.234375 / 80), 1e-12);
  EXPECT_NEAR(c.z, 10 / std::sqrt(20.0), 1e-12);
  // 2 (C(20,0) + ... + C(20,5)) / 2^20 = 2 x 21700 / 1048576.
  EXPECT_NEAR(c.p_value, 2 * 21700.0 / 1048576.0, 1e-12);
  // Swapping the maps flips the signs, not the p-value.
  const MapComparison s = compare_maps(m.reference, m.second, m.first);
  EXPECT_DOUBLE_EQ(s.difference, -0.125);
  EXPECT_DOUBLE_EQ(s.z, -c.z);
  EXPECT_DOUBLE_EQ(s.p_value, c.p_value);
  EXPECT_DOUBLE_EQ(s.difference_se, c.difference_se);
}

TEST(CompareMaps, ExactPValueEqualsANaiveSumOfBinomialCoefficients) {
  for (int n = 1; n <= 60; ++n)
    for (int k = 0; k <= n; ++k) EXPECT_NEAR(two_sided_binomial_half_p(k, n), naive_two_sided_p(k, n), 1e-12) << k << " of " << n;
  // Large counts: the normal approximation with continuity correction is close there
  // (two-sided, z = (|b - c| - 1) / sqrt(b + c)).
  const int64_t n = 200000, k = 99000;
  const double z = (std::abs(static_cast<double>(n - 2 * k)) - 1) / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(two_sided_binomial_half_p(k, n), std::erfc(z / std::sqrt(2.0)), 2e-4);
  EXPECT_NEAR(two_sided_binomial_half_p(0, 1000) / std::pow(2.0, -999), 1.0, 1e-9);  // 1.9e-301: tiny, not lost to underflow
}

TEST(CompareMaps, MapsNothingTellsApart) {
  const Maps m = maps_of(30, 0, 0, 6);
  const MapComparison c = compare_maps(m.reference, m.first, m.second);
  EXPECT_EQ(c.first_oa, c.second_oa);
  EXPECT_EQ(c.difference, 0.0);
  EXPECT_TRUE(std::isnan(c.z));
  EXPECT_EQ(c.p_value, 1.0);
  const ReportSection section = comparison_section(c, "a.tif", "b.tif");
  EXPECT_NE(section.markdown.find("cannot tell them apart"), std::string::npos) << section.markdown;
  EXPECT_NE(section.json.find("\"mcnemar_z\": null"), std::string::npos) << section.json;
}

TEST(CompareMaps, RejectsAtTheNominalRateUnderTheNullAndDetectsARealDifference) {
  // Two maps of 300 reference pixels whose errors fall independently: under the null both err
  // on 10 % of the pixels; under the alternative the second on 15 %. The exact test must reject
  // at most 5 % of the null replicates (it is conservative: the binomial is discrete), and most
  // of the alternative's.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const int replicates = 2000, pixels = 300;
  const auto rejection_rate = [&](double first_error, double second_error) {
    int rejected = 0;
    std::vector<int32_t> reference(pixels, 1), first(pixels), second(pixels);
    for (int r = 0; r < replicates; ++r) {
      for (int i = 0; i < pixels; ++i) {
        first[i] = u(rng) < first_error ? 2 : 1;
        second[i] = u(rng) < second_error ? 2 : 1;
      }
      rejected += compare_maps(reference, first, second).p_value < 0.05;
    }
    return static_cast<double>(rejected) / replicates;
  };
  const double size = rejection_rate(0.10, 0.10), power = rejection_rate(0.05, 0.15);
  std::cout << "rejected at the 5 % level: " << size << " of null replicates, " << power << " of the alternative's\n";
  EXPECT_LE(size, 0.055);
  EXPECT_GE(size, 0.02);  // not a test that never rejects
  EXPECT_GE(power, 0.95);
}

}  // namespace
}  // namespace hsi
