#include "io/reader.hpp"
#include "io/fetch.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "io/backends.hpp"
#include "io/gdal_util.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace detail {

std::string VariableInfo::describe() const {
  std::string shape;
  for (size_t i = 0; i < dims.size(); ++i) shape += (i ? "x" : "") + std::to_string(dims[i]);
  std::string also;
  for (const std::string& alias : aliases) also += ", also " + alias;
  return name + " (" + (shape.empty() ? "scalar" : shape) + " " + type + also + ")";
}

const VariableInfo& choose_variable(const std::vector<VariableInfo>& vars, const SourceSpec& spec, Want want) {
  std::string listing;
  for (const auto& v : vars) listing += (listing.empty() ? "" : ", ") + v.describe();
  const VariableInfo* chosen = nullptr;
  if (!spec.variable.empty()) {
    for (const auto& v : vars) {
      if (v.name == spec.variable || std::find(v.aliases.begin(), v.aliases.end(), spec.variable) != v.aliases.end()) chosen = &v;
    }
    if (!chosen) data_error(spec.path, "no variable '" + spec.variable + "'; the file holds: " + listing);
  } else {
    std::vector<const VariableInfo*> candidates;
    for (const auto& v : vars) {
      if (v.numeric && v.rank == want.rank) candidates.push_back(&v);
    }
    if (candidates.size() != 1) {
      data_error(spec.path, std::string(candidates.empty() ? "no" : "more than one") + " " + std::to_string(want.rank) +
                                "-D numeric variable to use as the " + want.what() +
                                "; name one as FILE:VARIABLE. The file holds: " + listing);
    }
    chosen = candidates.front();
  }
  if (!chosen->numeric) {
    data_error(spec.path + ":" + chosen->name, "variable is " + chosen->type + ", not a real numeric array");
  }
  if (chosen->rank != want.rank) {
    data_error(spec.path + ":" + chosen->name, std::string("a ") + want.what() + " must be " + std::to_string(want.rank) +
                                                   "-D, this variable is " + chosen->describe());
  }
  return *chosen;
}

PreparedCube prepare_cube(const VariableInfo& chosen, const std::string& where, const std::string& axis_order, bool column_major) {
  std::array<int64_t, 3> dims{1, 1, 1};
  for (int i = 0; i < chosen.rank; ++i) dims[i] = chosen.dims[i];
  PreparedCube p;
  p.layout = make_layout(dims, chosen.rank, axis_order, column_major, where);
  Cube& cube = p.cube;
  cube.source = where;
  cube.source_type = chosen.type;
  extents_of(p.layout, cube.rows, cube.cols, cube.bands);
  check_allocation(where, cube.rows, cube.cols, cube.bands);
  cube.data.resize(static_cast<size_t>(cube.rows * cube.cols * cube.bands));
  return p;
}

}  // namespace detail

namespace {

enum class Format { Gdal, Hdf5, Matlab73, Matlab5 };

bool has_hdf5_signature(const std::string& path) {
  // HDF5 puts its signature at offset 0, 512, 1024, ... (MATLAB v7.3 uses 512).
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream f(path, std::ios::binary);
  for (std::streamoff offset : {0, 512, 1024, 2048}) {
    char buf[8];
    f.clear();
    f.seekg(offset);
    if (f.read(buf, 8) && std::equal(buf, buf + 8, kSignature)) return true;
  }
  return false;
}

Format detect_format(const std::string& path) {
  // GDAL's virtual file systems (/vsizip/, /vsicurl/, /vsimem/, ...): GDAL opens and checks them.
  if (path.rfind("/vsi", 0) == 0) return Format::Gdal;
  if (!fs::exists(path)) data_error(path, "file not found");
  if (fs::is_directory(path)) data_error(path, "is a folder, not a file");
  const std::string ext = to_lower(fs::path(path).extension().string());
  if (ext == ".mat") return has_hdf5_signature(path) ? Format::Matlab73 : Format::Matlab5;
  if (ext == ".h5" || ext == ".hdf5" || ext == ".he5" || ext == ".hdf") {
    if (!has_hdf5_signature(path)) data_error(path, "not an HDF5 file (no HDF5 signature; truncated or another format)");
    return Format::Hdf5;
  }
  // NetCDF-4 (EMIT, PRISMA-style products) is HDF5 underneath: read through the HDF5 reader, so
  // FILE.nc:/group/variable names a variable; classic NetCDF-3 files go to GDAL.
  if ((ext == ".nc" || ext == ".nc4" || ext == ".cdf") && has_hdf5_signature(path)) return Format::Hdf5;
  return Format::Gdal;
}

}  // namespace

