#include "io/mosaic.hpp"

#include <gdal_utils.h>

#include <cmath>

#include "common/error.hpp"
#include "io/gdal_util.hpp"
#include "io/reader.hpp"

namespace hsi {
namespace {

struct Grid {
  std::string why_not;  // empty: can join a mosaic
  int64_t rows = 0, cols = 0, bands = 0;
  int type = 0;
  GeoInfo geo;
};

Grid grid_of(const std::string& path) {
  Grid g;
  if (!is_gdal_raster(path)) {
    g.why_not = "not a GDAL raster";
    return g;
  }
  try {
    detail::GdalDatasetPtr ds = detail::open_gdal_dataset(path);
    g.rows = ds->GetRasterYSize();
    g.cols = ds->GetRasterXSize();
    g.bands = ds->GetRasterCount();
    if (g.bands > 0) g.type = ds->GetRasterBand(1)->GetRasterDataType();
    for (int b = 2; b <= g.bands; ++b)
      if (ds->GetRasterBand(b)->GetRasterDataType() != g.type) g.why_not = "bands of several data types";
    g.geo = detail::read_georeferencing(*ds);
  } catch (const Error&) {
    g.why_not = "unreadable";  // reported when the input itself is classified
    return g;
  }
  const auto& t = g.geo.geotransform;
  if (!g.geo.has_geotransform) g.why_not = "no geo-referencing";
  else if (t[2] != 0 || t[4] != 0) g.why_not = "rotated grid";
  return g;
}

bool on_whole_pixels(double offset, double pixel) {
  const double n = offset / pixel;
  return std::abs(n - std::round(n)) < 1e-6;
}

// Same grid: CRS, pixel size, band count and type, origins a whole number of pixels apart.
std::string mismatch(const Grid& a, const Grid& b) {
  const auto &ta = a.geo.geotransform, &tb = b.geo.geotransform;
  if (a.bands != b.bands) return "other band count";
  if (a.type != b.type) return "other data type";
  if (a.geo.projection_wkt != b.geo.projection_wkt) return "other CRS";
  if (std::abs(ta[1] - tb[1]) > 1e-9 * std::abs(ta[1]) || std::abs(ta[5] - tb[5]) > 1e-9 * std::abs(ta[5])) return "other pixel size";
  if (!on_whole_pixels(tb[0] - ta[0], ta[1]) || !on_whole_pixels(tb[3] - ta[3], ta[5])) return "origin off the grid";
  return "";
}

}  // namespace

MosaicPlan plan_mosaics(const std::vector<std::string>& paths) {
  MosaicPlan plan;
  std::vector<Grid> grids;
  for (const std::string& p : paths) grids.push_back(grid_of(p));
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!grids[i].why_not.empty()) {
      plan.alone.emplace_back(i, grids[i].why_not);
      continue;
    }
    bool placed = false;
    for (auto& group : groups)
      if (mismatch(grids[group.front()], grids[i]).empty()) {
        group.push_back(i);
        placed = true;
        break;
      }
    if (!placed) groups.push_back({i});
  }
  for (auto& group : groups) {
    if (group.size() >= 2) {
      plan.groups.push_back(group);
    } else {
      // Why it shares no grid: against the first other group, for the log.
      std::string why = "no other input on its grid";
      for (const auto& other : groups)
        if (other != group) {
          why = mismatch(grids[other.front()], grids[group.front()]) + " than " + paths[other.front()];
          break;
        }
      plan.alone.emplace_back(group.front(), why);
    }
  }
  return plan;
}

InputMosaic::InputMosaic(const std::vector<std::string>& paths, const std::string& name) : path_("/vsimem/hsi_mosaic_" + name + ".vrt") {
  detail::init_gdal();
  std::vector<const char*> names;
  for (const auto& p : paths) names.push_back(p.c_str());
  int usage_error_flag = 0;
  CPLErrorReset();
  GDALDatasetH vrt = GDALBuildVRT(path_.c_str(), static_cast<int>(names.size()), nullptr, names.data(), nullptr, &usage_error_flag);
  if (!vrt) data_error(paths.front(), "cannot join the batch inputs into one mosaic: " + detail::last_gdal_error("GDAL refused"));
  double vt[6];
  GDALGetGeoTransform(vrt, vt);
  GDALClose(vrt);
  for (const std::string& p : paths) {
    detail::GdalDatasetPtr ds = detail::open_gdal_dataset(p);
    Placement place;
    place.geo = detail::read_georeferencing(*ds);
    place.rows = ds->GetRasterYSize();
    place.cols = ds->GetRasterXSize();
    place.x0 = std::llround((place.geo.geotransform[0] - vt[0]) / vt[1]);
    place.y0 = std::llround((place.geo.geotransform[3] - vt[3]) / vt[5]);
    placements_.push_back(place);
  }
}

InputMosaic::~InputMosaic() { VSIUnlink(path_.c_str()); }

}  // namespace hsi
