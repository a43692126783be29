// Property tests of the splits on the real Salinas-A ground truth.
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/split.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace hsi {
namespace {

const LabelMap& salinas_a_gt() {
  static const LabelMap gt = read_labels(std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat");
  return gt;
}

void expect_partition(const Split& s, const LabelMap& gt) {
  int64_t train = 0, val = 0, test = 0;
  for (size_t i = 0; i < gt.labels.size(); ++i) {
    const int in_sets = (s.train[i] != 0) + (s.validation[i] != 0) + (s.test[i] != 0);
    ASSERT_LE(in_sets, 1) << "pixel " << i << " in two sets";
    for (int32_t v : {s.train[i], s.validation[i], s.test[i]}) {
      if (v != 0) {
        ASSERT_EQ(v, gt.labels[i]) << "a set holds a label the ground truth does not";
      }
    }
    train += s.train[i] != 0;
    val += s.validation[i] != 0;
    test += s.test[i] != 0;
  }
  int64_t counted_train = 0, counted_test = 0, counted_removed = 0, total = 0;
  for (const auto& c : s.counts) {
    counted_train += c.train;
    counted_test += c.test;
    counted_removed += c.removed;
    total += c.total;
  }
  EXPECT_EQ(counted_train, train);
  EXPECT_EQ(counted_test, test);
  EXPECT_EQ(total, 5348);
  if (s.mode != "blocks") {
    EXPECT_EQ(train + val + test, total);
  } else {
    EXPECT_LE(train + val + test + counted_removed, total);
  }
}

struct Mode {
  std::string mode;
  int per_class;
  double validation;
};

class SplitModes : public ::testing::TestWithParam<Mode> {};

TEST_P(SplitModes, DisjointCompleteAndSeeded) {
  SplitSettings settings;
  settings.mode = GetParam().mode;
  settings.per_class = GetParam().per_class;
  settings.fraction = 0.05;
  settings.validation_fraction = GetParam().validation;
  const Split a = make_split(salinas_a_gt(), settings, 4, 0);
  expect_partition(a, salinas_a_gt());
  const Split again = make_split(salinas_a_gt(), settings, 4, 0);
  EXPECT_EQ(a.train, again.train);
  EXPECT_EQ(a.test, again.test);
  const Split other = make_split(salinas_a_gt(), settings, 4, 1);
  EXPECT_NE(a.train, other.train);
  for (const auto& c : a.counts) EXPECT_GT(c.train, 0) << "class " << c.id;
}

INSTANTIATE_TEST_SUITE_P(All, SplitModes,
                         ::testing::Values(Mode{"fixed", 10, 0.0}, Mode{"fixed", 5, 0.0}, Mode{"fixed", 20, 0.25},
                                           Mode{"fraction", 0, 0.0}, Mode{"blocks", 10, 0.0}, Mode{"blocks", 50, 0.2}));

TEST(BlocksSplit, NoTrainingPixelWithinThePatchRadiusOfATestPixel) {
  const LabelMap& gt = salinas_a_gt();
  for (int radius : {1, 4, 7}) {
    for (int seed : {0, 1, 2}) {
      SplitSettings settings;
      settings.mode = "blocks";
      settings.block_size = 12;
      settings.block_train_fraction = 0.3;
      settings.per_class = 10;
      const Split s = make_split(gt, settings, radius, seed);
      const std::vector<int64_t> train = Split::pixels_of(s.train), test = Split::pixels_of(s.test);
      ASSERT_FALSE(test.empty());
      for (int64_t t : test) {
        for (int64_t p : train) {
          const int64_t dr = std::abs(t / gt.cols - p / gt.cols), dc = std::abs(t % gt.cols - p % gt.cols);
          ASSERT_GT(std::max(dr, dc), radius) << "test " << t << " sees training pixel " << p;
        }
      }
      int64_t removed = 0;
      for (const auto& c : s.counts) {
        removed += c.removed;
        EXPECT_LE(c.train, 10);
      }
      if (radius == 7) {
        EXPECT_GT(removed, 0) << "a guard band of 7 around 12x12 blocks must remove pixels";
      }
    }
  }
}

// fixed:N takes exactly N labelled pixels of every class (Salinas-A's classes hold 391 to 1525),
// the validation share is floor(fraction * N) of them (at least one pixel left to train on),
// and every other pixel of the class is a test pixel.
TEST(FixedSplit, ExactCountsPerClassAndValidationShare) {
  const LabelMap& gt = salinas_a_gt();
  std::map<int32_t, int64_t> total;
  for (int32_t v : gt.labels) {
    if (v != 0) ++total[v];
  }
  ASSERT_EQ(total.size(), 6u);
  for (int n : {1, 2, 3, 5, 10, 20}) {
    for (double fraction : {0.0, 0.25, 0.5}) {
      SplitSettings settings;
      settings.per_class = n;
      settings.validation_fraction = fraction;
      const Split s = make_split(gt, settings, 4, 7);
      ASSERT_EQ(s.counts.size(), 6u);
      for (const auto& c : s.counts) {
        const int64_t validation = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(fraction * n)));
        EXPECT_EQ(c.train + c.validation, n) << "fixed:" << n << " class " << c.id;
        EXPECT_EQ(c.validation, validation) << "fixed:" << n << " validation " << fraction << " class " << c.id;
        EXPECT_EQ(c.test, total[c.id] - n) << "class " << c.id;
        EXPECT_EQ(c.total, total[c.id]);
      }
      // A class that cannot spare a validation pixel says so (and keeps them all for training).
      const bool spare = std::floor(fraction * n) >= 1 && n > 1;
      EXPECT_EQ(s.notes.empty(), fraction == 0 || spare) << "fixed:" << n << " validation " << fraction;
    }
  }
}

// blocks:N: at most N training pixels per class; a 12 x 12 block holding a training pixel holds
// no test pixel; a labelled pixel in no set lies in a training block or within the guard band
// of a training pixel, and the counts' "removed" are exactly the latter outside training blocks.
TEST(BlocksSplit, CountsAddUpAndTrainingStaysInsideItsBlocks) {
  const LabelMap& gt = salinas_a_gt();
  SplitSettings settings;
  settings.mode = "blocks";
  settings.per_class = 10;
  const int radius = 6;
  const Split s = make_split(gt, settings, radius, 3);
  auto block = [&](int64_t p) { return (p / gt.cols) / 12 * 1000 + (p % gt.cols) / 12; };
  std::set<int64_t> training_blocks;
  const std::vector<int64_t> train = Split::pixels_of(s.train);
  for (int64_t p : train) training_blocks.insert(block(p));
  for (int64_t p : Split::pixels_of(s.test)) EXPECT_EQ(training_blocks.count(block(p)), 0u) << "test pixel " << p << " in a training block";
  std::map<int32_t, int64_t> guarded;
  for (int64_t p = 0; p < static_cast<int64_t>(gt.labels.size()); ++p) {
    if (gt.labels[p] == 0 || s.train[p] || s.validation[p] || s.test[p] || training_blocks.count(block(p))) continue;
    bool near_training = false;
    for (int64_t t : train) {
      near_training = near_training || std::max(std::abs(t / gt.cols - p / gt.cols), std::abs(t % gt.cols - p % gt.cols)) <= radius;
    }
    EXPECT_TRUE(near_training) << "pixel " << p << " dropped without reason";
    ++guarded[gt.labels[p]];
  }
  int64_t removed = 0;
  for (const auto& c : s.counts) {
    EXPECT_GT(c.train, 0) << "class " << c.id;
    EXPECT_LE(c.train, 10) << "class " << c.id;
    EXPECT_EQ(c.removed, guarded[c.id]) << "class " << c.id;
    EXPECT_LE(c.train + c.validation + c.test + c.removed, c.total) << "class " << c.id;
    removed += c.removed;
  }
  EXPECT_GT(removed, 0);
}

TEST(FixedSplit, SmallClassIsCappedAndReported) {
  LabelMap gt;
  gt.rows = 4;
  gt.cols = 5;
  gt.labels = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0};
  SplitSettings settings;
  settings.per_class = 5;
  const Split s = make_split(gt, settings, 0, 0);
  EXPECT_EQ(s.counts[1].train, 2);  // half of the 4 pixels of class 2
  EXPECT_EQ(s.counts[1].test, 2);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("class 2"), std::string::npos);
}

