// Bands dropped by number and by wavelength (water-absorption windows), resolved against the
// wavelengths a cube carries (ENVI headers, GDAL metadata) in whatever unit it states.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/bands.hpp"
#include "pipeline/preprocess.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

// 400, 410, ..., 2500 nm: 211 bands, as an AVIRIS-like sensor's centres.
Cube cube_with_wavelengths(const std::string& units, double scale) {
  test::SyntheticScene s = test::make_scene(6, 5, 211, 2, 3);
  for (int b = 0; b < 211; ++b) s.cube.geo.wavelengths.push_back((400.0 + 10.0 * b) / scale);
  s.cube.geo.wavelength_units = units;
  return s.cube;
}

std::vector<int> range(int first, int last) {
  std::vector<int> v;
  for (int b = first; b <= last; ++b) v.push_back(b);
  return v;
}

TEST(Bands, WavelengthRangesNeedAStatedUnit) {
  EXPECT_EQ(parse_wavelength_ranges("1340-1450, 1790-1960 nm", "k"), (std::vector<std::pair<double, double>>{{1340, 1450}, {1790, 1960}}));
  EXPECT_EQ(parse_wavelength_ranges("1.34-1.45,1.79-1.96um", "k"), (std::vector<std::pair<double, double>>{{1340, 1450}, {1790, 1960}}));
  EXPECT_EQ(parse_wavelength_ranges("1.34-1.45 \xc2\xb5m", "k").front(), (std::pair<double, double>{1340, 1450}));
  EXPECT_EQ(parse_wavelength_ranges("2.4-2.5 Micrometers", "k").front(), (std::pair<double, double>{2400, 2500}));
  EXPECT_TRUE(parse_wavelength_ranges("", "k").empty());
  for (const char* bad : {"1340-1450", "1340-1450 furlongs", "1450-1340 nm", "a-b nm", "nm", "-5-3 nm"}) {
    try {
      parse_wavelength_ranges(bad, "data.drop_wavelengths");
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage);
      EXPECT_NE(std::string(e.what()).find("data.drop_wavelengths"), std::string::npos) << e.what();
    }
  }
}

TEST(Bands, WaterAbsorptionWindowsSelectTheBandsInsideThem) {
  DataSettings d;
  d.drop_wavelengths = "1340-1450, 1790-1960 nm";
  // 1340 nm is band 95 (400 + 10 * 94), 1450 nm band 106; 1790 band 140, 1960 band 157.
  std::vector<int> expected = range(95, 106);
  const std::vector<int> second = range(140, 157);
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(dropped_bands(d, cube_with_wavelengths("Nanometers", 1.0)), expected);
  EXPECT_EQ(dropped_bands(d, cube_with_wavelengths("Micrometers", 1000.0)), expected);
  std::string note;
  const Cube unstated = cube_with_wavelengths("", 1000.0);
  EXPECT_EQ(dropped_bands(d, unstated), expected);
  EXPECT_NEAR(band_centres_nm(unstated.geo, &note)[94], 1340.0, 1e-9);
  EXPECT_NE(note.find("micrometres"), std::string::npos) << note;
  // Together with bands by number: the union, each once.
  d.drop_bands = "1-3,100";
  std::vector<int> both = {1, 2, 3};
  both.insert(both.end(), expected.begin(), expected.end());
  EXPECT_EQ(dropped_bands(d, cube_with_wavelengths("nm", 1.0)), both);
  EXPECT_EQ(band_ranges_text(both), "1-3,95-106,140-157");
  // The preprocessing keeps the others, in order.
  RunSettings s;
  s.data = d;
  const Cube cube = cube_with_wavelengths("nm", 1.0);
  const Preprocessor pre = Preprocessor::fit(cube, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, preprocess_spec(s, cube));
  EXPECT_EQ(pre.output_bands(), 211 - static_cast<int64_t>(both.size()));
}

TEST(Bands, WavelengthsAskedOfACubeWithoutThemOrMatchingNothingAreErrors) {
  DataSettings d;
  d.drop_wavelengths = "1340-1450 nm";
  Cube plain = test::make_scene(4, 4, 20, 2, 1).cube;
  plain.source = "plain.mat";
  try {
    dropped_bands(d, plain);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain.mat carries no band wavelengths"), std::string::npos) << e.what();
  }
  d.drop_wavelengths = "3000-3100 nm";
  EXPECT_THROW(dropped_bands(d, cube_with_wavelengths("nm", 1.0)), Error);
  d.drop_wavelengths = "300-3000 nm";
  EXPECT_THROW(dropped_bands(d, cube_with_wavelengths("nm", 1.0)), Error);  // every band
  d.drop_wavelengths.clear();
  d.drop_bands = "212";
  EXPECT_THROW(dropped_bands(d, cube_with_wavelengths("nm", 1.0)), Error);
}

// Through a real ENVI file whose header lists wavelengths in micrometres: hsi info --config
// says which bands the config drops, and hsi train runs on the rest.
TEST(Bands, HsiInfoPrintsWhatAConfigDropsFromAnEnviCube) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(24, 24, 211, 3, 5);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 24, 24, s.labels.labels, ClassTable::from_ids({1, 2, 3}), s.cube.geo);
  GDALAllRegister();
  {
    std::unique_ptr<GDALDataset> tif(GDALDataset::Open(dir.file("cube.tif").c_str(), GDAL_OF_RASTER));
    std::unique_ptr<GDALDataset> envi(GetGDALDriverManager()->GetDriverByName("ENVI")->CreateCopy(dir.file("cube.img").c_str(), tif.get(), FALSE,
                                                                                                  nullptr, nullptr, nullptr));
    ASSERT_TRUE(envi);
  }
  std::ofstream header(dir.file("cube.hdr"), std::ios::app);
  header << "wavelength units = Micrometers\nwavelength = {";
  for (int b = 0; b < 211; ++b) header << (b ? ", " : "") << (400.0 + 10.0 * b) / 1000.0;
  header << "}\n";
  header.close();
  std::ofstream(dir.file("scene.ini")) << "[data]\ncube = " << dir.file("cube.img") << "\nlabels = " << dir.file("gt.tif")
                                        << "\ndrop_wavelengths = 1.34-1.45, 1.79-1.96 um\n[model]\nname = ms1d\nwidth = 8\n[train]\nepochs = 1\nmin_steps = 4\n";
  const test::CliResult info = test::run_hsi({"info", "--config", dir.file("scene.ini")});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("bands used:  181 of 211 (dropped: 95-106,140-157)"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("data.drop_wavelengths 1340.0-1450.0 nm: bands 95-106 (1340.0-1450.0 nm)"), std::string::npos) << info.out;
  const test::CliResult train = test::run_hsi({"train", "--config", dir.file("scene.ini"), "--out", dir.file("run")});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const test::CliResult wrong = test::run_hsi({"info", "--config", dir.file("scene.ini"), "--data.drop_wavelengths", "1340-1450"});
  EXPECT_EQ(wrong.exit_code, 2);  // --data.* keys belong to the settings verbs; info takes the config as written
}

}  // namespace
}  // namespace hsi
