// Model selection by cross-validation: folds over training pixels only (stratified, or grouped
// by block or by training area), the SVM's C and gamma, and the headline behaviour: on a scene whose classes are
// defined by the spectrum the selection picks a spectral model, on one whose classes are
// defined by texture it picks a window model, whatever the order of the list.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/enrol.hpp"
#include "pipeline/folds.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/run.hpp"
#include "pipeline/select.hpp"
#include "pipeline/svm_training.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

TEST(Folds, FoldCountFollowsTheSmallestClass) {
  EXPECT_EQ(fold_count({0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 3), 3);
  EXPECT_EQ(fold_count({0, 0, 1, 1, 1, 1}, 5), 2);
  EXPECT_EQ(fold_count({0, 0, 0, 1}, 5), 3) << "a one-pixel class does not set k: it is never held out";
  EXPECT_EQ(fold_count({0, 1, 2}, 5), 0) << "nothing can be held out and still be learnt";
}

TEST(Folds, StratifiedFoldsSpreadEveryClassAndKeepSingletonsInTraining) {
  std::vector<int64_t> targets;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10; ++i) targets.push_back(c);
  targets.push_back(3);  // a class with one pixel
  const Folds folds = stratified_folds(targets, 3, 7);
  ASSERT_EQ(folds.k, 3);
  EXPECT_EQ(folds.fold_of.back(), -1);
  EXPECT_FALSE(folds.notes.empty());
  for (int f = 0; f < 3; ++f) {
    std::map<int64_t, int> per_class;
    for (int64_t i : folds.held_out(f)) ++per_class[targets[i]];
    for (int c = 0; c < 3; ++c) EXPECT_GE(per_class[c], 3) << "fold " << f << " class " << c;
    EXPECT_EQ(folds.training(f).size() + folds.held_out(f).size(), targets.size());
  }
  EXPECT_EQ(stratified_folds(targets, 3, 7).fold_of, folds.fold_of) << "seeded";
  EXPECT_NE(stratified_folds(targets, 3, 8).fold_of, folds.fold_of);
}

TEST(Folds, GroupedFoldsNeverSplitAGroup) {
  std::vector<int64_t> targets, groups;
  for (int g = 0; g < 12; ++g)
    for (int i = 0; i < 4 + g % 3; ++i) {
      targets.push_back(g % 2);
      groups.push_back(g);
    }
  const Folds folds = grouped_folds(targets, groups, 3, 1);
  std::map<int64_t, std::set<int>> folds_of_group;
  for (size_t i = 0; i < groups.size(); ++i) folds_of_group[groups[i]].insert(folds.fold_of[i]);
  for (const auto& [g, f] : folds_of_group) EXPECT_EQ(f.size(), 1u) << "group " << g;
  for (int f = 0; f < 3; ++f) EXPECT_FALSE(folds.held_out(f).empty());
}

// Dealt by the fold totals alone, the three small groups of class 1 would all land in the fold
// the two large groups of class 0 left emptiest, and that fold would train without class 1.
TEST(Folds, GroupedFoldsSpreadEachClassOverTheFolds) {
  std::vector<int64_t> targets, groups;
  for (int g = 0; g < 5; ++g)
    for (int i = 0; i < (g < 2 ? 10 : 3); ++i) {
      targets.push_back(g < 2 ? 0 : 1);
      groups.push_back(g);
    }
  const Folds folds = grouped_folds(targets, groups, 3, 4);
  for (int f = 0; f < 3; ++f) {
    std::set<int64_t> held, trained;
    for (int64_t i : folds.held_out(f)) held.insert(targets[i]);
    for (int64_t i : folds.training(f)) trained.insert(targets[i]);
    EXPECT_EQ(held.count(1), 1u) << "fold " << f << " validates no pixel of class 1";
    EXPECT_EQ(trained, (std::set<int64_t>{0, 1})) << "fold " << f << " trains without a class";
  }
}