TEST(Split, BadInputs) {
  LabelMap gt;
  gt.rows = 3;
  gt.cols = 3;
  gt.source = "gt";
  gt.labels = {1, 1, 1, 2, 0, 0, 0, 0, 0};
  SplitSettings settings;
  EXPECT_THROW(make_split(gt, settings, 0, 0), Error);  // class 2 has one pixel
  gt.labels.assign(9, 0);
  EXPECT_THROW(make_split(gt, settings, 0, 0), Error);  // nothing labelled
  gt.labels = {1, 1, 1, 2, 2, 2, 0, 0, 0};
  EXPECT_THROW(make_split(gt, settings, 2, 0), Error);  // 5x5 window on a 3x3 scene
}

TEST(Split, SavedSplitReloadsAndRejectsOtherSizes) {
  test::TempDir dir;
  SplitSettings settings;
  settings.validation_fraction = 0.3;
  const Split s = make_split(salinas_a_gt(), settings, 4, 3);
  save_split(s, dir.path(), ClassTable::from_ids({1, 10, 11, 12, 13, 14}), GeoInfo{});
  const Split back = load_split(dir.path(), 83, 86);
  EXPECT_EQ(back.train, s.train);
  EXPECT_EQ(back.validation, s.validation);
  EXPECT_EQ(back.test, s.test);
  EXPECT_THROW(load_split(dir.path(), 145, 145), Error);
}