bool is_gdal_raster(const std::string& path) { return detect_format(path) == Format::Gdal; }

namespace {

Cube read_any(const std::string& source, const ReadOptions& options, detail::Want want) {
  const SourceSpec spec = parse_source(source);
  switch (detect_format(spec.path)) {
    case Format::Matlab5: return detail::read_matio(spec, options, want);
    case Format::Matlab73: return detail::read_hdf5(spec, options, want, /*matlab=*/true);
    case Format::Hdf5: return detail::read_hdf5(spec, options, want, /*matlab=*/false);
    case Format::Gdal:
      if (!spec.variable.empty()) usage_error(source + ": a variable can only be named for .mat and HDF5 files");
      return detail::read_gdal(spec, want);
  }
  return {};
}

}  // namespace

SourceSpec parse_source(const std::string& source) {
  if (is_fetch_source(source)) return parse_source(resolve_fetch_source(source));
  // "path:variable" only when the part before the colon is an existing file, so that paths
  // containing colons (and GDAL's "NETCDF:..." style names) keep working.
  SourceSpec spec{source, ""};
  if (fs::exists(source)) return spec;
  const size_t colon = source.rfind(':');
  if (colon != std::string::npos && colon > 0 && fs::exists(source.substr(0, colon))) {
    spec.path = source.substr(0, colon);
    spec.variable = source.substr(colon + 1);
  }
  return spec;
}

Cube read_cube(const std::string& source, const ReadOptions& options) {
  Cube cube = read_any(source, options, detail::Want{3});
  return cube;
}

LabelMap read_labels(const std::string& source, const ReadOptions& options) {
  Cube raw = read_any(source, options, detail::Want{2});
  LabelMap map;
  map.source = raw.source;
  map.rows = raw.rows;
  map.cols = raw.cols;
  map.geo = raw.geo;
  map.labels.resize(raw.data.size());
  for (size_t i = 0; i < raw.data.size(); ++i) {
    const float v = raw.data[i];
    if (!std::isfinite(v) || v != std::floor(v)) data_error(raw.source, "label map holds a non-integer value (" + std::to_string(v) + ")");
    if (v < 0 || v > 65535) data_error(raw.source, "label map holds the value " + std::to_string(static_cast<int64_t>(v)) + "; class ids must be within 0..65535");
    map.labels[i] = static_cast<int32_t>(v);
  }
  return map;
}

std::vector<std::string> list_variables(const std::string& path) {
  switch (detect_format(path)) {
    case Format::Matlab5: return detail::list_matio(path);
    case Format::Matlab73: return detail::list_hdf5(path, true);
    case Format::Hdf5: return detail::list_hdf5(path, false);
    case Format::Gdal: return {};
  }
  return {};
}

}  // namespace hsi

namespace hsi {

ClassTable read_class_table(const std::string& source) {
  const SourceSpec spec = parse_source(source);
  if (!spec.variable.empty() || !is_gdal_raster(spec.path)) return ClassTable();
  detail::GdalDatasetPtr ds = detail::open_gdal_dataset(spec.path);
  if (!ds || ds->GetRasterCount() < 1) return ClassTable();
  // GDAL 3.6's GeoTIFF driver loads the .aux.xml sidecar (where category names live) lazily, on
  // the first dataset-level metadata request, but not for a band's category names.
  ds->GetMetadata();
  GDALRasterBand* band = ds->GetRasterBand(1);
  char** names = band->GetCategoryNames();
  const GDALColorTable* colours = band->GetColorTable();
  std::vector<ClassInfo> classes;
  for (int id = 1; names && names[id - 1] && names[id]; ++id) {
    const std::string name = names[id];
    if (name.empty()) continue;
    ClassInfo c{id, name, distinct_colour(classes.size())};
    if (colours && id < colours->GetColorEntryCount()) {
      const GDALColorEntry* e = colours->GetColorEntry(id);
      c.rgb = {static_cast<uint8_t>(e->c1), static_cast<uint8_t>(e->c2), static_cast<uint8_t>(e->c3)};
    }
    classes.push_back(c);
  }
  return ClassTable(classes);
}

}  // namespace hsi
