// The one prediction loop: its maps equal an independent per-window reference (the patch
// extractor over the whole preprocessed cube) on every route and source, it skips empty
// windows, keeps nodata, and sizes tiles from the RAM budget.
#include <gtest/gtest.h>

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <set>

#include "common/error.hpp"
#include "io/gdal_util.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"
#include "pipeline/batches.hpp"
#include "pipeline/predict.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace hsi {
namespace {

// A trained model of each form (fine-tuned with prototypes for ms3d, so both classifiers are
// covered) and Salinas-A as a geo-referenced GeoTIFF.
struct Fixture {
  test::TempDir dir;
  std::string checkpoint, cube_tif;
  explicit Fixture(const std::string& model) {
    RunSettings s;
    s.data.cube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
    s.data.labels = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";
    s.preprocess.pca = 10;
    s.model.name = model;
    s.model.patch = 7;
    s.model.width = 8;
    s.train.epochs = 3;
    s.train.min_steps = 60;
    s.finetune.enabled = model == "ms3d";
    s.finetune.epochs = 1;
    s.finetune.classifier = "prototype";
    s.out = dir.file("run");
    RunOptions quiet;
    quiet.verbose = false;
    quiet.write_maps = false;
    run_training(load_scene(s), s, quiet);
    checkpoint = dir.file("run/best.ckpt");
    Cube cube = read_cube(s.data.cube);
    cube.geo.has_geotransform = true;
    cube.geo.geotransform = {600000, 3.7, 0, 4000000, 0, -3.7};
    cube_tif = dir.file("salinas_a.tif");
    write_cube_geotiff(cube_tif, cube);
  }
};

// Sets every band of rows [r0, r1) x columns [c0, c1) to value.
void fill_block(Cube& cube, int64_t r0, int64_t r1, int64_t c0, int64_t c1, float value) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c) std::fill_n(cube.spectrum(r, c), cube.bands, value);
}

Fixture& fixture(const std::string& model = "ms2d") {
  static std::map<std::string, std::unique_ptr<Fixture>> trained;
  auto& f = trained[model];
  if (!f) f = std::make_unique<Fixture>(model);
  return *f;
}

// Class ids (0 = no data) and confidences computed without the tile loop: the whole cube
// preprocessed at once, every window cut by the patch extractor (its own mirroring), batched.
struct Reference {
  std::vector<int32_t> ids;
  std::vector<float> confidence;
};
Reference reference_prediction(Checkpoint& ck, Cube cube, const std::vector<uint8_t>& nodata) {
  ck.preprocessor.apply(cube);
  const BatchMaker batches(cube, ck.net_options);
  torch::NoGradGuard no_grad;
  ck.net->eval();
  Reference out{std::vector<int32_t>(static_cast<size_t>(cube.pixels()), 0), std::vector<float>(static_cast<size_t>(cube.pixels()), 0.0f)};
  std::vector<int64_t> pixels;
  for (int64_t p = 0; p < cube.pixels(); ++p) {
    if (nodata.empty() || !nodata[p]) pixels.push_back(p);
  }
  for (size_t s = 0; s < pixels.size(); s += 512) {
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(s), pixels.begin() + static_cast<int64_t>(std::min(pixels.size(), s + 512)));
    const torch::Tensor z = ck.net->project(ck.net->embed(batches.make(chunk)));
    const auto [best, index] = class_probabilities(ck, z, ck.classifier).max(1);
    for (size_t k = 0; k < chunk.size(); ++k) {
      out.ids[chunk[k]] = ck.classes.at(static_cast<size_t>(index[static_cast<int64_t>(k)].item<int64_t>())).id;
      out.confidence[chunk[k]] = best[static_cast<int64_t>(k)].item<float>();
    }
  }
  return out;
}

// Labels exactly; confidences up to float32 summation order (prototype softmaxes amplify it).
void expect_map_equals(const std::string& map_path, const Reference& expected, float confidence_tolerance = 1e-4f) {
  const LabelMap map = read_labels(map_path);
  ASSERT_EQ(map.labels.size(), expected.ids.size());
  for (size_t p = 0; p < map.labels.size(); ++p) ASSERT_EQ(map.labels[p], expected.ids[p]) << "pixel " << p;
  const Cube conf = read_cube(outputs_beside(map_path).confidence);
  for (size_t p = 0; p < map.labels.size(); ++p) ASSERT_NEAR(conf.data[p], expected.confidence[p], confidence_tolerance) << "pixel " << p;
}

