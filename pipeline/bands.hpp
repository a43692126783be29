#pragma once
// Which of a cube's bands a run uses: `data.drop_bands` by 1-based number, and
// `data.drop_wavelengths` by centre wavelength, the way analysts name water-absorption windows
// ("1340-1450, 1790-1960 nm"), resolved against the wavelengths the cube carries.
#include <string>
#include <utility>
#include <vector>

#include "io/raster.hpp"
#include "pipeline/settings.hpp"

namespace hsi {

// "1340-1450, 1790-1960 nm" or "1.34-1.45, 1.79-1.96 um" (µm, micrometers, nanometers) as
// [low, high] ranges in nanometres. The unit must be stated. Usage error naming `key` otherwise.
std::vector<std::pair<double, double>> parse_wavelength_ranges(const std::string& text, const std::string& key);

// The cube's band centres in nanometres, from its wavelength units; when the file does not state
// them, values below 100 are taken as micrometres and the choice is said in `*note`. Empty when
// the cube carries no wavelengths.
std::vector<double> band_centres_nm(const GeoInfo& geo, std::string* note = nullptr);

// 1-based bands whose centre (nm, as band_centres_nm gives them) lies within [low, high].
std::vector<int> bands_within(const std::vector<double>& centres_nm, double low, double high);

// 1-based bands dropped by data.drop_bands and data.drop_wavelengths together (sorted, unique).
// Usage errors name the key: a band beyond the cube, wavelengths asked of a cube without them,
// a range that matches no band.
std::vector<int> dropped_bands(const DataSettings& data, const Cube& cube);

// "104-108,150-163,220": 1-based bands as ranges.
std::string band_ranges_text(const std::vector<int>& bands);

}  // namespace hsi
