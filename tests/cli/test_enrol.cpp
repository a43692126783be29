// hsi enrol and hsi predict --unknown through the binary: a class the model never saw is added
// from five pixels and mapped; what a checkpoint cannot do is refused with a clear message.
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

TEST(Enrol, ANewClassFromFivePixelsThroughTheBinary) {
  test::TempDir dir;
  const test::SyntheticScene s = test::make_scene(40, 40, 12, 3, 9);
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  std::vector<int32_t> known = s.labels.labels, five(known.size(), 0);
  int taken = 0;
  for (size_t i = 0; i < known.size(); ++i) {
    if (known[i] != 3) continue;
    if (taken++ % 50 == 0 && taken <= 250) five[i] = 3;
    known[i] = 0;
  }
  write_class_map(dir.file("gt.tif"), 40, 40, known, ClassTable::from_ids({1, 2}), s.cube.geo);
  write_class_map(dir.file("new.tif"), 40, 40, five, ClassTable::from_ids({3}), s.cube.geo);
  std::ofstream(dir.file("names.ini")) << "[classes]\nclass = 3 | Roof | ff0000\n";
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3",
                                               "--model.width", "8", "--train.epochs", "6", "--train.min_steps", "60", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;

  // The output may not replace an input; nothing is written then.
  const test::CliResult over = test::run_hsi({"enrol", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("new.tif"), "--out", dir.file("run/best.ckpt")});
  EXPECT_EQ(over.exit_code, 4) << over.err;
  const test::CliResult enrol = test::run_hsi({"enrol", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("new.tif"), "--classes",
                                               dir.file("names.ini"), "--out", dir.file("enrolled.ckpt")});
  ASSERT_EQ(enrol.exit_code, 0) << enrol.err;
  EXPECT_NE(enrol.out.find("enrolled 1 new class(es): 3 (5 px)"), std::string::npos) << enrol.out;

  const test::CliResult predict = test::run_hsi({"predict", "--model", dir.file("enrolled.ckpt"), "--input", dir.file("scene.tif"), "--out", dir.file("map.tif")});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const LabelMap map = read_labels(dir.file("map.tif"));
  int64_t of_three = 0, right = 0;
  for (size_t i = 0; i < map.labels.size(); ++i) {
    if (s.labels.labels[i] != 3) continue;
    ++of_three;
    right += map.labels[i] == 3;
  }
  EXPECT_GE(static_cast<double>(right) / static_cast<double>(of_three), 0.9);
  const test::CliResult info = test::run_hsi({"info", "--labels", dir.file("map.tif")});
  EXPECT_NE(info.out.find("Roof"), std::string::npos) << info.out;

  // The softmax head and the softmax rule cannot speak for the new class: refused, exit 2.
  const test::CliResult softmax = test::run_hsi({"predict", "--model", dir.file("enrolled.ckpt"), "--input", dir.file("scene.tif"), "--out",
                                                 dir.file("map2.tif"), "--classifier", "softmax"});
  EXPECT_EQ(softmax.exit_code, 2);
  EXPECT_NE(softmax.err.find("enrolled"), std::string::npos) << softmax.err;
  EXPECT_FALSE(fs::exists(dir.file("map2.tif")));
}