// A trained model of every form: both routes (spectral models have one), a GeoTIFF read window
// by window and a .mat cube in memory, all equal to the per-window reference.
class EveryForm : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryForm, EveryRouteAndSourceEqualsThePerWindowReference) {
  Fixture& f = fixture(GetParam());
  Checkpoint ck = load_checkpoint(f.checkpoint);
  const Reference expected = reference_prediction(ck, read_cube(f.cube_tif), {});
  const std::set<int32_t> classes(expected.ids.begin(), expected.ids.end());
  EXPECT_GE(classes.size(), 5u) << "a trained model, not a near-constant one, makes the comparison meaningful";
  const bool windows = ck.net_options.window_model();
  for (const std::string route : {windows ? "dense" : "auto", "patch"}) {
    PredictOptions o;
    o.tile = 16;
    o.precision = "fp32";  // the reference's arithmetic: on a CPU with native bf16, auto would pick bf16
    o.route = route;
    // A GDAL raster, window by window.
    const std::string map = f.dir.file("stream_" + route + ".tif");
    const PredictionStats r = predict_file(ck, f.cube_tif, "rcb", outputs_beside(map), o);
    EXPECT_EQ(r.route, windows ? route : "patch");
    EXPECT_EQ(r.classifier, ck.classifier);
    EXPECT_EQ(r.tile, 16);
    EXPECT_EQ(r.tiles, 6 * 6);
    EXPECT_EQ(r.classified, 83 * 86);
    EXPECT_EQ(read_labels(map).geo.geotransform, (std::array<double, 6>{600000, 3.7, 0, 4000000, 0, -3.7}));
    expect_map_equals(map, expected);
    // The same cube in memory (a .mat file), through the same loop.
    const std::string from_mat = f.dir.file("mat_" + route + ".tif");
    predict_file(ck, std::string(HSI_PROJECT_DATA) + "/SalinasA.mat", "rcb", outputs_beside(from_mat), o);
    expect_map_equals(from_mat, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Prediction, EveryForm, ::testing::Values("ms2d", "ms3d", "ms1d"));

TEST(Prediction, NodataPixelsAndEmptyWindows) {
  Fixture& f = fixture();
  Checkpoint ck = load_checkpoint(f.checkpoint);
  Cube cube = read_cube(f.cube_tif);
  // The top-left 32 x 32 block is all NaN, and one more pixel elsewhere.
  fill_block(cube, 0, 32, 0, 32, NAN);
  cube.data[(50 * cube.cols + 60) * cube.bands + 3] = NAN;
  write_cube_geotiff(f.dir.file("holes.tif"), cube);
  PredictOptions so;
  so.tile = 16;
  so.precision = "fp32";
  const MapOutputs outputs = outputs_beside(f.dir.file("h.tif"), /*probabilities=*/true);
  EXPECT_EQ(outputs.probabilities, f.dir.file("h_probabilities.tif"));
  EXPECT_THROW(predict_file(ck, f.dir.file("holes.tif"), "rcb", outputs, so), Error);
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("h.tif")));
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("h_confidence.tif")));
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("h_probabilities.tif")));
  so.nan_policy = "nodata";
  const PredictionStats r = predict_file(ck, f.dir.file("holes.tif"), "rcb", outputs, so);
  EXPECT_EQ(r.skipped_tiles, 4);
  EXPECT_EQ(r.classified, 83 * 86 - 32 * 32 - 1);
  const LabelMap map = read_labels(f.dir.file("h.tif"));
  EXPECT_EQ(map.at(0, 0), 0);
  EXPECT_EQ(map.at(31, 31), 0);
  EXPECT_EQ(map.at(50, 60), 0);
  EXPECT_NE(map.at(40, 40), 0);
  // The probability raster: one band per class in table order, -1 where the map has no class;
  // elsewhere a distribution whose largest band is the map's class and the confidence map's value.
  const Cube probabilities = read_cube(outputs.probabilities);
  const Cube confidence = read_cube(outputs.confidence);
  ASSERT_EQ(probabilities.bands, static_cast<int64_t>(ck.classes.size()));
  EXPECT_EQ(probabilities.geo.geotransform, map.geo.geotransform);
  int64_t checked = 0;
  for (int64_t y = 0; y < map.rows; ++y)
    for (int64_t x = 0; x < map.cols; ++x) {
      const float* p = probabilities.spectrum(y, x);
      if (map.at(y, x) == 0) {
        for (int64_t b = 0; b < probabilities.bands; ++b) ASSERT_EQ(p[b], -1.0f) << y << "," << x;
        continue;
      }
      const int64_t best = std::max_element(p, p + probabilities.bands) - p;
      ASSERT_EQ(ck.classes.at(static_cast<size_t>(best)).id, map.at(y, x)) << y << "," << x;
      ASSERT_EQ(p[best], confidence.at(y, x, 0)) << y << "," << x;
      ASSERT_NEAR(std::accumulate(p, p + probabilities.bands, 0.0), 1.0, 1e-5) << y << "," << x;
      ++checked;
    }
  EXPECT_EQ(checked, r.classified);
}

