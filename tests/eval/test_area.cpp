// Error-adjusted areas: a small error matrix worked by hand, and the estimators' defining
// properties on a population whose truth is known: over repeated stratified random samples the
// estimates centre on the population's own shares and accuracies, and their 95 % intervals
// cover them about 95 % of the time. And the stratified random sample such estimates assume, with
// its size planned for a target error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "eval/accuracy.hpp"
#include "eval/area.hpp"
#include "eval/sample.hpp"

namespace hsi {
namespace {

// Pairs (reference, map) as evaluate_accuracy sees them.
AccuracyReport sample_of(const std::vector<std::pair<int32_t, int32_t>>& pairs) {
  std::vector<int32_t> reference, predicted;
  for (const auto& [r, m] : pairs) {
    reference.push_back(r);
    predicted.push_back(m);
  }
  return evaluate_accuracy(reference, predicted);
}

std::vector<std::pair<int32_t, int32_t>> repeated(int32_t reference, int32_t map, int count) {
  return std::vector<std::pair<int32_t, int32_t>>(static_cast<size_t>(count), {reference, map});
}

const ClassAreaEstimate& of(const AreaEstimate& e, int32_t id) {
  return *std::find_if(e.classes.begin(), e.classes.end(), [&](const ClassAreaEstimate& c) { return c.id == id; });
}

TEST(AreaEstimate, ASmallErrorMatrixWorkedByHand) {
  // The map gives half its 1,000 pixels to each class. Of 10 reference pixels in map class 1, 8
  // are class 1 and 2 class 2; of 10 in map class 2, 1 is class 1 and 9 class 2.
  std::vector<std::pair<int32_t, int32_t>> pairs = repeated(1, 1, 8);
  for (const auto& part : {repeated(2, 1, 2), repeated(1, 2, 1), repeated(2, 2, 9)}) pairs.insert(pairs.end(), part.begin(), part.end());
  const AreaEstimate e = estimate_areas({{1, 500}, {2, 500}}, sample_of(pairs));
  EXPECT_EQ(e.mapped, 1000);
  ASSERT_EQ(e.classes.size(), 2u);
  const ClassAreaEstimate& c1 = of(e, 1);
  const ClassAreaEstimate& c2 = of(e, 2);
  // share_1 = 0.5 * 0.8 + 0.5 * 0.1; var = 0.25 (0.8 * 0.2 / 9) + 0.25 (0.1 * 0.9 / 9).
  EXPECT_NEAR(c1.share, 0.45, 1e-12);
  EXPECT_NEAR(c1.share_se, std::sqrt(0.25 * 0.16 / 9 + 0.25 * 0.09 / 9), 1e-12);
  EXPECT_NEAR(c2.share, 0.55, 1e-12);
  EXPECT_NEAR(c1.share_se, c2.share_se, 1e-12);  // two classes: one share's error is the other's
  EXPECT_NEAR(e.overall, 0.85, 1e-12);
  EXPECT_NEAR(e.overall_se, std::sqrt(0.25 * 0.16 / 9 + 0.25 * 0.09 / 9), 1e-12);
  EXPECT_NEAR(c1.user, 0.8, 1e-12);
  EXPECT_NEAR(c1.user_se, std::sqrt(0.8 * 0.2 / 9), 1e-12);
  EXPECT_NEAR(c1.producer, 0.4 / 0.45, 1e-12);
  EXPECT_NEAR(c2.producer, 0.45 / 0.55, 1e-12);
  // Var(P_1) = [N_1^2 (1 - P)^2 U (1 - U) / (n_1 - 1) + P^2 N_2^2 q_21 (1 - q_21) / (n_2 - 1)] / N_1_hat^2
  const double P = 0.4 / 0.45;
  const double v = (500.0 * 500 * (1 - P) * (1 - P) * 0.8 * 0.2 / 9 + P * P * 500.0 * 500 * 0.1 * 0.9 / 9) / (450.0 * 450);
  EXPECT_NEAR(c1.producer_se, std::sqrt(v), 1e-12);
  EXPECT_EQ(e.unsampled_share, 0.0);
}

TEST(AreaEstimate, StrataWithoutASampleAndPixelsOffTheMapAreSaidNotGuessed) {
  // Map class 3 holds a fifth of the map and no reference pixel; one reference pixel lies on
  // unmapped ground (0); map class 2 has a single reference pixel (no variance).
  std::vector<std::pair<int32_t, int32_t>> pairs = repeated(1, 1, 4);
  pairs.push_back({2, 2});
  pairs.push_back({1, 0});
  const AreaEstimate e = estimate_areas({{1, 40}, {2, 40}, {3, 20}}, sample_of(pairs));
  EXPECT_NEAR(e.unsampled_share, 0.2, 1e-12);
  EXPECT_EQ(e.sample_outside_map, 1);
  EXPECT_NEAR(of(e, 1).share, 0.4, 1e-12);
  EXPECT_NEAR(of(e, 2).share, 0.4, 1e-12);
  EXPECT_TRUE(std::isnan(of(e, 3).share));
  EXPECT_TRUE(std::isnan(of(e, 3).user));
  EXPECT_TRUE(std::isnan(of(e, 2).share_se));
  EXPECT_TRUE(std::isnan(of(e, 2).user_se));
  EXPECT_TRUE(std::isnan(e.overall_se));
  EXPECT_NEAR(e.overall, 0.8, 1e-12);
}

TEST(AreaEstimate, UnbiasedWithIntervalsThatCoverTheTruthOnRepeatedStratifiedSamples) {
  // A population of 60,000 pixels: the map's classes 1, 2, 3 over 60 %, 30 % and 10 % of it, each
  // map class holding the true classes in its own proportions (the map over-predicts class 1 and
  // misses half of class 3's true area). 80 reference pixels are drawn from each map class at
  // random, 800 times. (Proportions of a few per cent in a stratum of 50 pixels would test the
  // normal approximation, which covers them less well, rather than the estimators.)
  const std::vector<int32_t> map_classes = {1, 2, 3};
  const std::vector<int64_t> mapped = {36000, 18000, 6000};
  const std::vector<std::vector<double>> truth_in_map = {{0.75, 0.10, 0.15}, {0.12, 0.80, 0.08}, {0.10, 0.10, 0.80}};
  std::vector<std::vector<int32_t>> stratum(3);  // the true class of every pixel of each map class
  std::vector<double> true_share(3, 0.0);
  double true_overall = 0;
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j < 3; ++j) {
      const int64_t count = static_cast<int64_t>(std::llround(truth_in_map[i][j] * static_cast<double>(mapped[i])));
      stratum[i].insert(stratum[i].end(), static_cast<size_t>(count), map_classes[j]);
      true_share[j] += static_cast<double>(count) / 60000.0;
      if (i == j) true_overall += static_cast<double>(count) / 60000.0;
    }
  }
  const double true_producer_1 = 0.75 * 36000 / 60000.0 / true_share[0];
  std::mt19937 rng(2014);
  const int replicates = 800, per_stratum = 80;
  std::vector<double> mean_share(3, 0.0), covered(3, 0.0);
  double mean_overall = 0, overall_covered = 0, mean_producer_1 = 0, producer_1_covered = 0;
  for (int r = 0; r < replicates; ++r) {
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t i = 0; i < 3; ++i) {
      std::vector<int32_t> drawn;
      std::sample(stratum[i].begin(), stratum[i].end(), std::back_inserter(drawn), per_stratum, rng);
      for (int32_t t : drawn) pairs.push_back({t, map_classes[i]});
    }
    const AreaEstimate e = estimate_areas({{1, mapped[0]}, {2, mapped[1]}, {3, mapped[2]}}, sample_of(pairs));
    for (size_t j = 0; j < 3; ++j) {
      const ClassAreaEstimate& c = of(e, map_classes[j]);
      mean_share[j] += c.share / replicates;
      covered[j] += std::abs(c.share - true_share[j]) <= ci95(c.share_se) ? 1.0 / replicates : 0.0;
    }
    mean_overall += e.overall / replicates;
    overall_covered += std::abs(e.overall - true_overall) <= ci95(e.overall_se) ? 1.0 / replicates : 0.0;
    const ClassAreaEstimate& c1 = of(e, 1);
    mean_producer_1 += c1.producer / replicates;
    producer_1_covered += std::abs(c1.producer - true_producer_1) <= ci95(c1.producer_se) ? 1.0 / replicates : 0.0;
  }
  for (size_t j = 0; j < 3; ++j) {
    // The map's own shares are 0.6 / 0.3 / 0.1; the truth 0.496 / 0.310 / 0.194.
    EXPECT_NEAR(mean_share[j], true_share[j], 0.004) << "class " << map_classes[j];
    EXPECT_GT(covered[j], 0.92) << "class " << map_classes[j];
    EXPECT_LT(covered[j], 0.98) << "class " << map_classes[j];
  }
  EXPECT_NEAR(mean_overall, true_overall, 0.004);
  EXPECT_GT(overall_covered, 0.92);
  EXPECT_LT(overall_covered, 0.98);
  EXPECT_NEAR(mean_producer_1, true_producer_1, 0.006);
  EXPECT_GT(producer_1_covered, 0.91);
  EXPECT_LT(producer_1_covered, 0.98);
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

