// hsi evaluate --areas through the binary: the map's class areas and their error-adjusted
// estimates from a reference sample, in hectares on a projected map and in pixels otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/atomic_file.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

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

}  // namespace
}  // namespace hsi