// Areas: connected pixels (diagonals too) of one class; a neighbour of another class starts
// its own area, and blocks cut an area.
TEST(Folds, AreaGroupsJoinConnectedPixelsOfOneClassCutByBlocks) {
  const int64_t cols = 10;
  auto at = [&](int64_t r, int64_t c) { return r * cols + c; };
  const std::vector<int64_t> pixels = {at(0, 0), at(0, 1), at(1, 1), at(2, 2), at(2, 3), at(7, 7)};
  const std::vector<int64_t> targets = {0, 0, 0, 0, 1, 0};
  const std::vector<int64_t> whole = area_groups(pixels, targets, 10, cols, 100);
  EXPECT_EQ(whole[0], whole[1]);
  EXPECT_EQ(whole[0], whole[2]);
  EXPECT_EQ(whole[0], whole[3]) << "diagonal neighbours are one area";
  EXPECT_NE(whole[3], whole[4]) << "a neighbour of another class is another area";
  EXPECT_NE(whole[0], whole[5]) << "pixels apart are another area";
  const std::vector<int64_t> cut = area_groups(pixels, targets, 10, cols, 2);
  EXPECT_EQ(cut[0], cut[2]);
  EXPECT_NE(cut[2], cut[3]) << "a block border cuts an area";
}

TEST(Candidates, ListsAreParsedAndBadOnesRefusedByName) {
  const std::vector<Candidate> c = parse_candidates(" ms2d:5, svm ,ms1d2d:9,ms1d", "select.candidates");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].label(), "ms2d:5");
  EXPECT_EQ(c[1].label(), "svm");
  EXPECT_EQ(c[2].patch, 9);
  EXPECT_EQ(c[3].patch, 1);
  for (const char* bad : {"ms2d", "ms2d:4", "svm:3", "ms9d:5", "", "ms2d:5,ms2d:5", "ms2d:x"}) {
    try {
      parse_candidates(bad, "select.candidates");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("select.candidates"), std::string::npos) << e.what();
    }
  }
}

// Two classes whose pixels have the same two spectra A and B in equal shares: class 1 lays
// them out as a checkerboard, class 2 as stripes. One spectrum cannot tell them apart; any
// window of 3 x 3 or more can.
// An R x C x B scene of zeros, every pixel labelled (ids set by the caller), no nodata.
Scene blank_scene(const std::string& name, int64_t R, int64_t C, int64_t B, const std::vector<int32_t>& ids) {
  Scene scene;
  scene.name = name;
  scene.cube.rows = R;
  scene.cube.cols = C;
  scene.cube.bands = B;
  scene.cube.data.resize(R * C * B);
  scene.labels.rows = R;
  scene.labels.cols = C;
  scene.labels.labels.resize(R * C);
  scene.classes = ClassTable::from_ids(ids);
  scene.nodata.assign(R * C, 0);
  return scene;
}

Scene texture_scene() {
  const int64_t R = 24, C = 24, B = 8;
  Scene scene = blank_scene("texture", R, C, B, {1, 2});
  torch::manual_seed(4);
  const torch::Tensor noise = 0.05 * torch::randn({R * C * B});
  for (int64_t y = 0; y < R; ++y)
    for (int64_t x = 0; x < C; ++x) {
      const bool left = x < C / 2;
      const bool a = left ? (x + y) % 2 == 0 : y % 2 == 0;
      for (int64_t b = 0; b < B; ++b) scene.cube.data[(y * C + x) * B + b] = (a ? 1.0f : -1.0f) * (b % 2 ? 1 : -1) + noise[(y * C + x) * B + b].item<float>();
      scene.labels.labels[y * C + x] = left ? 1 : 2;
    }
  return scene;
}

// Two fields, each one spectrum plus a little noise: every candidate gets every held-out pixel
// right, so the folds tie.
Scene two_fields_scene() {
  const int64_t R = 24, C = 24, B = 8;
  Scene scene = blank_scene("two fields", R, C, B, {1, 2});
  torch::manual_seed(6);
  const torch::Tensor noise = 0.1 * torch::randn({R * C * B});
  for (int64_t p = 0; p < R * C; ++p) {
    const bool left = p % C < C / 2;
    for (int64_t b = 0; b < B; ++b) scene.cube.data[p * B + b] = (left == (b % 2 == 0) ? 1.0f : -1.0f) + noise[p * B + b].item<float>();
    scene.labels.labels[p] = left ? 1 : 2;
  }
  return scene;
}

