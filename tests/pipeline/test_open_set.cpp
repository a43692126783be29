// Open-set rejection and enrolment on a synthetic scene where the right answers are known: class
// 1's spectra lie far from classes 2-4, the model is trained on classes 2-4 only. (The unseen
// class has the smallest id, so enrolling it must not disturb the known classes' order.) The
// pixels to label next come from there too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/error.hpp"
#include "eval/open_set.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/enrol.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/suggest.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

constexpr int32_t kFarClass = 1;

Scene scene_of(const test::SyntheticScene& s, const std::vector<int32_t>& ids) {
  Scene scene;
  scene.name = "open-set test";
  scene.cube = s.cube;
  scene.labels = s.labels;
  scene.classes = ClassTable::from_ids(ids);
  scene.nodata.assign(static_cast<size_t>(s.cube.pixels()), 0);
  return scene;
}

// A small ms2d (3 x 3 windows, narrow layers) trained on 2 threads into `out`.
RunSettings small_ms2d(const std::string& out) {
  RunSettings rs;
  rs.model.name = "ms2d";
  rs.model.patch = 3;
  rs.model.width = 8;
  rs.model.embedding = 16;
  rs.model.metric_dim = 8;
  rs.threads = 2;
  rs.out = out;
  return rs;
}

RunOptions quiet_run() {
  RunOptions o;
  o.verbose = false;
  o.write_maps = false;
  return o;
}

struct Fixture {
  test::TempDir dir;
  Scene full, known;
  RunResult result;
  Checkpoint ck;
  Fixture() {
    test::SyntheticScene s = test::make_scene(32, 48, 16, 4, 5);
    for (int64_t p = 0; p < s.cube.pixels(); ++p) {
      const int64_t col = p % s.cube.cols;
      if (col * 4 / s.cube.cols != 3) continue;  // the last stripe, labelled or not, made far
      for (int64_t b = 0; b < s.cube.bands; ++b) s.cube.data[static_cast<size_t>(p * s.cube.bands + b)] += 1.5f;
    }
    for (int32_t& label : s.labels.labels) label = label == 4 ? kFarClass : label == kFarClass ? 4 : label;
    full = scene_of(s, {1, 2, 3, 4});
    known = scene_of(s, {2, 3, 4});
    for (int32_t& label : known.labels.labels)
      if (label == kFarClass) label = 0;
    RunSettings rs = small_ms2d(dir.file("run"));
    rs.train.epochs = 20;
    rs.train.min_steps = 200;
    rs.split.per_class = 40;
    rs.split.validation_fraction = 0.5;
    rs.open_set.rule = "mahalanobis";
    result = run_training(known, rs, quiet_run());
    ck = load_checkpoint(dir.file("run/best.ckpt"));
    prepared = known.cube;
    ck.preprocessor.apply(prepared);
  }
  // Windows of the preprocessed scene, as training cut them.
  const BatchMaker& batches() {
    if (!batch_maker) batch_maker = std::make_unique<BatchMaker>(prepared, ck.net_options);
    return *batch_maker;
  }
  Cube prepared;
  std::unique_ptr<BatchMaker> batch_maker;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

PredictOptions quiet(const std::string& unknown) {
  PredictOptions o;
  o.progress = false;
  o.unknown = unknown;
  return o;
}

// Share of `ids` equal to `wanted` over the pixels where `where` holds `id` (0: any non-zero).
double share(const std::vector<int32_t>& ids, const std::vector<int32_t>& where, int32_t id, int32_t wanted) {
  int64_t n = 0, hit = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (id ? where[i] != id : where[i] == 0) continue;
    ++n;
    hit += ids[i] == wanted;
  }
  return n ? static_cast<double>(hit) / static_cast<double>(n) : -1;
}

TEST(OpenSet, AFarClassIsRejectedAndKnownPixelsAreNot) {
  Fixture& f = fixture();
  EXPECT_EQ(f.ck.open_set, "mahalanobis");
  const ScenePrediction p = predict_cube(f.ck, f.full.cube, &f.full.nodata, quiet(""));
  const int32_t unknown = unknown_class_id(f.ck.classes);
  EXPECT_EQ(unknown, 255);
  EXPECT_GE(share(p.ids, f.full.labels.labels, kFarClass, unknown), 0.9);
  // Known test pixels: about 1 - accept of them are rejected, and those kept are right.
  int64_t rejected = 0, tested = 0, right = 0;
  for (size_t i = 0; i < p.ids.size(); ++i) {
    if (!f.result.split.test[i]) continue;
    ++tested;
    rejected += p.ids[i] == unknown;
    right += p.ids[i] == f.result.split.test[i];
  }
  EXPECT_LE(static_cast<double>(rejected) / static_cast<double>(tested), 0.15) << "closed-set OA " << f.result.accuracy.overall;
  EXPECT_GE(static_cast<double>(right) / static_cast<double>(tested), 0.8) << "closed-set OA " << f.result.accuracy.overall;
  // Without a rule nothing is rejected, and the far class gets some known label.
  const ScenePrediction closed = predict_cube(f.ck, f.full.cube, &f.full.nodata, quiet("none"));
  EXPECT_EQ(closed.stats.unknown_pixels, 0);
  EXPECT_EQ(share(closed.ids, f.full.labels.labels, kFarClass, unknown), 0.0);
  // The novelty map orders the far class above the known test pixels.
  std::vector<float> known_scores, far_scores;
  for (size_t i = 0; i < p.ids.size(); ++i) {
    if (f.result.split.test[i]) known_scores.push_back(p.novelty[i]);
    if (f.full.labels.labels[i] == kFarClass) far_scores.push_back(p.novelty[i]);
  }
  EXPECT_GE(auroc(known_scores, far_scores), 0.95);
}