// hsi suggest through the binary: the class left unlabelled is where the first pixel to label
// lies; the CSV names it on the cube's grid; labelled, it enrols the class. A checkpoint without
// a metric and an output over the model are refused, nothing written.
TEST(Suggest, ThePixelToLabelNextLiesInTheUnlabelledClassThroughTheBinary) {
  test::TempDir dir;
  const test::SyntheticScene s = test::make_scene(40, 40, 12, 3, 9);
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  std::vector<int32_t> known = s.labels.labels;
  for (int32_t& label : known) label = label == 3 ? 0 : label;
  write_class_map(dir.file("gt.tif"), 40, 40, known, ClassTable::from_ids({1, 2}), s.cube.geo);
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3",
                                               "--model.width", "8", "--train.epochs", "6", "--train.min_steps", "60", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const test::CliResult over = test::run_hsi({"suggest", "--model", dir.file("run/best.ckpt"), "--out", dir.file("run/best.ckpt")});
  EXPECT_EQ(over.exit_code, 4) << over.err;
  const test::CliResult suggest = test::run_hsi({"suggest", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("run/split/train.tif"),
                                                 "--count", "2", "--out", dir.file("next.csv")});
  ASSERT_EQ(suggest.exit_code, 0) << suggest.err;
  std::ifstream csv(dir.file("next.csv"));
  std::string header, first, second, extra;
  std::getline(csv, header);
  std::getline(csv, first);
  std::getline(csv, second);
  EXPECT_EQ(header, "rank,row,col,x,y,cluster_pixels,cluster_share,nearest_class_id,nearest_class_name");
  EXPECT_FALSE(second.empty());
  EXPECT_FALSE(std::getline(csv, extra)) << extra;
  int rank = 0, row = -1, col = -1;
  ASSERT_EQ(std::sscanf(first.c_str(), "%d,%d,%d", &rank, &row, &col), 3) << first;
  EXPECT_EQ(rank, 1);
  ASSERT_TRUE(row >= 0 && row < 40 && col >= 0 && col < 40) << first;
  EXPECT_EQ(s.labels.labels[static_cast<size_t>(row * 40 + col)], 3) << first;

  // Labelled, the suggestion enrols the class.
  std::vector<int32_t> one(known.size(), 0);
  one[static_cast<size_t>(row * 40 + col)] = 3;
  write_class_map(dir.file("one.tif"), 40, 40, one, ClassTable::from_ids({3}), s.cube.geo);
  const test::CliResult enrol = test::run_hsi({"enrol", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("one.tif"), "--out", dir.file("enrolled.ckpt")});
  ASSERT_EQ(enrol.exit_code, 0) << enrol.err;
  EXPECT_NE(enrol.out.find("enrolled 1 new class(es): 3 (1 px)"), std::string::npos) << enrol.out;

  const test::CliResult unmix = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--model.name",
                                               "unmix", "--out", dir.file("unmix")});
  ASSERT_EQ(unmix.exit_code, 0) << unmix.err;
  const test::CliResult no_metric = test::run_hsi({"suggest", "--model", dir.file("unmix/best.ckpt"), "--out", dir.file("unmix.csv")});
  EXPECT_EQ(no_metric.exit_code, 2);
  EXPECT_NE(no_metric.err.find("no learned metric"), std::string::npos) << no_metric.err;
  EXPECT_FALSE(fs::exists(dir.file("unmix.csv")));
}