// Classes assigned pixel by pixel at random (no spatial structure), each with its own
// spectrum: the neighbours of a pixel say nothing about it, its spectrum everything.
Scene salt_and_pepper_scene() {
  const int64_t R = 24, C = 24, B = 8;
  Scene scene = blank_scene("salt and pepper", R, C, B, {1, 2, 3});
  torch::manual_seed(5);
  const torch::Tensor centres = torch::randn({3, B});
  const torch::Tensor classes = torch::randint(0, 3, {R * C});
  const torch::Tensor noise = 0.25 * torch::randn({R * C, B});
  for (int64_t p = 0; p < R * C; ++p) {
    const int64_t c = classes[p].item<int64_t>();
    for (int64_t b = 0; b < B; ++b) scene.cube.data[p * B + b] = centres[c][b].item<float>() + noise[p][b].item<float>();
    scene.labels.labels[p] = static_cast<int32_t>(c + 1);
  }
  return scene;
}

// Every pixel a mixture of three endmember spectra, shaded by a factor in [0.1, 1.2], labelled
// with its dominant endmember (abundance 0.6-0.9): how abundance-map ground truths are made.
Scene mixture_scene() {
  const int64_t R = 24, C = 24, B = 12;
  Scene scene = blank_scene("mixtures", R, C, B, {1, 2, 3});
  torch::manual_seed(6);
  const torch::Tensor endmembers = torch::rand({3, B}) + 0.1;
  for (int64_t p = 0; p < R * C; ++p) {
    const int64_t c = torch::randint(0, 3, {1}).item<int64_t>();
    const float dominant = 0.6f + 0.3f * torch::rand({1}).item<float>();
    torch::Tensor a = torch::rand({3});
    a[c] = 0;
    a = a / a.sum() * (1 - dominant);
    a[c] = dominant;
    const torch::Tensor x = (0.1 + 1.1 * torch::rand({1})) * a.matmul(endmembers) + 0.002 * torch::randn({B});
    for (int64_t b = 0; b < B; ++b) scene.cube.data[p * B + b] = x[b].item<float>();
    scene.labels.labels[p] = static_cast<int32_t>(c + 1);
  }
  return scene;
}

RunSettings selection_settings(const std::string& candidates) {
  RunSettings s;
  s.split.per_class = 15;
  s.preprocess.pca = 0;
  s.model.name = "auto";
  s.model.width = 8;
  s.model.embedding = 16;
  s.model.metric_dim = 8;
  s.train.epochs = 4;
  s.train.min_steps = 60;
  s.train.augment = false;  // the stripes of the texture scene are not rotation-invariant
  s.select.candidates = candidates;
  s.select.train_share = 1.0;
  s.threads = 2;
  return s;
}

TEST(Selection, PicksAWindowModelWhereClassesAreTexture) {
  const Scene scene = texture_scene();
  // The SVM first: it wins every tie, so a window model must be strictly better to win.
  const RunSettings s = selection_settings("svm, ms2d:5");
  const Split split = make_split(scene.labels, s.split, 2, 0);
  const Selection sel = select_model(scene, s, split, false);
  ASSERT_EQ(sel.scores.size(), 2u);
  EXPECT_EQ(sel.folds, 3);
  EXPECT_EQ(sel.chosen.label(), "ms2d:5") << selection_markdown(sel);
  EXPECT_LT(sel.scores[0].mean, 0.8) << "one spectrum cannot tell checkerboard from stripes";
  EXPECT_GT(sel.scores[1].mean, 0.9);
  EXPECT_LT(sel.scores[0].log_loss, 0) << "the SVM gives no probabilities";
  EXPECT_GT(sel.scores[1].log_loss, 0);
}

TEST(Selection, PicksASpectralModelWhereNeighboursSayNothing) {
  const Scene scene = salt_and_pepper_scene();
  const RunSettings s = selection_settings("ms2d:9, svm");  // the large window wins ties
  const Split split = make_split(scene.labels, s.split, 4, 0);
  const Selection sel = select_model(scene, s, split, false);
  EXPECT_EQ(sel.chosen.label(), "svm") << selection_markdown(sel);
  EXPECT_GT(sel.scores[1].mean, sel.scores[0].mean);
  const std::string json = selection_json(sel);
  EXPECT_NE(json.find("\"chosen\": \"svm\""), std::string::npos) << json;
}