TEST(OpenSet, ThresholdsAcceptTheConfiguredShareOfValidationPixels) {
  Fixture& f = fixture();
  const BatchMaker& batches = f.batches();
  const Samples validation = samples_of(f.result.split.validation, f.ck.classes);
  ASSERT_GT(validation.size(), 10u);
  const torch::Tensor z = metric_features(f.ck.net, batches, validation.pixels);
  ASSERT_EQ(f.ck.open_set_thresholds.size(), 3u);
  for (const std::string rule : {"mahalanobis", "distance", "softmax"}) {
    const torch::Tensor scores = novelty_scores(f.ck.net, z, rule, f.ck.prototypes, f.ck.metric_precision).contiguous();
    const std::vector<float> v(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
    EXPECT_LE(rejected_share(v, f.ck.open_set_thresholds.at(rule)), 0.05 + 1e-9) << rule;
    EXPECT_GT(rejected_share(v, f.ck.open_set_thresholds.at(rule) - 1e-6), 0.0) << rule << ": the threshold is the tightest that accepts 95 %";
  }
}

TEST(OpenSet, DistanceIsToTheNearestPrototype) {
  Fixture& f = fixture();
  const torch::Tensor prototypes = torch::tensor({{0.0f, 0.0f}, {3.0f, 4.0f}});
  const torch::Tensor z = torch::tensor({{0.0f, 1.0f}, {3.0f, 3.0f}, {30.0f, 40.0f}});
  const torch::Tensor d = novelty_scores(f.ck.net, z, "distance", prototypes, {});
  EXPECT_NEAR(d[0].item<float>(), 1.0f, 1e-5);
  EXPECT_NEAR(d[1].item<float>(), 1.0f, 1e-5);
  EXPECT_NEAR(d[2].item<float>(), 27.0f * 27 + 36.0f * 36, 1e-2);
  // Mahalanobis: the identity precision is the Euclidean rule; a precision that shrinks the
  // second axis 100-fold makes the first pixel (off along it) nearer than the second.
  EXPECT_TRUE(torch::allclose(novelty_scores(f.ck.net, z, "mahalanobis", prototypes, torch::eye(2)), d, 1e-4, 1e-3));
  const torch::Tensor m = novelty_scores(f.ck.net, z, "mahalanobis", prototypes, torch::diag(torch::tensor({1.0f, 0.01f})));
  EXPECT_NEAR(m[0].item<float>(), 0.01f, 1e-5);                      // (0,1) from (0,0)
  EXPECT_NEAR(m[1].item<float>(), 0.01f, 1e-5);                      // (3,3) from (3,4)
  EXPECT_NEAR(m[2].item<float>(), 27.0f * 27 + 0.36f * 36, 1e-2);   // (30,40) from (3,4)
}

TEST(Prototypes, DistancesEqualANaiveLoopWithAndWithoutAPrecision) {
  // Features far from the origin (offset 50) as well as near it: the expanded form
  // |z|^2 - 2 z.p + |p|^2 must not lose the distances to cancellation at this scale.
  torch::manual_seed(5);
  const int64_t K = 8;
  for (const double offset : {0.0, 50.0}) {
    const torch::Tensor z = torch::randn({200, K}) + offset, prototypes = torch::randn({6, K}) + offset;
    const torch::Tensor a = torch::randn({K, K}), precision = torch::matmul(a, a.t()) / K + torch::eye(K);
    const torch::Tensor euclidean = prototype_distances(z, prototypes, {}), mahalanobis = prototype_distances(z, prototypes, precision);
    for (int64_t i = 0; i < z.size(0); i += 3) {
      for (int64_t c = 0; c < prototypes.size(0); ++c) {
        const torch::Tensor v = (z[i] - prototypes[c]).to(torch::kDouble);
        const double e = torch::dot(v, v).item<double>(), m = torch::dot(v, torch::mv(precision.to(torch::kDouble), v)).item<double>();
        EXPECT_NEAR(euclidean[i][c].item<float>(), e, 2e-3 * (1 + e)) << "offset " << offset;
        EXPECT_NEAR(mahalanobis[i][c].item<float>(), m, 2e-3 * (1 + m)) << "offset " << offset;
      }
    }
  }
}

// Two Gaussian clouds of unlabelled features (centres (0,0) and (4,0)), each class labelled by
// one pixel on the far side of its cloud, as a single labelled pixel often is; a third class has
// no labelled pixel, its mean (zeros) sitting in the first cloud.
struct TwoClouds {
  torch::Tensor labelled, targets, unlabelled, truth;
  Prototypes initial;
  TwoClouds() {
    torch::manual_seed(11);
    const int64_t n = 300;
    const torch::Tensor noise = 0.7 * torch::randn({2 * n, 2});
    const torch::Tensor centres = torch::cat({torch::zeros({n, 2}), torch::tensor({4.0f, 0.0f}).expand({n, 2})});
    unlabelled = centres + noise;
    truth = torch::cat({torch::zeros({n}, torch::kLong), torch::ones({n}, torch::kLong)});
    labelled = torch::tensor({{1.6f, 0.0f}, {6.0f, 0.0f}});
    targets = torch::tensor({0, 1}, torch::kLong);
    initial.means = torch::cat({labelled, torch::zeros({1, 2})});
    initial.counts = torch::tensor({1.0f, 1.0f, 0.0f});
    initial.precision = torch::eye(2);
  }
  double accuracy(const torch::Tensor& means) const {
    // The two labelled classes' means only (class 2 has nothing to classify by).
    return (prototype_distances(unlabelled, means.slice(0, 0, 2), {}).argmin(1) == truth).to(torch::kDouble).mean().item<double>();
  }
};

TEST(Prototypes, SceneRefinementMovesEachMeanToItsCloudsMiddle) {
  const TwoClouds c;
  const Prototypes refined = refine_prototypes(c.initial, c.labelled, c.targets, c.unlabelled, 0);
  EXPECT_LT(c.accuracy(c.initial.means), 0.85);  // the labelled pixels alone: four in ten of cloud 1 go to class 0
  EXPECT_GT(c.accuracy(refined.means), 0.97);
  EXPECT_LT((refined.means[0] - torch::tensor({0.0f, 0.0f})).norm().item<float>(), 0.2f);
  EXPECT_LT((refined.means[1] - torch::tensor({4.0f, 0.0f})).norm().item<float>(), 0.2f);
  // Counts: each class's labelled pixel and the unlabelled ones assigned to it, all of them.
  EXPECT_FLOAT_EQ(refined.counts.sum().item<float>(), 2.0f + static_cast<float>(c.unlabelled.size(0)));
  // The precision refitted on labelled and assigned features: the clouds' spread, 0.7^2 a axis.
  EXPECT_NEAR(1.0 / refined.precision[0][0].item<float>(), 0.49, 0.1);
}

TEST(Prototypes, AClassWithoutLabelledPixelsTakesNoneOfTheScene) {
  const TwoClouds c;
  const Prototypes refined = refine_prototypes(c.initial, c.labelled, c.targets, c.unlabelled, 0);
  EXPECT_EQ(refined.counts[2].item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(refined.means[2], c.initial.means[2]));
  EXPECT_GT(refined.counts[0].item<float>(), 280.0f);  // cloud 0 stays with class 0, though class 2's mean sits in it
}

TEST(Prototypes, RefinementWithoutUnlabelledPixelsKeepsTheLabelledMeans) {
  const TwoClouds c;
  const Prototypes refined = refine_prototypes(c.initial, c.labelled, c.targets, torch::zeros({0, 2}), 2);
  EXPECT_TRUE(torch::equal(refined.means, c.initial.means));
  EXPECT_TRUE(torch::equal(refined.counts, c.initial.counts));
}

TEST(Prototypes, FreeCentresTakeAMaterialTheClassTableLacks) {
  // A third cloud at (0, 5), labelled by no class: without a free centre it drags class 0's mean
  // toward itself; with one, the free centre takes it and the class means stay in their clouds.
  const TwoClouds c;
  torch::manual_seed(12);
  const torch::Tensor other = torch::tensor({0.0f, 5.0f}) + 0.7 * torch::randn({300, 2});
  const torch::Tensor u = torch::cat({c.unlabelled, other});
  const Prototypes dragged = refine_prototypes(c.initial, c.labelled, c.targets, u, 0);
  EXPECT_GT((dragged.means[0] - torch::tensor({0.0f, 0.0f})).norm().item<float>(), 1.5f);
  const Prototypes kept = refine_prototypes(c.initial, c.labelled, c.targets, u, 1);
  EXPECT_LT((kept.means[0] - torch::tensor({0.0f, 0.0f})).norm().item<float>(), 0.2f);
  EXPECT_LT((kept.means[1] - torch::tensor({4.0f, 0.0f})).norm().item<float>(), 0.2f);
  EXPECT_GT(c.accuracy(kept.means), 0.97);
  // The classes' counts leave out what the free centre took.
  EXPECT_NEAR(kept.counts.sum().item<float>(), 2.0f + static_cast<float>(c.unlabelled.size(0)), 10.0f);
}

// A small ms2d trained two pixels a class with `prototypes` (and `free_centres`) on the scene
// whose far stripe (class 1) is missing from the class table: a material the table lacks, among
// the unlabelled pixels. What the checkpoint stored against the training pixels' own means.
struct PrototypeRun {
  test::TempDir dir;
  RunResult result;
  Checkpoint ck;
  Prototypes labelled;
  int64_t pixels = 0, training_pixels = 0;
  std::string report;
  PrototypeRun(const std::string& prototypes, int free_centres) {
    Fixture& f = fixture();
    RunSettings rs = small_ms2d(dir.file("run"));
    rs.train.epochs = 3;
    rs.train.min_steps = 30;
    rs.split.per_class = 2;
    rs.finetune.prototypes = prototypes;
    rs.finetune.free_centres = free_centres;
    result = run_training(f.known, rs, quiet_run());
    ck = load_checkpoint(dir.file("run/best.ckpt"));
    Cube prepared = f.known.cube;
    ck.preprocessor.apply(prepared);
    const BatchMaker batches(prepared, ck.net_options);
    const Samples train = samples_of(result.split.train, ck.classes);
    HsiNet net = ck.net;
    labelled = class_prototypes(net, batches, train, static_cast<int64_t>(ck.classes.size()));
    pixels = prepared.pixels();
    training_pixels = static_cast<int64_t>(train.size());
    std::ifstream in(result.files.report_md);
    report.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
};

TEST(Prototypes, TheSceneSettingRefinesTheCheckpointsPrototypesAndTheReportSaysSo) {
  const PrototypeRun run("scene", -1);
  EXPECT_GT((run.ck.prototypes - run.labelled.means).abs().max().item<float>(), 1e-3f);  // moved by the unlabelled pixels
  EXPECT_GT(run.ck.prototype_counts.sum().item<float>(), static_cast<float>(run.training_pixels));
  // The three free centres took pixels: the classes hold fewer than every non-training pixel.
  EXPECT_LT(run.ck.prototype_counts.sum().item<float>(), static_cast<float>(run.pixels));
  EXPECT_NE(run.report.find("refined by k-means over"), std::string::npos);
  EXPECT_NE(run.report.find("3 free centres"), std::string::npos);
}

// Class 0: a long thin band of pixels along y = 0 from x = 0 to 8, labelled at its left end;
// class 1: a compact cloud at (4.5, 2.2), labelled at its middle. The band's right half lies
// nearer class 1's middle than class 0's, so a nearest-mean rule (and k-means, whose class 0
// mean only reaches the band's left half) gives it away; the chain of band pixels joins it to
// class 0's label.
struct BandAndCloud {
  torch::Tensor labelled = torch::tensor({{0.0f, 0.0f}, {4.5f, 2.2f}}), targets = torch::tensor({0, 1}, torch::kLong);
  torch::Tensor unlabelled, truth;
  BandAndCloud() {
    torch::manual_seed(21);
    const int64_t n = 400;
    const torch::Tensor band = torch::stack({8 * torch::rand({n}), 0.15 * torch::randn({n})}, 1);
    const torch::Tensor cloud = torch::tensor({4.5f, 2.2f}) + 0.3 * torch::randn({n, 2});
    unlabelled = torch::cat({band, cloud});
    truth = torch::cat({torch::zeros({n}, torch::kLong), torch::ones({n}, torch::kLong)});
  }
  double accuracy(const torch::Tensor& assigned) const { return (assigned == truth).to(torch::kDouble).mean().item<double>(); }
};

TEST(Propagation, LabelsFollowAClassAlongItsChainOfPixelsWhereMeansCannot) {
  const BandAndCloud c;
  Prototypes initial;
  initial.means = c.labelled;
  initial.counts = torch::ones({2});
  initial.precision = torch::eye(2);
  const Prototypes kmeans = refine_prototypes(initial, c.labelled, c.targets, c.unlabelled, 0);
  EXPECT_LT(c.accuracy(prototype_distances(c.unlabelled, kmeans.means, {}).argmin(1)), 0.9);
  const torch::Tensor assigned = propagate_labels(c.labelled, c.targets, 2, c.unlabelled, torch::eye(2), 0);
  ASSERT_EQ(assigned.sizes(), (std::vector<int64_t>{c.unlabelled.size(0)}));
  EXPECT_GT(c.accuracy(assigned), 0.98);
}

TEST(Propagation, AgreesWithTheDenseFormulaOnAGraphOfOverlappingClasses) {
  // The naive reference: every distance, each row's k nearest, W + W^T, D^-1/2 W D^-1/2, then
  // F <- alpha S F + (1 - alpha) Y with dense matrices. Three overlapping clouds keep many pixels
  // near a boundary, and a small alpha and few rounds keep Y's share in the answer, so a slip in
  // the sparse product (a weight, a row, the (1 - alpha) Y term) changes labels.
  torch::manual_seed(5);
  const int64_t classes = 3, per_class = 4, M = 150, k = 6, rounds = 4;
  const double alpha = 0.6;
  const torch::Tensor centres = torch::tensor({{0.0f, 0.0f}, {1.2f, 0.0f}, {0.6f, 1.0f}});
  const torch::Tensor targets = torch::arange(classes).repeat_interleave(per_class);
  const torch::Tensor z = centres.index_select(0, targets) + 0.6 * torch::randn({classes * per_class, 2});
  const torch::Tensor u = centres.index_select(0, torch::randint(0, classes, {M}, torch::kLong)) + 0.6 * torch::randn({M, 2});
  const torch::Tensor got = propagate_labels(z, targets, classes, u, torch::eye(2), 0, k, alpha, rounds);

  const torch::Tensor X = torch::cat({z, u}).to(torch::kDouble);
  const int64_t N = X.size(0), L = z.size(0);
  torch::Tensor d = torch::cdist(X, X).pow(2);
  d.fill_diagonal_(INFINITY);
  auto [near_d, near_i] = d.topk(k, 1, /*largest=*/false);
  const double scale = near_d.mean().item<double>();
  torch::Tensor W = torch::zeros({N, N}, torch::kDouble);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < k; ++j) W[i][near_i[i][j].item<int64_t>()] += std::exp(-near_d[i][j].item<double>() / scale);
  W = W + W.t();
  const torch::Tensor inv_sqrt = W.sum(1).rsqrt();
  const torch::Tensor S = inv_sqrt.unsqueeze(1) * W * inv_sqrt.unsqueeze(0);
  torch::Tensor Y = torch::zeros({N, classes}, torch::kDouble);
  for (int64_t i = 0; i < L; ++i) Y[i][targets[i].item<int64_t>()] = 1.0;
  torch::Tensor F = Y.clone();
  for (int64_t r = 0; r < rounds; ++r) F = alpha * S.mm(F) + (1 - alpha) * Y;
  const torch::Tensor expected = F.slice(0, L).argmax(1);
  // Pixels the labels have not reached yet (all-zero rows) have no answer to compare.
  const torch::Tensor reached = F.slice(0, L).amax(1) > 1e-9;
  ASSERT_GT(reached.sum().item<int64_t>(), M / 2);
  EXPECT_TRUE(torch::equal(got.index({reached}), expected.index({reached})));
}

TEST(Propagation, NearestNeighboursAreEachRowsKSmallestEntries) {
  // Against LibTorch's topk, on rows with an infinite diagonal (a pixel is not its own
  // neighbour), on every k from 1 to all columns, and on rounded values where many entries tie
  // (then the lower columns are kept: the same set however the rows are split among threads).
  torch::manual_seed(9);
  for (const bool ties : {false, true}) {
    torch::Tensor d = torch::rand({37, 41});
    if (ties) d = (d * 4).floor();
    d.slice(1, 0, 37).fill_diagonal_(INFINITY);
    for (const int64_t k : {int64_t{1}, int64_t{6}, int64_t{40}, int64_t{41}}) {
      const auto [values, columns] = smallest_in_rows(d, k);
      ASSERT_EQ(values.sizes(), (std::vector<int64_t>{37, k}));
      EXPECT_TRUE(torch::equal(d.gather(1, columns), values));
      const torch::Tensor want = std::get<0>(d.topk(k, 1, /*largest=*/false));
      EXPECT_TRUE(torch::equal(std::get<0>(values.sort(1)), want)) << "ties " << ties << ", k " << k;
      for (int64_t r = 0; r < d.size(0); ++r) {
        const torch::Tensor chosen = std::get<0>(columns[r].sort());
        EXPECT_TRUE((chosen.slice(0, 1) > chosen.slice(0, 0, k - 1)).all().item<bool>()) << "a column twice, row " << r;
        if (!ties) continue;
        // Of the entries equal to the largest kept value, the lowest columns are the ones kept.
        const float edge = values[r].max().item<float>();
        const torch::Tensor equal_columns = (d[r] == edge).nonzero().squeeze(1);
        const int64_t taken = (values[r] == edge).sum().item<int64_t>();
        EXPECT_TRUE(torch::equal(std::get<0>(columns[r].index({values[r] == edge}).sort()), equal_columns.slice(0, 0, taken)));
      }
    }
  }
  EXPECT_THROW(smallest_in_rows(torch::rand({3, 4}), 5), Error);
  EXPECT_THROW(smallest_in_rows(torch::rand({3, 4}).t(), 2), Error);
}

TEST(Propagation, TheGraphIsWhitenedByThePrecision) {
  // The same points with the x axis stretched 10-fold: under the Euclidean metric the band's
  // neighbours run along it anyway, but the cloud's pixels are now nearer in x than in y to each
  // other only; the precision that undoes the stretch gives the unstretched answer exactly.
  const BandAndCloud c;
  const torch::Tensor stretch = torch::tensor({10.0f, 1.0f});
  const torch::Tensor precision = torch::diag(torch::tensor({0.01f, 1.0f}));
  const torch::Tensor plain = propagate_labels(c.labelled, c.targets, 2, c.unlabelled, torch::eye(2), 0);
  const torch::Tensor whitened = propagate_labels(c.labelled * stretch, c.targets, 2, c.unlabelled * stretch, precision, 0);
  EXPECT_GT((plain == whitened).to(torch::kDouble).mean().item<double>(), 0.999);
}

TEST(Propagation, FreeSeedsTakeAMaterialTheClassTableLacks) {
  // A third cloud far from both classes and labelled by neither: with no free seed the labels
  // spread into it; with one, it keeps a label of its own (index 2), and the rows come back in
  // the order given.
  const BandAndCloud c;
  torch::manual_seed(22);
  const torch::Tensor other = torch::tensor({0.0f, 9.0f}) + 0.3 * torch::randn({200, 2});
  const torch::Tensor u = torch::cat({c.unlabelled, other});
  const torch::Tensor none = propagate_labels(c.labelled, c.targets, 2, u, torch::eye(2), 0);
  EXPECT_TRUE((none.slice(0, c.unlabelled.size(0)) < 2).all().item<bool>());
  const torch::Tensor seeded = propagate_labels(c.labelled, c.targets, 2, u, torch::eye(2), 1);
  EXPECT_TRUE((seeded.slice(0, c.unlabelled.size(0)) == 2).all().item<bool>());
  EXPECT_GT(c.accuracy(seeded.slice(0, 0, c.unlabelled.size(0))), 0.98);
}

TEST(Propagation, EverySeedKeepsItsOwnRowWhateverTheirPlaces) {
  // Two far outliers as unlabelled rows 5 (the farthest, picked first) and 0 (picked second),
  // row 1 an ordinary pixel of the band: the seeds' labels must land on rows 5 and 0, never on
  // a row the seeds' bookkeeping displaced.
  const BandAndCloud c;
  torch::Tensor u = c.unlabelled.clone();
  u[0] = torch::tensor({-20.0f, 25.0f});
  u[5] = torch::tensor({40.0f, 40.0f});
  u[1] = torch::tensor({1.0f, 0.0f});
  const torch::Tensor assigned = propagate_labels(c.labelled, c.targets, 2, u, torch::eye(2), 2);
  EXPECT_EQ(assigned[5].item<int64_t>(), 2);
  EXPECT_EQ(assigned[0].item<int64_t>(), 3);
  EXPECT_EQ(assigned[1].item<int64_t>(), 0);
}

TEST(Prototypes, ThePropagatedSettingFitsTheCheckpointsPrototypesAndTheReportSaysSo) {
  const PrototypeRun run("propagated", 0);
  EXPECT_GT((run.ck.prototypes - run.labelled.means).abs().max().item<float>(), 1e-3f);
  // Without free seeds every pixel with data joins a class.
  EXPECT_FLOAT_EQ(run.ck.prototype_counts.sum().item<float>(), static_cast<float>(run.pixels));
  EXPECT_TRUE(torch::equal(run.ck.exemplars, run.labelled.exemplars));  // exemplars stay the labelled pixels
  EXPECT_NE(run.report.find("reached by propagation"), std::string::npos);
  EXPECT_NE(run.report.find("0 free seeds"), std::string::npos);
}

TEST(Neighbour, DistancesAreToEachClassesNearestExemplar) {
  torch::manual_seed(3);
  const int64_t classes = 4, K = 5;
  const torch::Tensor z = torch::randn({300, K}), exemplars = torch::randn({23, K});
  torch::Tensor owners = torch::randint(0, classes - 1, {23}, torch::kLong);  // the last class has none
  const torch::Tensor a = torch::randn({K, K}), precision = torch::matmul(a, a.t()) + torch::eye(K);
  const torch::Tensor d = neighbour_distances(z, exemplars, owners, classes, precision);
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{300, classes}));
  for (int64_t i = 0; i < z.size(0); i += 7) {
    for (int64_t c = 0; c < classes; ++c) {
      double best = INFINITY;
      for (int64_t r = 0; r < exemplars.size(0); ++r) {
        if (owners[r].item<int64_t>() != c) continue;
        const torch::Tensor v = (z[i] - exemplars[r]).to(torch::kDouble);
        best = std::min(best, torch::dot(v, torch::mv(precision.to(torch::kDouble), v)).item<double>());
      }
      if (std::isinf(best)) {
        EXPECT_TRUE(std::isinf(d[i][c].item<float>()));
      } else {
        EXPECT_NEAR(d[i][c].item<float>(), best, 1e-3 * (1 + best));
      }
    }
  }
}