TEST(StratifiedSample, EachClassItsShareDrawnUniformlyAndReproducibly) {
  // Class 1 on 300 pixels, class 2 on 40, class 3 on 5, no data (0) and a skipped id (9) on the rest.
  std::vector<int32_t> map;
  for (const auto& [id, count] : {std::pair{1, 300}, std::pair{0, 50}, std::pair{2, 40}, std::pair{9, 30}, std::pair{3, 5}})
    map.insert(map.end(), static_cast<size_t>(count), id);
  const std::vector<int64_t> drawn = stratified_sample(map, 20, 7, {9});
  std::map<int32_t, int> per_class;
  for (int64_t i : drawn) ++per_class[map[static_cast<size_t>(i)]];
  EXPECT_EQ(per_class, (std::map<int32_t, int>{{1, 20}, {2, 20}, {3, 5}}));
  EXPECT_TRUE(std::is_sorted(drawn.begin(), drawn.end()));
  EXPECT_EQ(std::adjacent_find(drawn.begin(), drawn.end()), drawn.end()) << "a pixel drawn twice";
  EXPECT_EQ(stratified_sample(map, 20, 7, {9}), drawn);
  EXPECT_NE(stratified_sample(map, 20, 8, {9}), drawn);
  // Over many seeds every pixel of class 1 is drawn with probability 20 / 300.
  std::vector<int> times(map.size(), 0);
  const int seeds = 3000;
  for (int s = 0; s < seeds; ++s)
    for (int64_t i : stratified_sample(map, 20, static_cast<uint64_t>(s))) ++times[static_cast<size_t>(i)];
  double low = 1, high = 0;
  for (size_t i = 0; i < 300; ++i) {
    low = std::min(low, static_cast<double>(times[i]) / seeds);
    high = std::max(high, static_cast<double>(times[i]) / seeds);
  }
  // 200 expected draws a pixel: 4.5 standard deviations either side.
  EXPECT_GT(low, 20.0 / 300 - 0.021);
  EXPECT_LT(high, 20.0 / 300 + 0.021);
}