TEST(Selection, PicksUnmixingWhereLabelsAreDominantEndmembersAndNotWhereTheyAreTexture) {
  // The SVM first: it wins every tie, so unmixing must be strictly better to win. Six pixels a
  // class: too few for the SVM to learn that brightness does not matter.
  RunSettings s = selection_settings("svm, unmix");
  s.split.per_class = 6;
  const Scene mixtures = mixture_scene();
  const Selection sel = select_model(mixtures, s, make_split(mixtures.labels, s.split, 3, 0), false);
  EXPECT_EQ(sel.chosen.label(), "unmix") << selection_markdown(sel);
  EXPECT_GT(sel.scores[1].mean, 0.97) << selection_markdown(sel);
  EXPECT_LT(sel.scores[1].log_loss, 0) << "unmixing gives no probabilities";
  // Checkerboard against stripes: no spectrum, mixed or not, tells them apart.
  const Scene texture = texture_scene();
  const Selection on_texture = select_model(texture, selection_settings("unmix, ms2d:5"), make_split(texture.labels, s.split, 2, 0), false);
  EXPECT_EQ(on_texture.chosen.label(), "ms2d:5") << selection_markdown(on_texture);
  EXPECT_LT(on_texture.scores[0].mean, 0.8) << selection_markdown(on_texture);
}

// A model that must reject pixels is a network: with open_set.rule set, the selection leaves
// unmixing and the SVM out (before, unmixing won here and the rule was dropped without a word),
// and a list with no network is refused when the settings are checked.
TEST(Selection, AnOpenSetRuleLeavesOnlyNetworksToChooseFrom) {
  RunSettings s = selection_settings("svm, unmix, ms1d");
  s.split.per_class = 6;
  s.open_set.rule = "mahalanobis";
  const Scene mixtures = mixture_scene();
  const Selection sel = select_model(mixtures, s, make_split(mixtures.labels, s.split, 3, 0), false);
  EXPECT_EQ(sel.chosen.label(), "ms1d") << selection_markdown(sel);
  ASSERT_EQ(sel.scores.size(), 1u) << selection_markdown(sel);
  EXPECT_NE(selection_markdown(sel).find("only the networks of select.candidates (ms1d)"), std::string::npos) << selection_markdown(sel);
  s.select.candidates = "svm, unmix";
  EXPECT_THROW(s.validate(), Error);
  s.open_set.rule = "none";
  EXPECT_NO_THROW(s.validate());
}

// Racing is exact: a candidate that cannot beat the leader even with perfect remaining folds
// stops early, and the choice is the one the full evaluation would make.
TEST(Selection, CandidatesThatCannotWinStopEarly) {
  const Scene scene = salt_and_pepper_scene();
  const RunSettings s = selection_settings("svm, ms2d:9");
  const Split split = make_split(scene.labels, s.split, 4, 0);
  const Selection sel = select_model(scene, s, split, false);
  ASSERT_EQ(sel.scores.size(), 2u);
  EXPECT_EQ(sel.chosen.label(), "svm");
  EXPECT_NE(sel.scores[1].skipped.find("cannot beat svm"), std::string::npos) << sel.scores[1].skipped;
  EXPECT_LT(sel.scores[1].fold_oa.size(), 3u);
  EXPECT_NE(selection_markdown(sel).find("cannot beat svm"), std::string::npos);
  // The stopped candidate's row says so and keeps its seconds, which the selection spent.
  EXPECT_NE(selection_markdown(sel).find("| ms2d:9 | stopped | - | " + format_fixed(sel.scores[1].seconds, 1) + " | stopped after"), std::string::npos)
      << selection_markdown(sel);
  EXPECT_NE(selection_json(sel).find("\"folds_scored\": " + std::to_string(sel.scores[1].fold_oa.size())), std::string::npos) << selection_json(sel);
  // A perfect leader saturates the folds: the report says the order, not the folds, chose.
  ASSERT_DOUBLE_EQ(sel.scores[0].mean, 1.0) << selection_markdown(sel);
  EXPECT_NE(sel.reason.find("folds are saturated"), std::string::npos) << sel.reason;
}

