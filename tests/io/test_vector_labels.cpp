// Ground truth as vector features burnt onto the cube's grid: against a naive loop over pixel
// centres, across formats and CRSs, and back from a polygonised real ground truth.
#include <gtest/gtest.h>

#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <array>
#include <functional>
#include <memory>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/vector_labels.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace hsi {
namespace {

constexpr int64_t kRows = 20, kCols = 30;
constexpr double kX0 = 500000, kY0 = 4000000, kPixel = 10;

std::string utm_wkt() {
  return test::wkt_of_epsg(32633);
}

GeoInfo utm_grid() {
  GeoInfo g;
  g.has_geotransform = true;
  g.geotransform = {kX0, kPixel, 0, kY0, 0, -kPixel};
  g.projection_wkt = utm_wkt();
  return g;
}

// A rectangle in the grid's map units, offsets from its origin (y grows downwards).
struct Box {
  double x0, x1, y0, y1;
  int32_t id;
};

OGRPolygon polygon_of(const Box& b) {
  OGRLinearRing ring;
  ring.addPoint(kX0 + b.x0, kY0 - b.y0);
  ring.addPoint(kX0 + b.x1, kY0 - b.y0);
  ring.addPoint(kX0 + b.x1, kY0 - b.y1);
  ring.addPoint(kX0 + b.x0, kY0 - b.y1);
  ring.closeRings();
  OGRPolygon polygon;
  polygon.addRing(&ring);
  return polygon;
}

struct Writer {
  GDALDataset* ds = nullptr;
  OGRLayer* layer = nullptr;
  ~Writer() { GDALClose(GDALDataset::ToHandle(ds)); }
};

// Writes a layer of features; `fill` sets each one's attributes and geometry.
void write_layer(const std::string& path, const char* driver_name, const OGRSpatialReference* srs,
                 const std::vector<std::pair<std::string, OGRFieldType>>& fields, int count,
                 const std::function<void(OGRFeature&, int)>& fill) {
  GDALAllRegister();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
  ASSERT_NE(driver, nullptr);
  Writer w;
  w.ds = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  ASSERT_NE(w.ds, nullptr);
  w.layer = w.ds->CreateLayer("truth", const_cast<OGRSpatialReference*>(srs), wkbUnknown, nullptr);
  ASSERT_NE(w.layer, nullptr);
  for (const auto& [name, type] : fields) {
    OGRFieldDefn f(name.c_str(), type);
    ASSERT_EQ(w.layer->CreateField(&f), OGRERR_NONE);
  }
  for (int i = 0; i < count; ++i) {
    OGRFeature feature(w.layer->GetLayerDefn());
    fill(feature, i);
    ASSERT_EQ(w.layer->CreateFeature(&feature), OGRERR_NONE);
  }
}

// The naive rule: a box labels the pixels whose centre it covers; two classes on one pixel
// leave it unlabelled.
std::vector<int32_t> naive_labels(const std::vector<Box>& boxes) {
  std::vector<int32_t> out(kRows * kCols, 0);
  std::vector<bool> conflict(out.size(), false);
  for (const Box& b : boxes) {
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t c = 0; c < kCols; ++c) {
        const double x = kPixel * (c + 0.5), y = kPixel * (r + 0.5);
        if (x < b.x0 || x > b.x1 || y < b.y0 || y > b.y1) continue;
        int32_t& v = out[r * kCols + c];
        if (v != 0 && v != b.id) conflict[r * kCols + c] = true;
        v = b.id;
      }
    }
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (conflict[i]) out[i] = 0;
  return out;
}

const std::vector<Box> kBoxes = {
    {20, 100, 10, 60, 1},    // cols 2-9, rows 1-5
    {80, 150, 40, 100, 2},   // cols 8-14, rows 4-9: 4 pixels shared with class 1
    {140, 200, 90, 130, 2},  // overlaps the other class-2 box only: no conflict
    {210, 290, 150, 190, 4},
};

