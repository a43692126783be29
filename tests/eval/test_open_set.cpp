// Open-set figures and the few-shot curve, against naive references.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "eval/curve.hpp"
#include "eval/open_set.hpp"

namespace hsi {
namespace {

// The definition: the share of (unknown, known) pairs ordered right, ties counting one half.
double naive_auroc(const std::vector<float>& known, const std::vector<float>& unknown) {
  double wins = 0;
  for (float u : unknown)
    for (float k : known) wins += u > k ? 1.0 : u == k ? 0.5 : 0.0;
  return wins / (static_cast<double>(known.size()) * static_cast<double>(unknown.size()));
}

TEST(OpenSetFigures, AurocMatchesThePairwiseDefinitionWithTies) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> level(0, 12);  // few levels: many ties
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> known(37 + trial), unknown(11 + 2 * trial);
    for (float& v : known) v = static_cast<float>(level(rng));
    for (float& v : unknown) v = static_cast<float>(level(rng) + trial % 4);
    EXPECT_NEAR(auroc(known, unknown), naive_auroc(known, unknown), 1e-12);
  }
  EXPECT_DOUBLE_EQ(auroc({1, 2, 3}, {4, 5}), 1.0);
  EXPECT_DOUBLE_EQ(auroc({4, 5}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(auroc({2, 2}, {2}), 0.5);
  EXPECT_TRUE(std::isnan(auroc({}, {1})));
}

TEST(OpenSetFigures, ThresholdAcceptsTheAskedShareOfKnownScores) {
  std::vector<float> known(200);
  for (size_t i = 0; i < known.size(); ++i) known[i] = static_cast<float>((i * 37) % 200);  // 0..199 shuffled
  const double t = acceptance_threshold(known, 0.95);
  EXPECT_DOUBLE_EQ(t, 189.0);  // 190 of 200 scores (0..189) are <= t
  EXPECT_NEAR(rejected_share(known, t), 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(acceptance_threshold(known, 1.0), 199.0);
  EXPECT_DOUBLE_EQ(acceptance_threshold({5.0f}, 0.5), 5.0);
  EXPECT_TRUE(std::isnan(acceptance_threshold({}, 0.95)));
}

TEST(FewShotCurve, OneSeriesPerModelOverTheFixedProtocols) {
  std::vector<RunSummary> runs;
  for (const std::string model : {"ms2d", "svm"})
    for (int n : {1, 3, 10})
      for (int seed = 0; seed < 3; ++seed) {
        RunSummary r;
        r.model = model;
        r.split = "fixed:" + std::to_string(n);
        r.seed = seed;
        r.overall = 0.5 + 0.04 * n + 0.01 * seed + (model == "svm" ? -0.1 : 0.0);
        runs.push_back(r);
      }
  RunSummary blocks = runs.front();
  blocks.split = "blocks:10";  // not a point of the curve
  runs.push_back(blocks);
  const CurveSpec curve = few_shot_curve(runs, {"ms2d", "svm"}, "test");
  ASSERT_EQ(curve.series.size(), 2u);
  ASSERT_EQ(curve.series[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(curve.series[0].points[1].x, 3);
  EXPECT_NEAR(curve.series[0].points[1].y.mean, 0.5 + 0.12 + 0.01, 1e-12);
  EXPECT_NEAR(curve.series[1].points[2].y.mean, 0.5 + 0.4 + 0.01 - 0.1, 1e-12);
  EXPECT_EQ(curve.series[0].points[0].y.n, 3);
  const std::string svg = curve_svg(curve);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 2u);
  EXPECT_NE(svg.find(">svm</text>"), std::string::npos);
  const std::string csv = curve_csv(curve);
  EXPECT_NE(csv.find("ms2d,3,3,0.6300,"), std::string::npos) << csv;
  // One protocol is a table, not a curve.
  std::vector<RunSummary> one(runs.begin(), runs.begin() + 3);
  EXPECT_TRUE(few_shot_curve(one, {"ms2d"}, "").series.empty());
}

}  // namespace
}  // namespace hsi