TEST(ExternalSplit, OverlapAndMissingClassesAreRefused) {
  test::TempDir dir;
  SplitSettings settings;
  const Split s = make_split(salinas_a_gt(), settings, 4, 0);
  const ClassTable classes = ClassTable::from_ids({1, 10, 11, 12, 13, 14});
  save_split(s, dir.path(), classes, GeoInfo{});
  SplitSettings ext;
  ext.mode = "external";
  ext.train_map = dir.file("train.tif");
  ext.test_map = dir.file("test.tif");
  const auto read = [](const std::string& source) { return read_labels(source); };
  const Split e = external_split(ext, 83, 86, 0, 0, read);
  EXPECT_EQ(e.train, s.train);
  ext.test_map = dir.file("train.tif");
  EXPECT_THROW(external_split(ext, 83, 86, 0, 0, read), Error);  // train == test
  EXPECT_THROW(external_split(ext, 83, 87, 0, 0, read), Error);  // other size
}


// Labels and external train/test maps given as vector features go through the same scene and
// split as rasters: one square polygon per labelled pixel, burnt back onto the cube's grid.
TEST(ExternalSplit, VectorFeaturesServeAsLabelsAndAsTrainAndTestMaps) {
  test::TempDir dir;
  test::SyntheticScene synthetic = test::make_scene(20, 30, 8, 3, 5);
  synthetic.cube.geo.has_geotransform = true;
  synthetic.cube.geo.geotransform = {300000, 2, 0, 5000000, 0, -2};
  synthetic.cube.geo.projection_wkt = test::wkt_of_epsg(32631);
  OGRSpatialReference utm;
  utm.importFromEPSG(32631);
  write_cube_geotiff(dir.file("cube.tif"), synthetic.cube);
  const std::vector<int32_t>& truth = synthetic.labels.labels;
  const auto write_pixels = [&](const std::string& path, const std::function<bool(int64_t)>& keep) {
    GDALAllRegister();
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GPKG")->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    ASSERT_NE(ds, nullptr);
    OGRLayer* layer = ds->CreateLayer("pixels", &utm, wkbPolygon, nullptr);
    OGRFieldDefn field("class", OFTInteger);
    ASSERT_EQ(layer->CreateField(&field), OGRERR_NONE);
    for (int64_t i = 0; i < static_cast<int64_t>(truth.size()); ++i) {
      if (!truth[i] || !keep(i)) continue;
      const double x = 300000 + 2.0 * static_cast<double>(i % 30), y = 5000000 - 2.0 * static_cast<double>(i / 30);
      OGRLinearRing ring;
      ring.addPoint(x, y);
      ring.addPoint(x + 2, y);
      ring.addPoint(x + 2, y - 2);
      ring.addPoint(x, y - 2);
      ring.closeRings();
      OGRPolygon square;
      square.addRing(&ring);
      OGRFeature feature(layer->GetLayerDefn());
      feature.SetField("class", truth[i]);
      feature.SetGeometry(&square);
      ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
    }
    GDALClose(GDALDataset::ToHandle(ds));
  };
  write_pixels(dir.file("all.gpkg"), [](int64_t) { return true; });
  write_pixels(dir.file("train.gpkg"), [](int64_t i) { return i % 4 == 0; });
  write_pixels(dir.file("test.gpkg"), [](int64_t i) { return i % 4 != 0; });

  RunSettings s;
  s.data.cube = dir.file("cube.tif");
  s.data.labels = dir.file("all.gpkg");
  const Scene scene = load_scene(s);
  EXPECT_EQ(scene.labels.labels, truth);
  EXPECT_EQ(scene.classes.ids(), (std::vector<int32_t>{1, 2, 3}));
  s.split.mode = "external";
  s.split.train_map = dir.file("train.gpkg");
  s.split.test_map = dir.file("test.gpkg");
  const Split split = split_for(scene, s);
  for (size_t i = 0; i < truth.size(); ++i) {
    ASSERT_EQ(split.train[i], i % 4 == 0 ? truth[i] : 0) << i;
    ASSERT_EQ(split.test[i], i % 4 != 0 ? truth[i] : 0) << i;
  }
}