// The new class drawn as features: five GPS points named by the class's name, on a
// geo-referenced cube, enrol the same five pixels as the raster would.
TEST(Enrol, ANewClassFromPointFeatures) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(30, 30, 8, 3, 4);
  s.cube.geo.has_geotransform = true;
  s.cube.geo.geotransform = {1000, 5, 0, 2000, 0, -5};
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  std::vector<int32_t> known = s.labels.labels;
  std::vector<size_t> five;
  for (size_t i = 0; i < known.size(); ++i) {
    if (known[i] != 3) continue;
    if (five.size() < 5 && i % 7 == 0) five.push_back(i);
    known[i] = 0;
  }
  ASSERT_EQ(five.size(), 5u);
  write_class_map(dir.file("gt.tif"), 30, 30, known, ClassTable::from_ids({1, 2}), s.cube.geo);
  std::ofstream(dir.file("names.ini")) << "[classes]\nclass = 3 | Roof | ff0000\n";
  GDALAllRegister();
  GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GeoJSON")->Create(dir.file("roofs.geojson").c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  ASSERT_NE(ds, nullptr);
  OGRLayer* layer = ds->CreateLayer("roofs", nullptr, wkbPoint, nullptr);
  OGRFieldDefn field("material", OFTString);
  ASSERT_EQ(layer->CreateField(&field), OGRERR_NONE);
  for (size_t i : five) {
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("material", "roof");
    OGRPoint point(1000 + 5.0 * static_cast<double>(i % 30) + 2.0, 2000 - 5.0 * static_cast<double>(i / 30) - 3.0);
    feature.SetGeometry(&point);
    ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  }
  GDALClose(GDALDataset::ToHandle(ds));
  // Before any training, hsi info counts the pixels the features label on the config's cube.
  std::ofstream(dir.file("roofs.ini")) << "[data]\ncube = " << dir.file("scene.tif") << "\nlabels = " << dir.file("roofs.geojson")
                                       << "\nlabel_field = material\n[classes]\nclass = 3 | Roof | ff0000\n";
  const test::CliResult counted = test::run_hsi({"info", "--config", dir.file("roofs.ini"), "--labels"});
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  EXPECT_NE(counted.out.find("  3 Roof: 5\n"), std::string::npos) << counted.out;
  EXPECT_NE(counted.out.find("  0 (unlabelled): 895\n"), std::string::npos) << counted.out;
  const test::CliResult train = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3",
                                               "--model.width", "8", "--train.epochs", "3", "--train.min_steps", "30", "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const test::CliResult enrol = test::run_hsi({"enrol", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("roofs.geojson"), "--label-field",
                                               "material", "--classes", dir.file("names.ini"), "--out", dir.file("enrolled.ckpt")});
  ASSERT_EQ(enrol.exit_code, 0) << enrol.err;
  EXPECT_NE(enrol.out.find("enrolled 1 new class(es): 3 (5 px)"), std::string::npos) << enrol.out;
  // Without --classes the name "roof" names no class: one line saying so, nothing written.
  const test::CliResult unnamed = test::run_hsi({"enrol", "--model", dir.file("run/best.ckpt"), "--labels", dir.file("roofs.geojson"),
                                                 "--label-field", "material", "--out", dir.file("unnamed.ckpt")});
  EXPECT_EQ(unnamed.exit_code, 3) << unnamed.err;
  EXPECT_NE(unnamed.err.find("holds 'roof', which is neither a class id nor a class name"), std::string::npos) << unnamed.err;
  EXPECT_FALSE(fs::exists(dir.file("unnamed.ckpt")));
}

TEST(Enrol, WhatACheckpointCannotDoIsRefused) {
  test::TempDir dir;
  const test::SyntheticScene s = test::make_scene(30, 30, 8, 3, 4);
  write_cube_geotiff(dir.file("scene.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 30, 30, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  const test::CliResult svm = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--model.name", "svm",
                                             "--out", dir.file("svm")});
  ASSERT_EQ(svm.exit_code, 0) << svm.err;
  const test::CliResult enrol = test::run_hsi({"enrol", "--model", dir.file("svm/best.ckpt"), "--labels", dir.file("gt.tif"), "--out", dir.file("e.ckpt")});
  EXPECT_EQ(enrol.exit_code, 2);
  EXPECT_NE(enrol.err.find("svm checkpoint learns no metric"), std::string::npos) << enrol.err;
  EXPECT_FALSE(fs::exists(dir.file("e.ckpt")));
  const test::CliResult unknown = test::run_hsi({"predict", "--model", dir.file("svm/best.ckpt"), "--input", dir.file("scene.tif"), "--out",
                                                 dir.file("m.tif"), "--unknown", "distance"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("open-set"), std::string::npos) << unknown.err;
  const test::CliResult bad_rule = test::run_hsi({"predict", "--model", dir.file("svm/best.ckpt"), "--input", dir.file("scene.tif"), "--out",
                                                  dir.file("m.tif"), "--unknown", "far"});
  EXPECT_EQ(bad_rule.exit_code, 2);
  EXPECT_NE(bad_rule.err.find("--unknown"), std::string::npos) << bad_rule.err;
  EXPECT_FALSE(fs::exists(dir.file("m.tif")));
  // A rule in the config for the SVM is refused before any work.
  const test::CliResult config = test::run_hsi({"train", "--data.cube", dir.file("scene.tif"), "--data.labels", dir.file("gt.tif"), "--model.name", "svm",
                                                "--open_set.rule", "distance", "--out", dir.file("svm2")});
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir.file("svm2")));
}

}  // namespace
}  // namespace hsi