TEST(StratifiedSample, EachClassItsOwnNumberAndUnlistedClassesNone) {
  std::vector<int32_t> map;
  for (const auto& [id, count] : {std::pair{1, 300}, std::pair{0, 50}, std::pair{2, 40}, std::pair{3, 5}})
    map.insert(map.end(), static_cast<size_t>(count), id);
  std::map<int32_t, int> per_class;
  for (int64_t i : stratified_sample(map, std::map<int32_t, int64_t>{{1, 17}, {3, 9}}, 3)) ++per_class[map[static_cast<size_t>(i)]];
  EXPECT_EQ(per_class, (std::map<int32_t, int>{{1, 17}, {3, 5}}));
}

// The overall accuracy's standard error of a stratified sample (Olofsson et al. 2014, eq. 5)
// when every class's user's accuracy is u: computed here without the planner's code.
double stratified_oa_se(const std::map<int32_t, int64_t>& mapped, const std::map<int32_t, int64_t>& sample, double u) {
  double total = 0, variance = 0;
  for (const auto& [id, n] : mapped) total += static_cast<double>(n);
  for (const auto& [id, n] : mapped) variance += std::pow(static_cast<double>(n) / total, 2) * u * (1 - u) / static_cast<double>(sample.at(id) - 1);
  return std::sqrt(variance);
}

TEST(SamplePlan, ReachesTheTargetErrorWithEveryClassItsMinimumAndTheRestByArea) {
  // 29,600 + 10,000 + 400 pixels; U = 0.85, target 0.01: n = 0.85 x 0.15 / 0.01^2 = 1275 spread
  // by area would give class 3 only 12.75, so it gets its 50 and the others share the rest in
  // proportion; that widens the error, so n grows until the target is met.
  const std::map<int32_t, int64_t> mapped{{1, 29600}, {2, 10000}, {3, 400}};
  const SamplePlan plan = plan_sample(mapped, 0.85, 0.01, 50);
  EXPECT_EQ(plan.proportional_total, 1275);
  EXPECT_EQ(plan.per_class.at(3), 50);
  int64_t sum = 0;
  for (const auto& [id, n] : plan.per_class) sum += n;
  EXPECT_EQ(plan.total, sum);
  EXPECT_NEAR(static_cast<double>(plan.per_class.at(1)) / static_cast<double>(plan.per_class.at(2)), 2.96, 0.01);
  EXPECT_NEAR(plan.expected_se, stratified_oa_se(mapped, plan.per_class, 0.85), 1e-12);
  EXPECT_LE(plan.expected_se, 0.01);
  // ... and no more than it takes: half a percent fewer (the planner's step) would miss it.
  const int64_t fewer = plan.total - plan.total / 200 - 50;
  std::map<int32_t, int64_t> smaller{{3, 50}};
  smaller[1] = static_cast<int64_t>(std::llround(static_cast<double>(fewer) * 29600.0 / 39600));
  smaller[2] = fewer - smaller[1];
  EXPECT_GT(stratified_oa_se(mapped, smaller, 0.85), 0.01);
  // A loose target: every class its minimum; a class smaller than that: all of it.
  const SamplePlan loose = plan_sample({{1, 5000}, {2, 30}}, 0.9, 0.2, 50);
  EXPECT_EQ(loose.per_class, (std::map<int32_t, int64_t>{{1, 50}, {2, 30}}));
  // A target the map cannot reach: every pixel.
  const SamplePlan all = plan_sample({{1, 80}, {2, 40}}, 0.5, 0.001, 10);
  EXPECT_EQ(all.per_class, (std::map<int32_t, int64_t>{{1, 80}, {2, 40}}));
  EXPECT_EQ(plan_sample({{1, 80}, {2, 40}}, 0.5, 1e-12, 10).total, 120);  // n = 2.5e23 by the formula
  EXPECT_THROW(plan_sample({{1, 10}}, 1.0, 0.01, 5), std::invalid_argument);
}

}  // namespace
}  // namespace hsi