// Networks tied on CV OA (here every fold right for both) are told apart by the held-out
// log-loss, whatever their order in the list; with select.tie_break = order the first listed
// keeps the tie and the other is stopped before its first fold.
TEST(Selection, TiedNetworksGoToTheLowerLogLossWhateverTheirOrder) {
  const Scene scene = two_fields_scene();
  RunSettings s = selection_settings("ms1d, ms1d2d:3");
  const Split split = make_split(scene.labels, s.split, 2, 0);
  const Selection forward = select_model(scene, s, split, false);
  ASSERT_EQ(forward.scores.size(), 2u);
  ASSERT_TRUE(forward.scores[0].skipped.empty()) << selection_markdown(forward);
  ASSERT_DOUBLE_EQ(forward.scores[0].mean, 1.0) << "the test needs a tie: " << selection_markdown(forward);
  s.select.candidates = "ms1d2d:3, ms1d";
  const Selection reverse = select_model(scene, s, split, false);
  ASSERT_DOUBLE_EQ(reverse.scores[0].mean, 1.0) << "the test needs a tie: " << selection_markdown(reverse);
  EXPECT_EQ(forward.chosen.label(), reverse.chosen.label()) << selection_markdown(forward) << selection_markdown(reverse);
  // Where the winner came second it ran every fold; its log-loss is below the first's.
  const Selection& second_won = forward.chosen == forward.scores[1].candidate ? forward : reverse;
  ASSERT_TRUE(second_won.scores[1].skipped.empty()) << selection_markdown(second_won);
  EXPECT_DOUBLE_EQ(second_won.scores[1].mean, 1.0) << selection_markdown(second_won);
  EXPECT_LT(second_won.scores[1].log_loss, second_won.scores[0].log_loss) << selection_markdown(second_won);
  EXPECT_NE(second_won.reason.find("lowest held-out log-loss"), std::string::npos) << second_won.reason;

  s.select.tie_break = "order";
  const Selection by_order = select_model(scene, s, split, false);
  EXPECT_EQ(by_order.chosen.label(), "ms1d2d:3") << selection_markdown(by_order);
  EXPECT_EQ(by_order.scores[1].fold_oa.size(), 0u) << "it could at best tie: " << selection_markdown(by_order);
  EXPECT_NE(by_order.reason.find("list's order decided"), std::string::npos) << by_order.reason;
}

TEST(Selection, TooFewPixelsFallsBackAndABudgetSkipsTheRest) {
  const Scene scene = salt_and_pepper_scene();
  RunSettings s = selection_settings("ms2d:3, svm");
  s.split.per_class = 1;
  s.select.fallback = "ms1d";
  Selection sel = select_model(scene, s, make_split(scene.labels, s.split, 1, 0), false);
  EXPECT_EQ(sel.folds, 0);
  EXPECT_EQ(sel.chosen.label(), "ms1d");
  EXPECT_TRUE(sel.scores.empty());

  s = selection_settings("svm, ms2d:3, ms2d:5");
  s.select.budget_s = 1e-9;  // spent once the first candidate ran
  sel = select_model(scene, s, make_split(scene.labels, s.split, 2, 0), false);
  ASSERT_EQ(sel.scores.size(), 3u);
  EXPECT_TRUE(sel.scores[0].skipped.empty());
  EXPECT_FALSE(sel.scores[1].skipped.empty());
  EXPECT_FALSE(sel.scores[2].skipped.empty());
  EXPECT_EQ(sel.chosen.label(), "svm");
}

// The folds use training pixels only, partition them, and with a blocks split keep every
// fold's training pixels out of the window radius of the pixels it is scored on.
TEST(Selection, FoldsUseTrainingPixelsOnlyAndBlocksKeepAGuardBand) {
  const Scene scene = salt_and_pepper_scene();
  for (const std::string mode : {"fixed", "blocks"}) {
    RunSettings s = selection_settings("ms2d:3, ms2d:7");
    s.split.mode = mode;
    s.split.block_size = 6;
    s.split.block_train_fraction = 0.5;
    s.split.per_class = 40;
    const Split split = make_split(scene.labels, s.split, 3, 0);
    const CvPlan plan = plan_cross_validation(scene, s, split);
    ASSERT_EQ(plan.k, 3) << mode;
    ASSERT_FALSE(plan.folds.empty());
    std::set<int64_t> held_everywhere;
    for (const CvFold& fold : plan.folds) {
      for (const Samples* set : {&fold.train, &fold.held})
        for (size_t i = 0; i < set->size(); ++i) {
          const int64_t p = set->pixels[i];
          ASSERT_NE(split.train[p], 0) << mode << ": pixel " << p << " is not a training pixel";
          EXPECT_EQ(set->targets[i], split.train[p] - 1);
        }
      for (int64_t p : fold.held.pixels) EXPECT_TRUE(held_everywhere.insert(p).second) << "held out twice: " << p;
      if (mode != "blocks") continue;
      for (int64_t t : fold.train.pixels)
        for (int64_t h : fold.held.pixels) {
          const int64_t dy = std::abs(t / 24 - h / 24), dx = std::abs(t % 24 - h % 24);
          EXPECT_GT(std::max(dy, dx), 3) << "fold trains on " << t << " next to held-out " << h;
        }
    }
    EXPECT_NE(plan.method.find(mode == "blocks" ? "block-grouped (guard band 3 px)" : "stratified"), std::string::npos) << plan.method;
  }
}

