// hsi evaluate --areas, --compare and hsi sample through the binary: the map's class areas and
// their error-adjusted estimates from a reference sample, in hectares on a projected map and in
// pixels otherwise; two maps compared on the same reference pixels; the sample drawn as points
// (so many a class, or sized for a target error), labelled, and read back.
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "common/atomic_file.hpp"
#include "common/text.hpp"
#include "eval/sample.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

namespace fs = std::filesystem;

GeoInfo utm_30m() {
  GeoInfo geo;
  geo.has_geotransform = true;
  geo.geotransform = {500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0};
  geo.projection_wkt = test::wkt_of_epsg(32610);
  return geo;
}

TEST(Evaluate, AreasInHectaresFromAStratifiedSample) {
  // A 100 x 100 map of 30 m pixels (0.09 ha): class 1 on the left half, class 2 on the right.
  // The reference samples 10 pixels in each half: on the left 8 are class 1 and 2 class 2, on
  // the right 1 is class 1 and 9 class 2. Class 1's share of the map is then estimated as
  // 0.5 x 0.8 + 0.5 x 0.1 = 0.45: 405 ha of the 900, against 450 ha mapped, with a standard
  // error of sqrt(0.25 (0.16 + 0.09) / 9) of the 900 ha.
  test::TempDir dir;
  const int64_t rows = 100, cols = 100;
  std::vector<int32_t> map(static_cast<size_t>(rows * cols)), reference(map.size(), 0);
  for (int64_t y = 0; y < rows; ++y)
    for (int64_t x = 0; x < cols; ++x) map[static_cast<size_t>(y * cols + x)] = x < 50 ? 1 : 2;
  for (int k = 0; k < 10; ++k) {
    reference[static_cast<size_t>((5 + 9 * k) * cols + 10)] = k < 8 ? 1 : 2;  // left half
    reference[static_cast<size_t>((5 + 9 * k) * cols + 70)] = k < 1 ? 1 : 2;  // right half
  }
  const ClassTable classes = ClassTable::parse({"1 | Forest | 228b22", "2 | Grass | 9acd32"}, "test");
  write_class_map(dir.file("map.tif"), rows, cols, map, classes, utm_30m());
  write_class_map(dir.file("sample.tif"), rows, cols, reference, classes, utm_30m());
  write_text_file(dir.file("classes.ini"), "[classes]\nclass = 1 | Forest | 228b22\nclass = 2 | Grass | 9acd32\n");
  const test::CliResult r = test::run_hsi_in_process({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("sample.tif"), "--classes",
                                                      dir.file("classes.ini"), "--areas", "--out", dir.file("eval")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("## Area estimates"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Areas in ha (a pixel is 900.00 m²)"), std::string::npos) << r.out;
  const double se = std::sqrt(0.25 * 0.25 / 9) * 900;
  const std::string row = "| 1 | Forest | 450.00 | 10 | 405.00 ± " + format_fixed(1.96 * se, 2) + " | 0.8000 ± ";
  EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  EXPECT_NE(r.out.find("Overall accuracy, stratified: 0.8500 ± "), std::string::npos) << r.out;
  const std::string json = test::slurp(dir.file("eval.json"));
  EXPECT_NE(json.find("\"area_estimates\": {\"unit\": \"ha\", \"pixel_area_m2\": 900.0000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"estimated\": 405.0000, \"estimated_se\": " + format_fixed(se, 4)), std::string::npos) << json;

  // A system in US survey feet: 100 ft pixels are (100 x 1200 / 3937 m)^2 = 929.03 m^2.
  GeoInfo feet;
  feet.has_geotransform = true;
  feet.geotransform = {6000000.0, 100.0, 0.0, 2000000.0, 0.0, -100.0};
  feet.projection_wkt = test::wkt_of_epsg(2227);
  write_class_map(dir.file("feet.tif"), rows, cols, map, classes, feet);
  const test::CliResult in_feet = test::run_hsi_in_process({"evaluate", "--pred", dir.file("feet.tif"), "--truth", dir.file("sample.tif"), "--areas"});
  ASSERT_EQ(in_feet.exit_code, 0) << in_feet.err;
  EXPECT_NE(in_feet.out.find("(a pixel is 929.03 m²)"), std::string::npos) << in_feet.out;

  // Without a projected coordinate system a pixel's area is not one number: pixels.
  write_class_map(dir.file("plain.tif"), rows, cols, map, classes, GeoInfo{});
  const test::CliResult plain = test::run_hsi_in_process({"evaluate", "--pred", dir.file("plain.tif"), "--truth", dir.file("sample.tif"), "--areas"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("| 1 | class_1 | 5000 | 10 | 4500 ± "), std::string::npos) << plain.out;
  // And without --areas, no such section.
  const test::CliResult none = test::run_hsi_in_process({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("sample.tif")});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out.find("Area estimates"), std::string::npos);
}

TEST(Evaluate, ComparesTwoMapsOnTheSameReferencePixels) {
  // 40 x 10 pixels, all labelled class 1 except the first row (unlabelled). Map A is wrong on
  // columns 0-1 of rows 1-3 (6 pixels), map B on every pixel of rows 1-2 (20): 4 pixels both
  // wrong, 2 only A wrong, 16 only B wrong; 390 reference pixels. The two-sided exact p-value of
  // 2 of 18 discordant pixels: 2 (1 + 18 + 153) / 2^18.
  test::TempDir dir;
  const int64_t rows = 40, cols = 10;
  std::vector<int32_t> reference(static_cast<size_t>(rows * cols), 1), a(reference.size(), 1), b(reference.size(), 1);
  for (int64_t x = 0; x < cols; ++x) reference[static_cast<size_t>(x)] = 0;
  for (int64_t y = 1; y <= 3; ++y)
    for (int64_t x = 0; x < 2; ++x) a[static_cast<size_t>(y * cols + x)] = 2;
  for (int64_t y = 1; y <= 2; ++y)
    for (int64_t x = 0; x < cols; ++x) b[static_cast<size_t>(y * cols + x)] = 2;
  const ClassTable classes = ClassTable::parse({"1 | Forest | 228b22", "2 | Grass | 9acd32"}, "test");
  fs::create_directories(dir.file("run_a"));
  fs::create_directories(dir.file("run_b"));
  write_class_map(dir.file("run_a/map.tif"), rows, cols, a, classes, GeoInfo{});
  write_class_map(dir.file("run_b/map.tif"), rows, cols, b, classes, GeoInfo{});
  write_class_map(dir.file("truth.tif"), rows, cols, reference, classes, GeoInfo{});
  const test::CliResult r = test::run_hsi_in_process({"evaluate", "--pred", dir.file("run_a/map.tif"), "--compare", dir.file("run_b/map.tif"),
                                                      "--truth", dir.file("truth.tif"), "--out", dir.file("cmp")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| **run_a/map.tif right** | 368 | 16 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| **run_a/map.tif wrong** | 2 | 4 |"), std::string::npos) << r.out;
  const std::string json = test::slurp(dir.file("cmp.json"));
  EXPECT_NE(json.find("\"pixels\": 390, \"both_right\": 368, \"only_first_right\": 16, \"only_second_right\": 2, \"both_wrong\": 4"),
            std::string::npos)
      << json;
  char p[32];
  std::snprintf(p, sizeof p, "%.6g", 2 * 172.0 / 262144.0);
  EXPECT_NE(json.find(std::string("\"p_value\": ") + p), std::string::npos) << p << "\n" << json;

  // A map of another size is bad data, named, and nothing is written.
  write_class_map(dir.file("small.tif"), rows - 1, cols, std::vector<int32_t>(static_cast<size_t>((rows - 1) * cols), 1), classes, GeoInfo{});
  const test::CliResult bad = test::run_hsi_in_process({"evaluate", "--pred", dir.file("run_a/map.tif"), "--compare", dir.file("small.tif"),
                                                        "--truth", dir.file("truth.tif"), "--out", dir.file("bad")});
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_NE(bad.err.find("small.tif: is 39 x 10"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir.file("bad.json")));
}

TEST(Sample, DrawnPointsLabelledBackGiveTheAreasThroughTheBinary) {
  // A 60 x 80 map of 30 m pixels: class 1 on rows 0-29, class 2 on rows 30-49, class 3 on rows
  // 50-59. hsi sample draws 20 points from each; the "analyst" finds class 2's points to be class
  // 1 in truth and the others right, so class 2's area goes to class 1.
  test::TempDir dir;
  const int64_t rows = 60, cols = 80;
  std::vector<int32_t> map(static_cast<size_t>(rows * cols));
  for (int64_t y = 0; y < rows; ++y)
    for (int64_t x = 0; x < cols; ++x) map[static_cast<size_t>(y * cols + x)] = y < 30 ? 1 : y < 50 ? 2 : 3;
  const ClassTable classes = ClassTable::parse({"1 | Forest | 228b22", "2 | Grass | 9acd32", "3 | Water | 1e90ff"}, "test");
  const GeoInfo geo = utm_30m();
  write_class_map(dir.file("map.tif"), rows, cols, map, classes, geo);
  const test::CliResult drawn =
      test::run_hsi_in_process({"sample", "--map", dir.file("map.tif"), "--out", dir.file("sample.gpkg"), "--per-class", "20", "--seed", "3"});
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  EXPECT_NE(drawn.out.find("drew 60 pixels from 3 map classes (1: 20, 2: 20, 3: 20)"), std::string::npos) << drawn.out;
  {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(dir.file("sample.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_TRUE(ds);
    OGRLayer* layer = ds->GetLayerByName("sample");
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->GetFeatureCount(), 60);
    std::vector<std::unique_ptr<OGRFeature>> features;
    for (auto& f : *layer) features.emplace_back(f.release());
    for (auto& f : features) {
      const int row = f->GetFieldAsInteger("row"), col = f->GetFieldAsInteger("col"), mapped = f->GetFieldAsInteger("map_class");
      // The point is the pixel's centre, and the pixel holds the class the point says.
      const OGRPoint* point = f->GetGeometryRef()->toPoint();
      EXPECT_DOUBLE_EQ(point->getX(), 500000.0 + (col + 0.5) * 30.0);
      EXPECT_DOUBLE_EQ(point->getY(), 4100000.0 - (row + 0.5) * 30.0);
      EXPECT_EQ(map[static_cast<size_t>(row * cols + col)], mapped);
      EXPECT_FALSE(f->IsFieldSetAndNotNull(f->GetFieldIndex("reference")));
      f->SetField("reference", mapped == 2 ? 1 : mapped);
      ASSERT_EQ(layer->SetFeature(f.get()), OGRERR_NONE);
    }
  }
  write_text_file(dir.file("classes.ini"), "[classes]\nclass = 1 | Forest | 228b22\nclass = 2 | Grass | 9acd32\nclass = 3 | Water | 1e90ff\n");
  const test::CliResult areas = test::run_hsi_in_process({"evaluate", "--pred", dir.file("map.tif"), "--truth", dir.file("sample.gpkg"),
                                                          "--truth-field", "reference", "--classes", dir.file("classes.ini"), "--areas"});
  ASSERT_EQ(areas.exit_code, 0) << areas.err;
  // 4,800 pixels of 0.09 ha: class 1 mapped on 216 ha and estimated on 216 + 144 = 360 ha.
  EXPECT_NE(areas.out.find("| 1 | Forest | 216.00 | 20 | 360.00 ± 0.00 |"), std::string::npos) << areas.out;
  EXPECT_NE(areas.out.find("| 2 | Grass | 144.00 | 20 | 0.00 ± 0.00 |"), std::string::npos) << areas.out;
  EXPECT_NE(areas.out.find("Overall accuracy, stratified: 0.6667 ± 0.0000"), std::string::npos) << areas.out;
  // The same seed draws the same points; a map without geo-referencing cannot place them and
  // leaves no file; only GeoPackage and GeoJSON are written.
  ASSERT_EQ(test::run_hsi_in_process({"sample", "--map", dir.file("map.tif"), "--out", dir.file("again.geojson"), "--per-class", "20", "--seed", "3"})
                .exit_code,
            0);
  const std::string again = test::slurp(dir.file("again.geojson"));
  int64_t rows_seen = 0;
  for (size_t at = again.find("\"row\""); at != std::string::npos; at = again.find("\"row\"", at + 1)) ++rows_seen;
  EXPECT_EQ(rows_seen, 60);
  write_class_map(dir.file("plain.tif"), rows, cols, map, classes, GeoInfo{});
  const test::CliResult plain = test::run_hsi_in_process({"sample", "--map", dir.file("plain.tif"), "--out", dir.file("plain.gpkg")});
  EXPECT_EQ(plain.exit_code, 3) << plain.err;
  EXPECT_NE(plain.err.find("plain.tif: has no geo-referencing"), std::string::npos) << plain.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.gpkg")));
  // Said before any file is read: the map named here does not exist.
  const test::CliResult csv = test::run_hsi_in_process({"sample", "--map", dir.file("missing.tif"), "--out", dir.file("sample.csv")});
  EXPECT_EQ(csv.exit_code, 2) << csv.err;
  EXPECT_NE(csv.err.find(".gpkg"), std::string::npos) << csv.err;

  // Sized for a target error instead: the binary draws what the plan allocates.
  const SamplePlan plan = plan_sample({{1, 2400}, {2, 1600}, {3, 800}}, 0.8, 0.05, 5);
  const test::CliResult planned = test::run_hsi_in_process({"sample", "--map", dir.file("map.tif"), "--out", dir.file("planned.gpkg"),
                                                            "--target-se", "0.05", "--expected-accuracy", "0.8", "--min-per-class", "5"});
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  EXPECT_NE(planned.out.find("planned " + std::to_string(plan.total) + " pixels for a standard error of the overall accuracy of " +
                             format_fixed(plan.expected_se, 4)),
            std::string::npos)
      << planned.out;
  EXPECT_NE(planned.out.find("drew " + std::to_string(plan.total) + " pixels from 3 map classes (1: " + std::to_string(plan.per_class.at(1)) +
                             ", 2: " + std::to_string(plan.per_class.at(2)) + ", 3: " + std::to_string(plan.per_class.at(3)) + ")"),
            std::string::npos)
      << planned.out;
  // The two ways of sizing are alternatives, and the planner's settings need its target.
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--target-se", "0.05", "--per-class", "20"},
                                                std::vector<std::string>{"--expected-accuracy", "0.9"},
                                                std::vector<std::string>{"--target-se", "0.7"}}) {
    std::vector<std::string> args{"sample", "--map", dir.file("map.tif"), "--out", dir.file("refused.gpkg")};
    args.insert(args.end(), extra.begin(), extra.end());
    const test::CliResult refused = test::run_hsi_in_process(args);
    EXPECT_EQ(refused.exit_code, 2) << extra[0] << "\n" << refused.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("refused.gpkg")));
  }
}

}  // namespace
}  // namespace hsi
