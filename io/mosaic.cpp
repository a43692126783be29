#include "io/mosaic.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

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
  for (const std::string& p : paths) {
    grids.push_back(grid_of(p));
    plan.facts.push_back({grids.back().rows, grids.back().cols, grids.back().bands, grids.back().geo});
  }
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

MosaicWindowSource::MosaicWindowSource(const std::vector<std::string>& paths, const std::vector<RasterFacts>& facts)
    : paths_(paths), readers_(paths.size()) {
  if (paths.empty() || facts.size() != paths.size()) throw Error(ErrorKind::Internal, "a mosaic needs inputs and their facts");
  name_ = "mosaic of " + std::to_string(paths.size()) + " inputs (" + paths.front() + ", ...)";
  double left = 0, top = 0, right = 0, bottom = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    Placement place;
    place.geo = facts[i].geo;
    place.rows = facts[i].rows;
    place.cols = facts[i].cols;
    if (i == 0) {
      geo_ = place.geo;
      bands_ = facts[i].bands;
    }
    const auto& t = place.geo.geotransform;
    const double l = t[0], tp = t[3], r = t[0] + t[1] * static_cast<double>(place.cols), b = t[3] + t[5] * static_cast<double>(place.rows);
    if (i == 0 || l < left) left = l;
    if (i == 0 || r > right) right = r;
    if (i == 0 || (t[5] < 0 ? tp > top : tp < top)) top = tp;
    if (i == 0 || (t[5] < 0 ? b < bottom : b > bottom)) bottom = b;
    placements_.push_back(place);
  }
  const double px = geo_.geotransform[1], py = geo_.geotransform[5];
  geo_.geotransform[0] = left;
  geo_.geotransform[3] = top;
  cols_ = std::llround((right - left) / px);
  rows_ = std::llround((bottom - top) / py);
  for (Placement& p : placements_) {
    p.x0 = std::llround((p.geo.geotransform[0] - left) / px);
    p.y0 = std::llround((p.geo.geotransform[3] - top) / py);
  }
}

MosaicWindowSource::~MosaicWindowSource() = default;

const RasterWindowReader& MosaicWindowSource::reader(size_t i) const {
  if (!readers_[i]) {
    if (open_order_.size() >= kOpenReaders) {
      readers_[open_order_.front()].reset();
      open_order_.erase(open_order_.begin());
    }
    readers_[i] = std::make_unique<RasterWindowReader>(paths_[i]);
    if (readers_[i]->bands() != bands_) data_error(paths_[i], "changed its band count while the batch ran");
    open_order_.push_back(i);
  }
  return *readers_[i];
}

int64_t MosaicWindowSource::reserve_cache_for_window(int64_t h, int64_t w, int64_t limit_bytes) const {
  int64_t size = 0;
  for (size_t i : open_order_) size = std::max(size, readers_[i]->reserve_cache_for_window(h, w, limit_bytes));
  return size;
}

RawWindow MosaicWindowSource::read_raw(int64_t y0, int64_t x0, int64_t h, int64_t w) const {
  RawWindow out;
  out.values = h * w * bands_;
  bool first = true;
  int64_t value_bytes = 0;
  for (size_t i = 0; i < placements_.size(); ++i) {
    const Placement& p = placements_[i];
    const int64_t ty0 = std::max(y0, p.y0), tx0 = std::max(x0, p.x0);
    const int64_t ty1 = std::min(y0 + h, p.y0 + p.rows), tx1 = std::min(x0 + w, p.x0 + p.cols);
    if (ty0 >= ty1 || tx0 >= tx1) continue;
    const RawWindow part = reader(i).read_raw(ty0 - p.y0, tx0 - p.x0, ty1 - ty0, tx1 - tx0);
    if (first) {
      // The window in the inputs' value type (one type: plan_mosaics groups by it), with the
      // nodata value (or 0) where no input lies.
      out.type = part.type;
      visit_samples(part, [&](auto* values) {
        using T = std::remove_pointer_t<decltype(values)>;
        value_bytes = sizeof(T);
        window_.resize(static_cast<size_t>(out.values) * sizeof(T));
        T* all = reinterpret_cast<T*>(window_.data());
        const T fill = geo_.nodata ? static_cast<T>(*geo_.nodata) : T(0);
        std::fill(all, all + out.values, fill);
      });
      first = false;
    }
    const int64_t row_bytes = (tx1 - tx0) * bands_ * value_bytes;
    const auto* src = static_cast<const unsigned char*>(part.data);
    for (int64_t y = ty0; y < ty1; ++y) {
      std::copy_n(src + (y - ty0) * row_bytes, row_bytes, window_.data() + (((y - y0) * w) + (tx0 - x0)) * bands_ * value_bytes);
    }
  }
  if (first) {
    // No input under the window at all: nodata (or 0) as float.
    out.type = SampleType::Float32;
    window_.resize(static_cast<size_t>(out.values) * sizeof(float));
    float* all = reinterpret_cast<float*>(window_.data());
    std::fill(all, all + out.values, geo_.nodata ? static_cast<float>(*geo_.nodata) : 0.0f);
  }
  out.data = window_.data();
  return out;
}

}  // namespace hsi