// External maps: the folds copy how the test pixels lie to the training pixels. Training
// patches with the test pixels around them (a survey's polygons, a benchmark's disjoint maps)
// give folds that hold out whole patches behind a guard band; training pixels strewn among the
// test pixels keep stratified folds, as random splits do.
TEST(Selection, DisjointExternalMapsHoldOutWholeTrainingAreas) {
  const Scene scene = salt_and_pepper_scene();
  const int64_t R = 24, C = 24;
  RunSettings s = selection_settings("svm, ms2d:3");
  s.split.mode = "external";
  s.split.block_size = 24;  // no block cuts a patch here
  Split split;
  split.rows = R;
  split.cols = C;
  split.mode = "external";
  split.train.assign(R * C, 0);
  split.validation.assign(R * C, 0);
  // Class c's three 3 x 3 patches in column band c, rows 1-3, 10-12 and 19-21.
  std::map<int64_t, int> patch_of;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 3; ++i)
      for (int64_t y = 1 + 9 * i; y < 4 + 9 * i; ++y)
        for (int64_t x = 1 + 9 * c; x < 4 + 9 * c; ++x) {
          split.train[y * C + x] = c + 1;
          patch_of[y * C + x] = 3 * c + i;
        }
  split.test = scene.labels.labels;
  for (int64_t p = 0; p < R * C; ++p)
    if (split.train[p]) split.test[p] = 0;
  EXPECT_LT(test_share_near_training(split, 1), 0.5);
  const CvPlan plan = plan_cross_validation(scene, s, split);
  ASSERT_EQ(plan.folds.size(), 3u) << plan.method;
  EXPECT_NE(plan.method.find("area-grouped (guard band 1 px)"), std::string::npos) << plan.method;
  EXPECT_NE(plan.method.find("spatially disjoint"), std::string::npos) << plan.method;
  std::map<int, int> fold_of_patch;
  for (size_t f = 0; f < plan.folds.size(); ++f) {
    const CvFold& fold = plan.folds[f];
    std::set<int64_t> held_classes;
    for (size_t i = 0; i < fold.held.size(); ++i) {
      held_classes.insert(fold.held.targets[i]);
      const auto [it, first] = fold_of_patch.emplace(patch_of.at(fold.held.pixels[i]), static_cast<int>(f));
      EXPECT_EQ(it->second, static_cast<int>(f)) << "patch " << it->first << " is split over folds";
    }
    EXPECT_EQ(held_classes.size(), 3u) << "fold " << f << " holds out one patch of each class";
    for (int64_t t : fold.train.pixels)
      for (int64_t h : fold.held.pixels)
        EXPECT_GT(std::max(std::abs(t / C - h / C), std::abs(t % C - h % C)), 1) << "fold trains on " << t << " next to held-out " << h;
  }
  EXPECT_EQ(fold_of_patch.size(), 9u);

  // The same scene with every fourth pixel for training: the test pixels lie among them.
  for (int64_t p = 0; p < R * C; ++p) {
    const bool train = (p / C + p % C) % 4 == 0;
    split.train[p] = train ? scene.labels.labels[p] : 0;
    split.test[p] = train ? 0 : scene.labels.labels[p];
  }
  EXPECT_GT(test_share_near_training(split, 1), 0.9);
  const CvPlan interleaved = plan_cross_validation(scene, s, split);
  EXPECT_NE(interleaved.method.find("stratified"), std::string::npos) << interleaved.method;
  EXPECT_NE(interleaved.method.find("interleaved"), std::string::npos) << interleaved.method;
}