// data.ignore_classes: a one-pixel class stops a split with an error that names the setting; with
// it, that class and a background class are unlabelled in the ground truth and in external maps,
// and the model's class table holds neither.
TEST(IgnoredClasses, AreUnlabelledInTheGroundTruthAndInExternalMaps) {
  test::TempDir dir;
  test::SyntheticScene synthetic = test::make_scene(24, 24, 6, 3, 5);
  write_cube_geotiff(dir.file("cube.tif"), synthetic.cube);
  std::vector<int32_t> labels = synthetic.labels.labels;
  int64_t background = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == 0 && i % 3 == 0) labels[i] = 9, ++background;  // a background class
  labels[5] = 7;                                                     // a stray one-pixel class
  ASSERT_GT(background, 0);
  const auto write = [&](const std::string& name, const std::function<bool(size_t)>& keep) {
    std::vector<int32_t> kept(labels.size(), 0);
    for (size_t i = 0; i < labels.size(); ++i)
      if (keep(i)) kept[i] = labels[i];
    write_class_map(dir.file(name), 24, 24, kept, ClassTable::from_ids({1, 2, 3, 7, 9}), synthetic.cube.geo);
  };
  write("labels.tif", [](size_t) { return true; });
  write("train.tif", [](size_t i) { return i % 4 == 0; });
  write("test.tif", [](size_t i) { return i % 4 != 0; });

  RunSettings s;
  s.data.cube = dir.file("cube.tif");
  s.data.labels = dir.file("labels.tif");
  s.split.per_class = 3;
  try {
    split_for(load_scene(s), s);
    ADD_FAILURE() << "a one-pixel class was split";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.ignore_classes = 7"), std::string::npos) << e.what();
  }

  s.data.ignore_classes = "7, 9";
  const Scene scene = load_scene(s);
  EXPECT_EQ(scene.classes.ids(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(scene.ignored_pixels, background + 1);
  for (size_t i = 0; i < labels.size(); ++i) ASSERT_EQ(scene.labels.labels[i], labels[i] == 7 || labels[i] == 9 ? 0 : labels[i]) << i;
  const Split fixed = split_for(scene, s);
  for (size_t i = 0; i < labels.size(); ++i) ASSERT_TRUE(fixed.train[i] < 4 && fixed.test[i] < 4) << i;

  // The same map with 200 meaning unlabelled (data.unlabelled = 200): an ignored class becomes
  // unlabelled too, not a class id 0, which that setting reserves.
  std::vector<int32_t> as_200 = labels;
  for (int32_t& v : as_200) v = v == 0 ? 200 : v;
  write_class_map(dir.file("labels_200.tif"), 24, 24, as_200, ClassTable::from_ids({1, 2, 3, 7, 9, 200}), synthetic.cube.geo);
  RunSettings s200 = s;
  s200.data.labels = dir.file("labels_200.tif");
  s200.data.unlabelled = 200;
  const Scene scene_200 = load_scene(s200);
  EXPECT_EQ(scene_200.classes.ids(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(scene_200.labels.labels, scene.labels.labels);

  s.split.mode = "external";
  s.split.train_map = dir.file("train.tif");
  s.split.test_map = dir.file("test.tif");
  const Split external = split_for(scene, s);
  for (size_t i = 0; i < labels.size(); ++i) {
    const int32_t expected = labels[i] == 7 || labels[i] == 9 ? 0 : labels[i];
    ASSERT_EQ(external.train[i], i % 4 == 0 ? expected : 0) << i;
    ASSERT_EQ(external.test[i], i % 4 != 0 ? expected : 0) << i;
  }
}

}  // namespace
}  // namespace hsi