// Int16 input (the usual storage of radiance cubes), uncompressed and pixel-interleaved as
// large flight lines often are, with a nodata value: the reader's fastest route, and the integer
// route that needs no NaN scan, must still give the in-memory map.
TEST(Prediction, Int16RasterWithNodataEqualsTheReference) {
  Fixture& f = fixture();
  Checkpoint ck = load_checkpoint(f.checkpoint);
  Cube cube = read_cube(f.cube_tif);
  fill_block(cube, 40, 60, 10, 30, -1);
  const std::string path = f.dir.file("int16.tif");
  {
    detail::init_gdal();
    char interleave[] = "INTERLEAVE=PIXEL";
    char* options[] = {interleave, nullptr};
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
        path.c_str(), static_cast<int>(cube.cols), static_cast<int>(cube.rows), static_cast<int>(cube.bands), GDT_Int16, options);
    ASSERT_NE(ds, nullptr);
    double geotransform[6] = {600000, 3.7, 0, 4000000, 0, -3.7};
    ds->SetGeoTransform(geotransform);
    for (int b = 1; b <= cube.bands; ++b) ds->GetRasterBand(b)->SetNoDataValue(-1);
    const GSpacing pixel = static_cast<GSpacing>(sizeof(float)) * cube.bands;
    ASSERT_EQ(ds->RasterIO(GF_Write, 0, 0, static_cast<int>(cube.cols), static_cast<int>(cube.rows), cube.data.data(),
                           static_cast<int>(cube.cols), static_cast<int>(cube.rows), GDT_Float32, static_cast<int>(cube.bands),
                           nullptr, pixel, pixel * cube.cols, sizeof(float), nullptr),
              CE_None);
    GDALClose(GDALDataset::ToHandle(ds));
  }
  cube.geo.nodata = -1;
  // The nodata model: -1 in any band the model uses masks the pixel (the block, and pixels
  // whose radiance is -1 in a used band); the dropped bands are not looked at.
  std::vector<uint8_t> kept(static_cast<size_t>(cube.bands), 0);
  for (int band : ck.preprocessor.kept_bands()) kept[band] = 1;
  int64_t masked = 0;
  const std::vector<uint8_t> nodata = mask_nodata(cube, "nodata", &masked, kept);
  EXPECT_GE(masked, 20 * 20);
  const Reference expected = reference_prediction(ck, cube, nodata);

  PredictOptions so;
  so.tile = 16;
  so.precision = "fp32";
  const PredictionStats r = predict_file(ck, path, "rcb", outputs_beside(f.dir.file("int16_map.tif")), so);
  EXPECT_EQ(r.classified, 83 * 86 - masked);
  EXPECT_EQ(r.skipped_tiles, 0);
  expect_map_equals(f.dir.file("int16_map.tif"), expected);
  EXPECT_EQ(read_labels(f.dir.file("int16_map.tif")).at(45, 15), 0);
}

TEST(Prediction, TileFollowsTheRamBudget) {
  NetOptions net;
  net.in_bands = 30;
  net.patch = 9;
  const int small = tile_for_budget(net, 224, 64), large = tile_for_budget(net, 224, 2048);
  EXPECT_GE(small, 16);
  EXPECT_GT(large, small);
  EXPECT_EQ(small % 16, 0);
}

}  // namespace
}  // namespace hsi