TEST(SvmTraining, CrossValidatedFitSeparatesCleanClassesAndIsDeterministic) {
  const Scene scene = salt_and_pepper_scene();
  std::vector<int64_t> pixels, targets;
  for (int64_t p = 0; p < 90; ++p) {
    pixels.push_back(p);
    targets.push_back(scene.labels.labels[p] - 1);
  }
  const std::vector<float> x = spectra_of(scene.cube, pixels);
  const SvmFit a = fit_svm(x, 8, targets, 3, 3, 0), b = fit_svm(x, 8, targets, 3, 3, 0);
  EXPECT_EQ(a.folds, 3);
  EXPECT_GT(a.cv_accuracy, 0.9);
  EXPECT_EQ(a.model.c(), b.model.c());
  EXPECT_EQ(a.model.gamma(), b.model.gamma());
  // Scored on pixels it never saw.
  std::vector<int64_t> rest;
  for (int64_t p = 90; p < 576; ++p) rest.push_back(p);
  const std::vector<float> rx = spectra_of(scene.cube, rest);
  const torch::Tensor predicted = a.model.vote_shares(torch::from_blob(const_cast<float*>(rx.data()), {static_cast<int64_t>(rest.size()), 8})).argmax(1);
  int64_t hit = 0;
  for (size_t i = 0; i < rest.size(); ++i) hit += predicted[i].item<int64_t>() == scene.labels.labels[rest[i]] - 1;
  EXPECT_GT(static_cast<double>(hit) / rest.size(), 0.9);
}

// model.name = auto end to end: the selection runs on the training pixels, the winner is
// trained, the report and the checkpoint carry the table, and the checkpoint alone (an SVM
// here) reproduces the map through the common prediction loop.
TEST(Selection, AutoTrainsTheWinnerAndRecordsTheTable) {
  const Scene scene = salt_and_pepper_scene();
  test::TempDir dir;
  RunSettings s = selection_settings("ms2d:9, svm");
  s.out = dir.path();
  RunOptions o;
  o.verbose = false;
  const RunResult result = run_training(scene, s, o);
  EXPECT_EQ(result.model, "svm");
  EXPECT_TRUE(result.selected);
  EXPECT_GT(result.accuracy.overall, 0.9);
  const std::string report = test::slurp(dir.file("report.md"));
  EXPECT_NE(report.find("## Model selection"), std::string::npos);
  EXPECT_NE(report.find("svm (chosen)"), std::string::npos) << report;
  EXPECT_NE(test::slurp(dir.file("report.json")).find("\"model_selection\": {"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("selection.json")));
  Checkpoint ck = load_checkpoint(dir.file("best.ckpt"));
  ASSERT_TRUE(ck.svm);
  EXPECT_FALSE(ck.net);
  ASSERT_EQ(ck.selection.size(), 2u);
  EXPECT_NE(ck.selection[1].find("chosen"), std::string::npos);
  PredictOptions po;
  po.progress = false;
  po.tile = 16;  // several tiles
  const ScenePrediction p = predict_cube(ck, scene.cube, nullptr, po);
  EXPECT_EQ(p.stats.classifier, "svm");
  EXPECT_EQ(p.stats.tiles, 4);
  EXPECT_EQ(p.ids, read_labels(dir.file("map.tif")).labels);
}

// An unmixing checkpoint end to end: trained by auto, saved, loaded, and its map reproduced by
// the common prediction loop from the checkpoint alone.
TEST(Selection, AutoTrainsUnmixingAndItsCheckpointPredicts) {
  const Scene scene = mixture_scene();
  test::TempDir dir;
  RunSettings s = selection_settings("svm, unmix");
  s.split.per_class = 6;
  s.out = dir.path();
  RunOptions o;
  o.verbose = false;
  const RunResult result = run_training(scene, s, o);
  EXPECT_EQ(result.model, "unmix");
  EXPECT_GT(result.accuracy.overall, 0.97);
  EXPECT_NE(test::slurp(dir.file("report.md")).find("unmix (chosen)"), std::string::npos);
  Checkpoint ck = load_checkpoint(dir.file("best.ckpt"));
  ASSERT_TRUE(ck.unmixing);
  // Spectra are unmixed relative to where zero reflectance lands after the standardisation.
  const std::vector<float> origin = ck.preprocessor.zero_spectrum();
  const torch::Tensor stored = ck.unmixing->state().origin;
  EXPECT_TRUE(torch::allclose(stored, torch::tensor(origin))) << stored;
  EXPECT_GT(stored.abs().max().item<float>(), 0.5f);
  EXPECT_FALSE(ck.net);
  EXPECT_FALSE(ck.svm);
  PredictOptions po;
  po.progress = false;
  po.tile = 16;
  const ScenePrediction p = predict_cube(ck, scene.cube, nullptr, po);
  EXPECT_EQ(p.stats.classifier, "unmix");
  EXPECT_EQ(p.stats.tiles, 4);
  EXPECT_EQ(p.ids, read_labels(dir.file("map.tif")).labels);
  po.unknown = "mahalanobis";
  EXPECT_THROW(predict_cube(ck, scene.cube, nullptr, po), Error);
}

