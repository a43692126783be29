#include "pipeline/bands.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"

namespace hsi {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// nm per unit, or 0 when the name is not a length unit hsi knows.
double nanometres_per(const std::string& unit) {
  const std::string u = lower(trim(unit));
  if (u == "nm" || u == "nanometer" || u == "nanometers" || u == "nanometre" || u == "nanometres") return 1.0;
  if (u == "um" || u == "\xc2\xb5m" || u == "\xce\xbcm" || u == "micrometer" || u == "micrometers" || u == "micrometre" || u == "micrometres" ||
      u == "microns" || u == "micron")
    return 1000.0;
  return 0.0;
}

double parse_number(const std::string& token, const std::string& key) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(token, &used);
  } catch (const std::exception&) {
    usage_error(key + ": '" + token + "' is not a wavelength");
  }
  if (used != token.size()) usage_error(key + ": '" + token + "' is not a wavelength");
  return v;
}

}  // namespace

std::vector<std::pair<double, double>> parse_wavelength_ranges(const std::string& text, const std::string& key) {
  std::string body = trim(text);
  if (body.empty()) return {};
  // The unit is the trailing word: everything after the last digit or dot.
  size_t end = body.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(body[end - 1])) && body[end - 1] != '.') --end;
  const double scale = nanometres_per(body.substr(end));
  if (scale == 0.0) {
    usage_error(key + ": state the unit after the ranges, nm or um (e.g. '1340-1450, 1790-1960 nm'); got '" + trim(body.substr(end)) + "'");
  }
  std::vector<std::pair<double, double>> ranges;
  for (const std::string& raw : split(body.substr(0, end), ',')) {
    const std::string part = trim(raw);
    if (part.empty()) continue;
    const size_t dash = part.find('-', 1);
    const double lo = parse_number(trim(part.substr(0, dash)), key);
    const double hi = dash == std::string::npos ? lo : parse_number(trim(part.substr(dash + 1)), key);
    if (!(lo > 0) || hi < lo) usage_error(key + ": bad range '" + part + "' (positive wavelengths, low-high)");
    ranges.emplace_back(lo * scale, hi * scale);
  }
  if (ranges.empty()) usage_error(key + ": no range given");
  return ranges;
}

std::vector<double> band_centres_nm(const GeoInfo& geo, std::string* note) {
  if (geo.wavelengths.empty()) return {};
  double scale = nanometres_per(geo.wavelength_units);
  if (scale == 0.0) {
    // Files without units: AVIRIS/Hyperion-style headers list micrometres (0.4-2.5), others nm.
    const double top = *std::max_element(geo.wavelengths.begin(), geo.wavelengths.end());
    scale = top < 100 ? 1000.0 : 1.0;
    if (note) {
      *note = "the cube's wavelength units are " + (geo.wavelength_units.empty() ? std::string("not stated") : "'" + geo.wavelength_units + "'") +
              "; its values (up to " + format_fixed(top, 3) + ") are read as " + (scale == 1.0 ? "nanometres" : "micrometres");
    }
  }
  std::vector<double> nm;
  for (double w : geo.wavelengths) nm.push_back(w * scale);
  return nm;
}

std::vector<int> bands_within(const std::vector<double>& centres_nm, double low, double high) {
  std::vector<int> bands;
  for (size_t b = 0; b < centres_nm.size(); ++b)
    if (centres_nm[b] >= low && centres_nm[b] <= high) bands.push_back(static_cast<int>(b + 1));
  return bands;
}

std::vector<int> dropped_bands(const DataSettings& data, const Cube& cube) {
  std::set<int> dropped;
  for (int band : parse_index_ranges(data.drop_bands, "data.drop_bands")) {
    if (band > cube.bands) {
      usage_error("data.drop_bands: band " + std::to_string(band) + " does not exist; " + cube.source + " has " + std::to_string(cube.bands) +
                  " bands");
    }
    dropped.insert(band);
  }
  const auto ranges = parse_wavelength_ranges(data.drop_wavelengths, "data.drop_wavelengths");
  if (!ranges.empty()) {
    const std::vector<double> nm = band_centres_nm(cube.geo);
    if (nm.empty()) {
      usage_error("data.drop_wavelengths: " + cube.source +
                  " carries no band wavelengths (ENVI header or GDAL band metadata); drop bands by number with data.drop_bands");
    }
    if (static_cast<int64_t>(nm.size()) != cube.bands) usage_error("data.drop_wavelengths: " + cube.source + " lists wavelengths for some bands only");
    for (const auto& [lo, hi] : ranges) {
      const std::vector<int> caught = bands_within(nm, lo, hi);
      dropped.insert(caught.begin(), caught.end());
      if (caught.empty()) {
        usage_error("data.drop_wavelengths: no band of " + cube.source + " lies within " + format_fixed(lo, 1) + "-" + format_fixed(hi, 1) +
                    " nm (its bands span " + format_fixed(nm.front(), 1) + "-" + format_fixed(nm.back(), 1) + " nm)");
      }
    }
  }
  if (static_cast<int64_t>(dropped.size()) >= cube.bands) usage_error("data.drop_bands and data.drop_wavelengths drop every band of " + cube.source);
  return {dropped.begin(), dropped.end()};
}

std::string band_ranges_text(const std::vector<int>& bands) {
  std::string out;
  for (size_t i = 0; i < bands.size();) {
    size_t j = i;
    while (j + 1 < bands.size() && bands[j + 1] == bands[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(bands[i]) + (j > i ? "-" + std::to_string(bands[j]) : "");
    i = j + 1;
  }
  return out;
}

}  // namespace hsi