TEST(VectorLabels, PolygonsAndPointsLandOnThePixelsTheyCover) {
  test::TempDir dir;
  OGRSpatialReference utm;
  utm.importFromEPSG(32633);
  const std::string path = dir.file("truth.gpkg");
  write_layer(path, "GPKG", &utm, {{"name", OFTString}, {"class", OFTInteger}}, static_cast<int>(kBoxes.size()) + 1,
              [](OGRFeature& f, int i) {
                f.SetField("name", "x");
                if (i < static_cast<int>(kBoxes.size())) {
                  f.SetField("class", kBoxes[i].id);
                  OGRPolygon p = polygon_of(kBoxes[i]);
                  f.SetGeometry(&p);
                } else {
                  f.SetField("class", 3);  // a GPS point: the pixel it falls in
                  OGRPoint point(kX0 + 255, kY0 - 55);
                  f.SetGeometry(&point);
                }
              });
  EXPECT_TRUE(is_vector_source(path));
  EXPECT_FALSE(is_vector_source(std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat"));
  std::vector<std::string> notes;
  const LabelMap map = rasterize_labels(path, utm_grid(), kRows, kCols, ClassTable(), {}, &notes);
  std::vector<int32_t> expected = naive_labels(kBoxes);
  expected[5 * kCols + 25] = 3;
  EXPECT_EQ(map.labels, expected);
  EXPECT_EQ(std::count(map.labels.begin(), map.labels.end(), 1), 40 - 4);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("4 pixel(s) lie in features of different classes"), std::string::npos) << notes[0];
  EXPECT_TRUE(map.geo.has_geotransform);
  EXPECT_EQ(map.geo.projection_wkt, utm_grid().projection_wkt);
}

// Class names instead of ids (case aside), another format and another CRS: the same pixels.
TEST(VectorLabels, NamesAndAnotherCrsGiveTheSamePixels) {
  test::TempDir dir;
  OGRSpatialReference utm, wgs84;
  utm.importFromEPSG(32633);
  wgs84.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_wgs84(OGRCreateCoordinateTransformation(&utm, &wgs84));
  ASSERT_TRUE(to_wgs84);
  const std::vector<Box> boxes = {kBoxes[0], kBoxes[3]};
  const char* names[] = {"meadows", "Asphalt"};
  const std::string path = dir.file("truth.geojson");
  write_layer(path, "GeoJSON", &wgs84, {{"crop", OFTString}, {"area", OFTInteger}, {"code", OFTInteger}}, 2, [&](OGRFeature& f, int i) {
    f.SetField("crop", names[i]);
    f.SetField("area", 7);
    f.SetField("code", 99);
    OGRPolygon p = polygon_of(boxes[i]);
    p.segmentize(1.0);  // a straight edge in UTM is (very nearly) straight in degrees at this scale
    ASSERT_EQ(p.transform(to_wgs84.get()), OGRERR_NONE);
    f.SetGeometry(&p);
  });
  const ClassTable classes = ClassTable::parse({"1 | Meadows | 00ff00", "4 | Asphalt | 808080"}, "test");
  VectorLabelOptions options;
  options.field = "crop";
  const LabelMap map = rasterize_labels(path, utm_grid(), kRows, kCols, classes, options, nullptr);
  EXPECT_EQ(map.labels, naive_labels(boxes));

  // The wrong attribute, none named among several integers, a name of no class: each an error
  // naming the file and what to set.
  const auto message = [&](const VectorLabelOptions& o, const ClassTable& table) {
    try {
      rasterize_labels(path, utm_grid(), kRows, kCols, table, o, nullptr);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({}, classes).find("has several integer attributes: set data.label_field"), std::string::npos);
  VectorLabelOptions missing;
  missing.field = "clas";
  EXPECT_NE(message(missing, classes).find("has no attribute 'clas' (data.label_field); its attributes: crop (String)"), std::string::npos);
  EXPECT_NE(message(options, ClassTable::parse({"1 | Meadows | 00ff00"}, "test")).find("holds 'Asphalt', which is neither a class id nor"),
            std::string::npos);
  GeoInfo no_geo;
  EXPECT_NE(message(options, classes).find("no error"), std::string::npos);
  try {
    rasterize_labels(path, no_geo, kRows, kCols, classes, options, nullptr);
    ADD_FAILURE() << "features placed on a cube without geo-referencing";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the cube has no geo-referencing"), std::string::npos) << e.what();
  }
  GeoInfo elsewhere = utm_grid();
  elsewhere.geotransform[0] += 1e6;
  try {
    rasterize_labels(path, elsewhere, kRows, kCols, classes, options, nullptr);
    ADD_FAILURE() << "features outside the cube gave a label map";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no feature covers a pixel of the cube"), std::string::npos) << e.what();
  }
}

// A polygon whose edges cut through pixels: its centres, or with all_touched every pixel it touches.
TEST(VectorLabels, AllTouchedLabelsEveryPixelAPolygonTouches) {
  test::TempDir dir;
  OGRSpatialReference utm;
  utm.importFromEPSG(32633);
  const Box box{23, 52, 13, 33, 5};
  const std::string path = dir.file("one.geojson");
  write_layer(path, "GeoJSON", &utm, {{"class", OFTInteger}}, 1, [&](OGRFeature& f, int) {
    f.SetField("class", box.id);
    OGRPolygon p = polygon_of(box);
    f.SetGeometry(&p);
  });
  const LabelMap centres = rasterize_labels(path, utm_grid(), kRows, kCols, ClassTable(), {}, nullptr);
  EXPECT_EQ(centres.labels, naive_labels({box}));
  EXPECT_EQ(std::count(centres.labels.begin(), centres.labels.end(), 5), 3 * 2);
  VectorLabelOptions touched;
  touched.all_touched = true;
  const LabelMap all = rasterize_labels(path, utm_grid(), kRows, kCols, ClassTable(), touched, nullptr);
  EXPECT_EQ(all.labels, naive_labels({Box{20, 60, 10, 40, 5}}));  // columns 2-5, rows 1-3
  EXPECT_EQ(std::count(all.labels.begin(), all.labels.end(), 5), 4 * 3);
}

// A real ground truth, polygonised by GDAL and burnt back: every pixel as it was.
TEST(VectorLabels, APolygonisedGroundTruthComesBackPixelForPixel) {
  test::TempDir dir;
  const LabelMap gt = read_labels(std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat");
  GDALAllRegister();
  GDALDataset* raster = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", static_cast<int>(gt.cols), static_cast<int>(gt.rows), 1,
                                                                                GDT_Int32, nullptr);
  ASSERT_NE(raster, nullptr);
  GeoInfo grid = utm_grid();
  raster->SetGeoTransform(grid.geotransform.data());
  std::vector<int32_t> values = gt.labels;
  ASSERT_EQ(raster->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, static_cast<int>(gt.cols), static_cast<int>(gt.rows), values.data(),
                                               static_cast<int>(gt.cols), static_cast<int>(gt.rows), GDT_Int32, 0, 0, nullptr),
            CE_None);
  OGRSpatialReference utm;
  utm.importFromEPSG(32633);
  const std::string path = dir.file("fields.shp");
  {
    Writer w;
    w.ds = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile")->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    ASSERT_NE(w.ds, nullptr);
    w.layer = w.ds->CreateLayer("fields", &utm, wkbPolygon, nullptr);
    OGRFieldDefn f("class", OFTInteger);
    ASSERT_EQ(w.layer->CreateField(&f), OGRERR_NONE);
    // The mask leaves the unlabelled pixels out: only fields become polygons.
    ASSERT_EQ(GDALPolygonize(raster->GetRasterBand(1), raster->GetRasterBand(1), w.layer, 0, nullptr, nullptr, nullptr), CE_None);
    EXPECT_GT(w.layer->GetFeatureCount(), 5);
  }
  GDALClose(GDALDataset::ToHandle(raster));
  std::vector<std::string> notes;
  const LabelMap back = rasterize_labels(path, grid, gt.rows, gt.cols, ClassTable(), {}, &notes);
  EXPECT_EQ(back.labels, gt.labels);
  EXPECT_TRUE(notes.empty());
}

// A GeoPackage holds raster tiles, vector layers or both. Raster only is read as a raster;
// both, with no layer named, is an error that says how to name either (before, the raster was
// silently ignored); FILE:LAYER takes the layer's features.
TEST(VectorLabels, AFileOfRasterAndLayersMustNameTheLayer) {
  test::TempDir dir;
  GDALAllRegister();
  GDALDriver* gpkg = GetGDALDriverManager()->GetDriverByName("GPKG");
  ASSERT_NE(gpkg, nullptr);
  const std::string path = dir.file("both.gpkg");
  {
    GDALDataset* raster = gpkg->Create(path.c_str(), 8, 8, 1, GDT_Byte, nullptr);
    ASSERT_NE(raster, nullptr);
    std::array<double, 6> gt = {kX0, kPixel, 0, kY0, 0, -kPixel};
    raster->SetGeoTransform(gt.data());
    raster->SetProjection(utm_wkt().c_str());
    std::vector<uint8_t> ones(64, 1);
    ASSERT_EQ(raster->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 8, 8, ones.data(), 8, 8, GDT_Byte, 0, 0, nullptr), CE_None);
    GDALClose(GDALDataset::ToHandle(raster));
  }
  EXPECT_EQ(vector_content(path), VectorContent::none);
  EXPECT_FALSE(is_vector_source(path));
  {
    GDALDataset* ds = GDALDataset::FromHandle(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
    ASSERT_NE(ds, nullptr);
    OGRSpatialReference utm;
    utm.importFromEPSG(32633);
    OGRLayer* layer = ds->CreateLayer("fields", &utm, wkbPolygon, nullptr);
    ASSERT_NE(layer, nullptr);
    OGRFieldDefn field("class", OFTInteger);
    ASSERT_EQ(layer->CreateField(&field), OGRERR_NONE);
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("class", 2);
    OGRPolygon p = polygon_of({0, 40, 0, 40, 2});
    feature.SetGeometry(&p);
    ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
    GDALClose(GDALDataset::ToHandle(ds));
  }
  EXPECT_EQ(vector_content(path), VectorContent::layers_and_raster);
  try {
    (void)is_vector_source(path);
    ADD_FAILURE() << "a file of both raster and layers was taken as one of them";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds raster data and vector layers (fields): name a layer as"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(is_vector_source(path + ":fields"));
  const LabelMap map = rasterize_labels(path + ":fields", utm_grid(), kRows, kCols, ClassTable(), {}, nullptr);
  EXPECT_EQ(std::count(map.labels.begin(), map.labels.end(), 2), 16);  // 4 x 4 pixel centres
}

}  // namespace
}  // namespace hsi