// A class enrolled into an unmixing checkpoint from five pixels: its mean becomes an endmember
// and the map finds the class; pixels of a known class refine its endmember as a running mean.
TEST(UnmixingRun, EnrolsANewClassFromFivePixelsAndRefinesKnownOnes) {
  const Scene scene = mixture_scene();
  Scene known = scene;
  for (int32_t& id : known.labels.labels)
    if (id == 3) id = 0;
  known.classes = ClassTable::from_ids({1, 2});
  test::TempDir dir;
  RunSettings s = selection_settings("unmix");
  s.model.name = "unmix";
  s.split.per_class = 6;
  s.out = dir.path();
  RunOptions o;
  o.verbose = false;
  run_training(known, s, o);
  Checkpoint ck = load_checkpoint(dir.file("best.ckpt"));
  ASSERT_TRUE(ck.unmixing);
  const auto accuracy = [&](const std::vector<int32_t>& ids, int32_t only) {
    int64_t hit = 0, n = 0;
    for (size_t p = 0; p < ids.size(); ++p) {
      const int32_t truth = scene.labels.labels[p];
      if (truth == 0 || (only && truth != only)) continue;
      ++n;
      hit += ids[p] == truth;
    }
    return static_cast<double>(hit) / static_cast<double>(n);
  };
  PredictOptions po;
  po.progress = false;
  EXPECT_LT(accuracy(predict_cube(ck, scene.cube, nullptr, po).ids, 0), 0.8) << "a third of the scene is a class the model does not know";

  // Five pixels of class 3, and three of class 1.
  LabelMap extra = scene.labels;
  int taken3 = 0, taken1 = 0;
  std::vector<int64_t> class1;
  for (size_t p = 0; p < extra.labels.size(); ++p) {
    int32_t& id = extra.labels[p];
    if (id == 3 && taken3 < 5) {
      ++taken3;
    } else if (id == 1 && taken1 < 3) {
      ++taken1;
      class1.push_back(static_cast<int64_t>(p));
    } else {
      id = 0;
    }
  }
  const UnmixingModel::State before = ck.unmixing->state();
  const EnrolOutcome outcome = enrol_classes(ck, scene.cube, extra, ClassTable::from_ids({3}));
  EXPECT_EQ(outcome.added, (std::map<int32_t, int64_t>{{3, 5}}));
  EXPECT_EQ(outcome.refined, (std::map<int32_t, int64_t>{{1, 3}}));
  EXPECT_EQ(ck.classes.size(), 3u);
  EXPECT_EQ(ck.classifier, "unmix");
  const UnmixingModel::State after = ck.unmixing->state();
  ASSERT_EQ(after.trained_classes, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(after.counts[0], before.counts[0] + 3);
  // Class 1's endmember: the running mean over the old pixels and the three new ones.
  Cube prepared = scene.cube;
  ck.preprocessor.apply(prepared);
  const std::vector<float> added = spectra_of(prepared, class1);
  const torch::Tensor added_sum = torch::from_blob(const_cast<float*>(added.data()), {3, prepared.bands}).sum(0);
  const torch::Tensor expected = (before.endmembers[0] * static_cast<double>(before.counts[0]) + added_sum) / static_cast<double>(before.counts[0] + 3);
  EXPECT_TRUE(torch::allclose(after.endmembers[0], expected, 1e-4, 1e-5));
  EXPECT_TRUE(torch::equal(after.endmembers[1], before.endmembers[1]));

  const std::vector<int32_t> ids = predict_cube(ck, scene.cube, nullptr, po).ids;
  EXPECT_GT(accuracy(ids, 3), 0.95);
  EXPECT_GT(accuracy(ids, 0), 0.97);
  save_checkpoint(dir.file("enrolled.ckpt"), ck);
  Checkpoint back = load_checkpoint(dir.file("enrolled.ckpt"));
  EXPECT_EQ(predict_cube(back, scene.cube, nullptr, po).ids, ids);
}

}  // namespace
}  // namespace hsi