TEST(Neighbour, AClassOfTwoPartsKeepsBothWhereItsMeanWouldNot) {
  // Class 0's pixels lie at (-1, 0) and (1, 0), class 1's at (0.5, 0.5): a pixel at (0.9, 0) is
  // class 0's by its nearest pixel, class 1's by the nearest mean (class 0's is (0, 0)).
  Checkpoint ck;
  ck.classes = ClassTable::from_ids({1, 2});
  ck.exemplars = torch::tensor({{-1.0f, 0.0f}, {1.0f, 0.0f}, {0.5f, 0.5f}});
  ck.exemplar_classes = torch::tensor({0, 0, 1}, torch::kLong);
  ck.prototypes = torch::tensor({{0.0f, 0.0f}, {0.5f, 0.5f}});
  ck.metric_precision = torch::eye(2);
  const torch::Tensor z = torch::tensor({{0.9f, 0.0f}, {-0.9f, 0.0f}, {0.5f, 0.45f}});
  EXPECT_TRUE(torch::equal(class_probabilities(ck, z, "neighbour").argmax(1), torch::tensor({0, 0, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(class_probabilities(ck, z, "mahalanobis").argmax(1), torch::tensor({1, 0, 1}, torch::kLong)));
}

TEST(Neighbour, AClassKeepsAtMostItsShareOfExemplarsSpreadOverItsPixels) {
  const torch::Tensor z = torch::arange(20, torch::kFloat).unsqueeze(1);
  const torch::Tensor y = torch::tensor({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, torch::kLong);
  const auto [kept, owners] = select_exemplars(z, y, 3, 4);
  // Class 0 (18 pixels) keeps 4, evenly spaced; class 1 keeps both; class 2 has none.
  EXPECT_TRUE(torch::equal(kept.flatten(), torch::tensor({0.0f, 5.0f, 10.0f, 14.0f, 1.0f, 19.0f})));
  EXPECT_TRUE(torch::equal(owners, torch::tensor({0, 0, 0, 0, 1, 1}, torch::kLong)));
}

TEST(OpenSet, TiedPrecisionApproachesTheInverseCovarianceWithManyPixels) {
  // Two classes around different means with one shared, strongly anisotropic covariance.
  torch::manual_seed(1);
  const int64_t n = 20000;
  const torch::Tensor cov = torch::tensor({{4.0, 1.0, 0.0}, {1.0, 1.0, 0.0}, {0.0, 0.0, 0.25}}, torch::kDouble);
  const torch::Tensor L = torch::linalg_cholesky(cov);
  const torch::Tensor y = torch::cat({torch::zeros({n}, torch::kLong), torch::ones({n}, torch::kLong)});
  const torch::Tensor means = torch::tensor({{0.0, 0.0, 0.0}, {5.0, -2.0, 1.0}}, torch::kDouble);
  const torch::Tensor z = (torch::matmul(torch::randn({2 * n, 3}, torch::kDouble), L.t()) + means.index_select(0, y)).to(torch::kFloat);
  const torch::Tensor precision = tied_precision(z, y, means.to(torch::kFloat));
  EXPECT_TRUE(torch::allclose(precision.to(torch::kDouble), torch::linalg_inv(cov), 0.05, 0.05)) << precision;
  // Fewer pixels than dimensions: still invertible (shrunk toward a multiple of I), finite.
  const torch::Tensor few = torch::randn({4, 16});
  const torch::Tensor few_y = torch::tensor({0, 0, 1, 1}, torch::kLong);
  const torch::Tensor few_means = torch::stack({few.narrow(0, 0, 2).mean(0), few.narrow(0, 2, 2).mean(0)});
  EXPECT_TRUE(torch::isfinite(tied_precision(few, few_y, few_means)).all().item<bool>());
}

TEST(OpenSet, LeaveOneOutCalibrationEqualsRecomputedPrototypes) {
  Fixture& f = fixture();
  const BatchMaker& batches = f.batches();
  const Samples train = samples_of(f.result.split.train, f.ck.classes);
  Checkpoint ck = f.ck;
  calibrate_open_set(ck, batches, train, 0.9, true);
  // Naive: every training pixel against prototypes recomputed without it.
  const torch::Tensor z = metric_features(f.ck.net, batches, train.pixels);
  std::vector<float> scores;
  for (int64_t i = 0; i < z.size(0); ++i) {
    float best = INFINITY;
    for (int64_t c = 0; c < f.ck.prototypes.size(0); ++c) {
      torch::Tensor sum = torch::zeros({z.size(1)});
      int n = 0;
      for (int64_t j = 0; j < z.size(0); ++j)
        if (j != i && train.targets[static_cast<size_t>(j)] == c) sum += z[j], ++n;
      if (n == 0) continue;
      best = std::min(best, (z[i] - sum / n).pow(2).sum().item<float>());
    }
    scores.push_back(best);
  }
  EXPECT_NEAR(ck.open_set_thresholds.at("distance"), acceptance_threshold(scores, 0.9), 1e-3 * ck.open_set_thresholds.at("distance"));
}

TEST(Enrol, ACopyOfAClassGetsItsPrototypeAndKnownIdsRefineTheirs) {
  Fixture& f = fixture();
  const int64_t c2 = f.ck.classes.index_of(2);
  // The training pixels of class 2 under a new id, 9.
  LabelMap copy = f.known.labels;
  for (size_t i = 0; i < copy.labels.size(); ++i) copy.labels[i] = f.result.split.train[i] == 2 ? 9 : 0;
  Checkpoint ck = f.ck;
  const EnrolOutcome added = enrol_classes(ck, f.known.cube, copy, ClassTable());
  ASSERT_EQ(added.added.size(), 1u);
  EXPECT_EQ(ck.classes.size(), 4u);
  EXPECT_EQ(ck.classifier, "neighbour");
  EXPECT_EQ(ck.enrolled_classes(), 1);
  EXPECT_TRUE(torch::allclose(ck.prototypes[ck.classes.index_of(9)], f.ck.prototypes[c2], 1e-4, 1e-5));
  // Its exemplars are class 2's, and the known classes keep theirs under their new indices.
  const auto exemplars_of = [](const Checkpoint& c, int32_t id) {
    return c.exemplars.index_select(0, torch::nonzero(c.exemplar_classes == c.classes.index_of(id)).flatten());
  };
  ASSERT_GT(exemplars_of(f.ck, 2).size(0), 0);
  EXPECT_TRUE(torch::allclose(exemplars_of(ck, 9), exemplars_of(f.ck, 2), 1e-4, 1e-5));
  for (int32_t id : {2, 3, 4}) EXPECT_TRUE(torch::equal(exemplars_of(ck, id), exemplars_of(f.ck, id)));
  EXPECT_EQ(ck.prototype_counts[ck.classes.index_of(9)].item<float>(), f.ck.prototype_counts[c2].item<float>());
  // The same pixels under their own id: the running mean stays, the count doubles.
  for (int32_t& label : copy.labels)
    if (label == 9) label = 2;
  const EnrolOutcome refined = enrol_classes(ck, f.known.cube, copy, ClassTable());
  EXPECT_EQ(refined.refined.size(), 1u);
  EXPECT_TRUE(torch::allclose(ck.prototypes[c2], f.ck.prototypes[c2], 1e-4, 1e-5));
  EXPECT_EQ(ck.prototype_counts[c2].item<float>(), 2 * f.ck.prototype_counts[c2].item<float>());
}

TEST(Neighbour, ExemplarsThatDisagreeWithTheCheckpointAreRefused) {
  Fixture& f = fixture();
  ASSERT_TRUE(f.ck.exemplars.defined());
  const auto refused = [&](const std::string& name, const Checkpoint& ck) {
    const std::string path = f.dir.file(name);
    save_checkpoint(path, ck);
    try {
      load_checkpoint(path);
      ADD_FAILURE() << name << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("exemplars"), std::string::npos) << e.what();
    }
  };
  Checkpoint unknown_class = f.ck;
  unknown_class.exemplar_classes = torch::full_like(f.ck.exemplar_classes, static_cast<int64_t>(f.ck.classes.size()));
  refused("exemplar_class.ckpt", unknown_class);
  Checkpoint wrong_size = f.ck;
  wrong_size.exemplars = torch::zeros({f.ck.exemplars.size(0), f.ck.exemplars.size(1) + 1});
  refused("exemplar_size.ckpt", wrong_size);
  Checkpoint fewer_classes = f.ck;
  fewer_classes.exemplar_classes = f.ck.exemplar_classes.narrow(0, 0, f.ck.exemplar_classes.size(0) - 1);
  refused("exemplar_count.ckpt", fewer_classes);
}

TEST(Enrol, AClassOfOnePixelIsJudgedByClassMeans) {
  // Its one pixel against the nearest of many pixels of every other class would favour those.
  Fixture& f = fixture();
  LabelMap one = f.full.labels;
  bool taken = false;
  for (int32_t& label : one.labels) label = label == kFarClass && !taken ? (taken = true, kFarClass) : 0;
  Checkpoint ck = f.ck;
  enrol_classes(ck, f.full.cube, one, ClassTable());
  EXPECT_EQ(ck.classifier, "mahalanobis");
  // A second pixel of it: every class has two, the pixels decide.
  for (size_t i = 0, n = 0; i < one.labels.size() && n < 1; ++i)
    if (f.full.labels.labels[i] == kFarClass && one.labels[i] == 0) one.labels[i] = kFarClass, ++n;
  ck = f.ck;
  enrol_classes(ck, f.full.cube, one, ClassTable());
  EXPECT_EQ(ck.classifier, "neighbour");
}

TEST(Enrol, FivePixelsOfANewClassAreEnoughAndTheCheckpointKeepsThem) {
  Fixture& f = fixture();
  LabelMap five = f.full.labels;
  int taken = 0;
  for (int32_t& label : five.labels) label = label == kFarClass && taken++ % 37 == 0 && taken <= 5 * 37 ? kFarClass : 0;
  Checkpoint ck = f.ck;
  const EnrolOutcome outcome = enrol_classes(ck, f.full.cube, five, ClassTable::parse({"1 | Roof | ff0000"}, "test"));
  ASSERT_EQ(outcome.added.at(kFarClass), 5);
  EXPECT_EQ(ck.classes.at(static_cast<size_t>(ck.classes.index_of(kFarClass))).name, "Roof");
  EXPECT_LT(outcome.seconds, 1.0);
  const std::string path = fixture().dir.file("enrolled.ckpt");
  save_checkpoint(path, ck);
  Checkpoint loaded = load_checkpoint(path);
  ASSERT_EQ(loaded.classes.size(), 4u);
  EXPECT_TRUE(torch::equal(loaded.prototypes, ck.prototypes));
  EXPECT_TRUE(torch::equal(loaded.exemplars, ck.exemplars));
  EXPECT_EQ((loaded.exemplar_classes == loaded.classes.index_of(kFarClass)).sum().item<int64_t>(), 5);
  for (int32_t id : {2, 3, 4}) {  // the new id comes first: the known classes' exemplars move up one index
    const torch::Tensor before = f.ck.exemplars.index_select(0, torch::nonzero(f.ck.exemplar_classes == f.ck.classes.index_of(id)).flatten());
    const torch::Tensor after = loaded.exemplars.index_select(0, torch::nonzero(loaded.exemplar_classes == loaded.classes.index_of(id)).flatten());
    EXPECT_TRUE(torch::equal(before, after)) << "class " << id;
  }
  EXPECT_EQ(loaded.classifier, "neighbour");
  const ScenePrediction p = predict_cube(loaded, f.full.cube, &f.full.nodata, quiet("none"));
  EXPECT_GE(share(p.ids, f.full.labels.labels, kFarClass, kFarClass), 0.9);
  int64_t right = 0, tested = 0;
  for (size_t i = 0; i < p.ids.size(); ++i)
    if (f.result.split.test[i]) ++tested, right += p.ids[i] == f.result.split.test[i];
  EXPECT_GE(static_cast<double>(right) / static_cast<double>(tested), 0.8);
  // The softmax head never saw the new class: asking for it is refused, not silently wrong.
  PredictOptions softmax = quiet("none");
  softmax.classifier = "softmax";
  EXPECT_THROW(predict_cube(loaded, f.full.cube, &f.full.nodata, softmax), Error);
  EXPECT_THROW(predict_cube(loaded, f.full.cube, &f.full.nodata, quiet("softmax")), Error);
}

// The largest cluster of the scene that no class explains is the unseen class, so the first
// suggestion lies in it, and it is a typical pixel of it, not its most outlying one; pixels
// labelled already are never suggested.
TEST(Suggest, TheFirstPixelToLabelIsATypicalPixelOfTheUnexplainedCluster) {
  Fixture& f = fixture();
  std::vector<uint8_t> taken(f.full.labels.labels.size(), 0);
  for (size_t i = 0; i < taken.size(); ++i) taken[i] = f.result.split.train[i] != 0;
  const std::vector<Suggestion> picks = suggest_pixels(f.ck, f.prepared, taken, f.full.nodata, 3);
  ASSERT_EQ(picks.size(), 3u);
  for (const Suggestion& p : picks) EXPECT_FALSE(taken[static_cast<size_t>(p.pixel)]) << p.pixel;
  EXPECT_EQ(f.full.labels.labels[static_cast<size_t>(picks[0].pixel)], kFarClass);
  EXPECT_GE(picks[0].cluster_pixels, picks[1].cluster_pixels);
  EXPECT_GE(picks[1].cluster_pixels, picks[2].cluster_pixels);
  // The unseen class's pixels are about a quarter of the scene; its cluster holds most of them.
  std::vector<int64_t> far;
  for (size_t i = 0; i < taken.size(); ++i)
    if (f.full.labels.labels[i] == kFarClass) far.push_back(static_cast<int64_t>(i));
  EXPECT_GE(static_cast<double>(picks[0].cluster_pixels), 0.8 * static_cast<double>(far.size()));
  // Typical: nearer the unseen class's mean feature than most of its pixels.
  const torch::Tensor z = metric_features(f.ck.net, f.batches(), far);
  const torch::Tensor distance = (z - z.mean(0)).pow(2).sum(1);
  const auto at = std::find(far.begin(), far.end(), picks[0].pixel) - far.begin();
  EXPECT_LT(distance[at].item<float>(), distance.median().item<float>());

  // Only pixels outside what is labelled: with everything but the unseen class taken, every
  // suggestion is one of its pixels.
  std::vector<uint8_t> all_known(taken.size(), 1);
  for (int64_t p : far) all_known[static_cast<size_t>(p)] = 0;
  for (const Suggestion& p : suggest_pixels(f.ck, f.prepared, all_known, f.full.nodata, 3))
    EXPECT_EQ(f.full.labels.labels[static_cast<size_t>(p.pixel)], kFarClass);
  EXPECT_THROW(suggest_pixels(f.ck, f.prepared, taken, f.full.nodata, 0), Error);
}

// The clusters are iterated to a fixed point: on a line, a class mean at 0 and unlabelled groups
// at 6.5 (30 points), 10 (30) and 14.5 (20) with an outlier at 30, two free centres start at the
// outlier and at 14.5. After one round the second free cluster holds 50 points; the group at 6.5
// joins it only once its centre has moved, so the fixed point holds 80, and its most central
// point is one at 10. The outlier comes last, alone.
TEST(Suggest, FreeClustersAreIteratedToTheirFixedPoint) {
  std::vector<float> values;
  for (const auto& [at, n] : std::vector<std::pair<float, int>>{{6.5f, 30}, {10.f, 30}, {14.5f, 20}, {30.f, 1}})
    for (int i = 0; i < n; ++i) values.push_back(at);
  const torch::Tensor u = torch::tensor(values).unsqueeze(1);
  const std::vector<FreeCluster> clusters = free_clusters(u, torch::zeros({1, 1}), 2);
  ASSERT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters[0].members, 80);
  EXPECT_FLOAT_EQ(values[static_cast<size_t>(clusters[0].central_row)], 10.f);
  EXPECT_EQ(clusters[1].members, 1);
  EXPECT_FLOAT_EQ(values[static_cast<size_t>(clusters[1].central_row)], 30.f);
}

}  // namespace
}  // namespace hsi
