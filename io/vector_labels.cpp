#include "io/vector_labels.hpp"

#include <gdal_alg.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/fetch.hpp"
#include "io/gdal_util.hpp"
#include "io/reader.hpp"

namespace hsi {
namespace {

detail::GdalDatasetPtr open_vector(const std::string& path) {
  detail::init_gdal();
  CPLErrorReset();
  return detail::GdalDatasetPtr(GDALDataset::FromHandle(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
}

std::string layer_names(GDALDataset& ds) {
  std::string names;
  for (int i = 0; i < ds.GetLayerCount(); ++i) names += (i ? ", " : "") + std::string(ds.GetLayer(i)->GetName());
  return names;
}

OGRLayer& choose_layer(GDALDataset& ds, const std::string& path, const std::string& name) {
  if (ds.GetLayerCount() == 0) data_error(path, "holds no vector layer");
  if (name.empty()) {
    if (ds.GetLayerCount() > 1) data_error(path, "holds several layers (" + layer_names(ds) + "): name one as " + path + ":LAYER");
    return *ds.GetLayer(0);
  }
  OGRLayer* layer = ds.GetLayerByName(name.c_str());
  if (!layer) data_error(path, "has no layer '" + name + "' (layers: " + layer_names(ds) + ")");
  return *layer;
}

bool is_integer_field(OGRFieldType type) { return type == OFTInteger || type == OFTInteger64; }

std::string field_list(OGRFeatureDefn& defn) {
  std::string list;
  for (int i = 0; i < defn.GetFieldCount(); ++i) {
    OGRFieldDefn* f = defn.GetFieldDefn(i);
    list += (i ? ", " : "") + std::string(f->GetNameRef()) + " (" + OGRFieldDefn::GetFieldTypeName(f->GetType()) + ")";
  }
  return list.empty() ? "none" : list;
}

int choose_field(OGRFeatureDefn& defn, const std::string& source, const std::string& asked, const std::string& key) {
  if (!asked.empty()) {
    const int index = defn.GetFieldIndex(asked.c_str());
    if (index < 0) data_error(source, "has no attribute '" + asked + "' (" + key + "); its attributes: " + field_list(defn));
    return index;
  }
  int found = -1, integers = 0;
  for (int i = 0; i < defn.GetFieldCount(); ++i) {
    if (!is_integer_field(defn.GetFieldDefn(i)->GetType())) continue;
    found = i;
    ++integers;
  }
  if (integers != 1) {
    data_error(source, std::string(integers ? "has several integer attributes" : "has no integer attribute") +
                           ": set " + key + " to the one that holds the class (an id, or a name of [classes]); its attributes: " +
                           field_list(defn));
  }
  return found;
}

// The class a feature's attribute names: an integer id, or a class table name (exact, then
// ignoring case), or a text holding an integer.
int32_t class_of(OGRFeature& feature, int field, const ClassTable& classes, const std::string& source) {
  OGRFieldDefn* defn = feature.GetFieldDefnRef(field);
  const std::string where = "feature " + std::to_string(feature.GetFID()) + ", attribute " + defn->GetNameRef();
  double id = 0;
  if (is_integer_field(defn->GetType()) || defn->GetType() == OFTReal) {
    id = feature.GetFieldAsDouble(field);
    if (id != std::floor(id)) data_error(source, where + " holds " + std::to_string(id) + ", not a class id");
  } else {
    const std::string text = trim(feature.GetFieldAsString(field));
    const auto& table = classes.classes();
    auto named = std::find_if(table.begin(), table.end(), [&](const ClassInfo& c) { return c.name == text; });
    if (named == table.end()) {
      named = std::find_if(table.begin(), table.end(), [&](const ClassInfo& c) { return to_lower(c.name) == to_lower(text); });
    }
    if (named != table.end()) {
      id = named->id;
    } else {
      char* end = nullptr;
      const long value = std::strtol(text.c_str(), &end, 10);
      std::string names;
      for (const ClassInfo& c : classes.classes()) names += (names.empty() ? "" : ", ") + c.name;
      if (text.empty() || *end != '\0') {
        data_error(source, where + " holds '" + text + "', which is neither a class id nor a class name of [classes] (" +
                               (names.empty() ? std::string("the config names no class") : names) + ")");
      }
      id = static_cast<double>(value);
    }
  }
  if (id < 1 || id > 65535) data_error(source, where + " holds the class id " + format_fixed(id, 0) + "; class ids must be within 1..65535");
  return static_cast<int32_t>(id);
}

struct OgrGeometryDeleter {
  void operator()(OGRGeometry* g) const { OGRGeometryFactory::destroyGeometry(g); }
};
using GeometryPtr = std::unique_ptr<OGRGeometry, OgrGeometryDeleter>;

struct TransformDeleter {
  void operator()(OGRCoordinateTransformation* t) const { OGRCoordinateTransformation::DestroyCT(t); }
};

}  // namespace

VectorContent vector_content(const std::string& source) {
  if (is_fetch_source(source)) return VectorContent::none;
  const SourceSpec spec = parse_source(source);
  if (!is_gdal_raster(spec.path)) return VectorContent::none;  // MAT and HDF5 files
  const detail::GdalDatasetPtr ds = open_vector(spec.path);
  if (!ds || ds->GetLayerCount() == 0) return VectorContent::none;
  if (!spec.variable.empty()) return VectorContent::layers;  // FILE:LAYER names features (a GDAL raster takes no variable)
  CPLErrorReset();
  const detail::GdalDatasetPtr raster(
      GDALDataset::FromHandle(GDALOpenEx(spec.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
  CPLErrorReset();
  const bool has_raster = raster && (raster->GetRasterCount() > 0 || CSLCount(raster->GetMetadata("SUBDATASETS")) > 0);
  return has_raster ? VectorContent::layers_and_raster : VectorContent::layers;
}

bool is_vector_source(const std::string& source) {
  switch (vector_content(source)) {
    case VectorContent::none: return false;
    case VectorContent::layers: return true;
    case VectorContent::layers_and_raster: break;
  }
  // Which of the two the user means is not for hsi to guess.
  const std::string path = parse_source(source).path;
  const detail::GdalDatasetPtr ds = open_vector(path);
  data_error(path, "holds raster data and vector layers (" + layer_names(*ds) + "): name a layer as " + path +
                       ":LAYER to take its features as labels, or write the raster to a file of its own (gdal_translate)");
}

LabelMap rasterize_labels(const std::string& source, const GeoInfo& grid, int64_t rows, int64_t cols, const ClassTable& classes,
                          const VectorLabelOptions& options, std::vector<std::string>* notes) {
  const SourceSpec spec = parse_source(source);
  const detail::GdalDatasetPtr ds = open_vector(spec.path);
  if (!ds) data_error(spec.path, "not a vector format GDAL can read (" + detail::last_gdal_error("unknown format") + ")");
  if (!grid.has_geotransform) {
    data_error(source, "features are placed by their map coordinates, and the cube has no geo-referencing to place them with; "
                       "give the labels as a raster of the cube's size instead");
  }
  OGRLayer& layer = choose_layer(*ds, spec.path, spec.variable);
  const int field = choose_field(*layer.GetLayerDefn(), source, options.field, options.field_key);

  // Features in another CRS are reprojected; without a CRS on one side, coordinates are taken
  // as the cube's (said in the notes).
  std::unique_ptr<OGRCoordinateTransformation, TransformDeleter> to_cube;
  const OGRSpatialReference* layer_srs = layer.GetSpatialRef();
  OGRSpatialReference cube_srs;
  const bool cube_has_srs = !grid.projection_wkt.empty() && cube_srs.importFromWkt(grid.projection_wkt.c_str()) == OGRERR_NONE;
  if (layer_srs && cube_has_srs) {
    OGRSpatialReference from(*layer_srs);
    from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    cube_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (!from.IsSame(&cube_srs)) {
      to_cube.reset(OGRCreateCoordinateTransformation(&from, &cube_srs));
      if (!to_cube) data_error(source, "its CRS cannot be transformed to the cube's (" + detail::last_gdal_error("no transformation") + ")");
    }
  } else if (notes && (layer_srs || cube_has_srs)) {
    notes->push_back(source + (layer_srs ? ": the cube has no CRS" : ": the features have no CRS") +
                     "; their coordinates are taken as the cube's map coordinates");
  }

  std::map<int32_t, std::vector<GeometryPtr>> by_class;
  int64_t without_geometry = 0;
  layer.ResetReading();
  for (auto& feature : layer) {
    const OGRGeometry* geometry = feature->GetGeometryRef();
    if (!geometry || geometry->IsEmpty() || !feature->IsFieldSetAndNotNull(field)) {
      ++without_geometry;
      continue;
    }
    const int32_t id = class_of(*feature, field, classes, source);
    GeometryPtr copy(geometry->clone());
    if (to_cube && copy->transform(to_cube.get()) != OGRERR_NONE) {
      data_error(source, "feature " + std::to_string(feature->GetFID()) + " cannot be reprojected to the cube's CRS");
    }
    by_class[id].push_back(std::move(copy));
  }
  if (by_class.empty()) data_error(source, "holds no feature with a geometry and a class");
  if (without_geometry && notes) {
    notes->push_back(source + ": " + std::to_string(without_geometry) + " feature(s) without a geometry or a class value skipped");
  }

  // One class at a time into a byte band: a pixel burnt by two classes is seen, whatever the
  // order of the features.
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  if (!mem) data_error(source, "GDAL has no MEM driver to rasterise with");
  const detail::GdalDatasetPtr canvas(mem->Create("", static_cast<int>(cols), static_cast<int>(rows), 1, GDT_Byte, nullptr));
  if (!canvas) data_error(source, "cannot rasterise onto a " + std::to_string(rows) + " x " + std::to_string(cols) + " grid");
  std::array<double, 6> gt = grid.geotransform;
  canvas->SetGeoTransform(gt.data());
  GDALRasterBand* band = canvas->GetRasterBand(1);
  const size_t pixels = static_cast<size_t>(rows * cols);
  LabelMap map;
  map.source = source;
  map.rows = rows;
  map.cols = cols;
  map.labels.assign(pixels, 0);
  map.geo = grid;
  map.geo.nodata.reset();
  map.geo.wavelengths.clear();
  map.geo.wavelength_units.clear();
  std::vector<uint8_t> burnt(pixels), conflict(pixels, 0);
  const char* const all_touched[] = {"ALL_TOUCHED=TRUE", nullptr};
  for (const auto& [id, geometries] : by_class) {
    band->Fill(0);
    std::vector<OGRGeometryH> handles;
    for (const GeometryPtr& g : geometries) handles.push_back(OGRGeometry::ToHandle(g.get()));
    const std::vector<double> ones(handles.size(), 1.0);
    const int band_list[] = {1};
    CPLErrorReset();
    if (GDALRasterizeGeometries(GDALDataset::ToHandle(canvas.get()), 1, band_list, static_cast<int>(handles.size()), handles.data(),
                                nullptr, nullptr, ones.data(), options.all_touched ? all_touched : nullptr, nullptr, nullptr) != CE_None ||
        band->RasterIO(GF_Read, 0, 0, static_cast<int>(cols), static_cast<int>(rows), burnt.data(), static_cast<int>(cols),
                       static_cast<int>(rows), GDT_Byte, 0, 0, nullptr) != CE_None) {
      data_error(source, "rasterising class " + std::to_string(id) + " failed: " + detail::last_gdal_error("GDAL error"));
    }
    int64_t covered = 0;
    for (size_t i = 0; i < pixels; ++i) {
      if (!burnt[i]) continue;
      ++covered;
      if (map.labels[i] == 0) {
        map.labels[i] = id;
      } else if (map.labels[i] != id) {
        conflict[i] = 1;
      }
    }
    if (covered == 0 && notes) {
      notes->push_back(source + ": the " + std::to_string(geometries.size()) + " feature(s) of class " + std::to_string(id) +
                       " cover no pixel centre of the cube (outside it, or smaller than a pixel: data.all_touched = true burns every "
                       "pixel a polygon touches)");
    }
  }
  int64_t ambiguous = 0, labelled = 0;
  for (size_t i = 0; i < pixels; ++i) {
    if (conflict[i]) {
      map.labels[i] = 0;
      ++ambiguous;
    }
    labelled += map.labels[i] != 0;
  }
  if (ambiguous && notes) {
    notes->push_back(source + ": " + std::to_string(ambiguous) + " pixel(s) lie in features of different classes; left unlabelled");
  }
  if (labelled == 0) {
    OGREnvelope extent;
    if (layer.GetExtent(&extent, TRUE) != OGRERR_NONE) data_error(source, "no feature covers a pixel of the cube");
    const double x0 = gt[0], y0 = gt[3], x1 = gt[0] + gt[1] * static_cast<double>(cols) + gt[2] * static_cast<double>(rows),
                 y1 = gt[3] + gt[4] * static_cast<double>(cols) + gt[5] * static_cast<double>(rows);
    data_error(source, "no feature covers a pixel of the cube: the features span x " + format_fixed(extent.MinX, 3) + " .. " +
                           format_fixed(extent.MaxX, 3) + ", y " + format_fixed(extent.MinY, 3) + " .. " + format_fixed(extent.MaxY, 3) +
                           " in their own CRS; the cube x " + format_fixed(std::min(x0, x1), 3) + " .. " + format_fixed(std::max(x0, x1), 3) +
                           ", y " + format_fixed(std::min(y0, y1), 3) + " .. " + format_fixed(std::max(y0, y1), 3));
  }
  return map;
}

std::string describe_vector_source(const std::string& path) {
  const detail::GdalDatasetPtr ds = open_vector(path);
  if (!ds) data_error(path, "not a vector format GDAL can read (" + detail::last_gdal_error("unknown format") + ")");
  std::string out = "source:  " + path + " (vector, " + ds->GetDriver()->GetDescription() + ")\n";
  out += "layers:  " + std::to_string(ds->GetLayerCount()) + (ds->GetLayerCount() > 1 ? " (choose one as FILE:LAYER)" : "") + "\n";
  for (int i = 0; i < ds->GetLayerCount(); ++i) {
    OGRLayer* layer = ds->GetLayer(i);
    out += "  " + std::string(layer->GetName()) + ": " + std::to_string(layer->GetFeatureCount()) + " features, " +
           OGRGeometryTypeToName(layer->GetGeomType()) + "\n";
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    const char* authority = srs ? srs->GetAuthorityName(nullptr) : nullptr;
    const char* code = srs ? srs->GetAuthorityCode(nullptr) : nullptr;
    out += "    CRS:        " + std::string(!srs ? "none" : authority && code ? std::string(authority) + ":" + code : std::string(srs->GetName())) + "\n";
    OGREnvelope e;
    if (layer->GetExtent(&e, TRUE) == OGRERR_NONE) {
      out += "    extent:     x " + format_fixed(e.MinX, 3) + " .. " + format_fixed(e.MaxX, 3) + ", y " + format_fixed(e.MinY, 3) + " .. " +
             format_fixed(e.MaxY, 3) + "\n";
    }
    out += "    attributes: " + field_list(*layer->GetLayerDefn()) + "\n";
  }
  return out;
}

}  // namespace hsi

namespace hsi {

namespace {

// The OGR driver of a sample file, by its extension.
const char* sample_driver(const std::string& path) {
  const std::string ext = to_lower(std::filesystem::path(path).extension().string());
  const char* driver_name = ext == ".gpkg" ? "GPKG" : ext == ".geojson" ? "GeoJSON" : nullptr;
  if (!driver_name) usage_error("a sample is written as a GeoPackage (.gpkg) or GeoJSON (.geojson) file, not " + path);
  return driver_name;
}

}  // namespace

void check_sample_path(const std::string& path) { sample_driver(path); }

void write_sample_points(const std::string& path, const std::vector<SamplePoint>& points, const GeoInfo& geo, const ClassTable& classes,
                         const std::string& map_path) {
  const char* driver_name = sample_driver(path);
  if (!geo.has_geotransform) {
    data_error(map_path, "has no geo-referencing: sample points are placed by map coordinates, which it does not give");
  }
  detail::init_gdal();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
  if (!driver) output_error(path, std::string("GDAL has no ") + driver_name + " driver");
  AtomicOutput out(path);
  CPLErrorReset();
  {
    detail::GdalDatasetPtr ds(driver->Create(out.temp_path().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) output_error(path, "cannot create: " + detail::last_gdal_error("GDAL refused"));
    OGRSpatialReference srs;
    const bool has_srs = !geo.projection_wkt.empty() && srs.importFromWkt(geo.projection_wkt.c_str()) == OGRERR_NONE;
    if (has_srs) srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayer* layer = ds->CreateLayer("sample", has_srs ? &srs : nullptr, wkbPoint, nullptr);
    if (!layer) output_error(path, "cannot create the sample layer: " + detail::last_gdal_error("GDAL refused"));
    for (const auto& [name, type] : {std::pair{"row", OFTInteger}, std::pair{"col", OFTInteger}, std::pair{"map_class", OFTInteger},
                                     std::pair{"map_name", OFTString}, std::pair{"reference", OFTInteger}}) {
      OGRFieldDefn field(name, type);
      if (layer->CreateField(&field) != OGRERR_NONE) output_error(path, std::string("cannot add the field ") + name);
    }
    if (layer->StartTransaction() != OGRERR_NONE) CPLErrorReset();  // formats without transactions write feature by feature
    const auto& g = geo.geotransform;
    for (const SamplePoint& p : points) {
      OGRFeature feature(layer->GetLayerDefn());
      feature.SetField("row", static_cast<int>(p.row));
      feature.SetField("col", static_cast<int>(p.col));
      feature.SetField("map_class", p.map_class);
      const int index = classes.index_of(p.map_class);
      const std::string name = index >= 0 ? classes.at(static_cast<size_t>(index)).name : "class_" + std::to_string(p.map_class);
      feature.SetField("map_name", name.c_str());
      // The pixel's centre in map coordinates.
      const double u = static_cast<double>(p.col) + 0.5, v = static_cast<double>(p.row) + 0.5;
      OGRPoint point(g[0] + u * g[1] + v * g[2], g[3] + u * g[4] + v * g[5]);
      feature.SetGeometry(&point);
      if (layer->CreateFeature(&feature) != OGRERR_NONE) output_error(path, "cannot write a point: " + detail::last_gdal_error("GDAL refused"));
    }
    if (layer->CommitTransaction() != OGRERR_NONE) CPLErrorReset();
  }
  if (CPLGetLastErrorType() >= CE_Failure) output_error(path, "writing failed: " + detail::last_gdal_error("GDAL error"));
  out.commit();
}

}  // namespace hsi
