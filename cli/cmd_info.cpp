// hsi info CUBE: what is in a raster, before anyone trains on it.
#include <omp.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/cube_stats.hpp"
#include "io/reader.hpp"
#include "io/vector_labels.hpp"
#include "pipeline/bands.hpp"

namespace po = boost::program_options;

namespace hsi::cli {
namespace {

std::string format_nodata(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// The bands a config's [data] drops, and for each wavelength range which bands it caught.
void print_dropped_bands(const DataSettings& d, const Cube& cube) {
  const std::vector<int> dropped = dropped_bands(d, cube);
  std::cout << "bands used:  " << cube.bands - static_cast<int64_t>(dropped.size()) << " of " << cube.bands << " (dropped: "
            << (dropped.empty() ? std::string("none") : band_ranges_text(dropped)) << ")\n";
  if (!d.drop_bands.empty()) std::cout << "  data.drop_bands = " << d.drop_bands << "\n";
  if (d.drop_wavelengths.empty()) return;
  std::string note;
  const std::vector<double> nm = band_centres_nm(cube.geo, &note);
  if (!note.empty()) std::cout << "  note: " << note << "\n";
  for (const auto& [lo, hi] : parse_wavelength_ranges(d.drop_wavelengths, "data.drop_wavelengths")) {
    const std::vector<int> caught = bands_within(nm, lo, hi);
    std::cout << "  data.drop_wavelengths " << format_fixed(lo, 1) << "-" << format_fixed(hi, 1) << " nm: bands " << band_ranges_text(caught)
              << " (" << format_fixed(nm[static_cast<size_t>(caught.front() - 1)], 1) << "-"
              << format_fixed(nm[static_cast<size_t>(caught.back() - 1)], 1) << " nm)\n";
  }
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  std::string source, axis_order = "rcb", config;
  bool band_stats = false, labels = false;
  po::options_description desc(
      "hsi info CUBE [options]  |  hsi info --config SCENE.ini\n\nDescribes a cube (or, with --labels, a label map); with --config, the "
      "config's cube and the bands its [data] drops");
  desc.add_options()("help,h", "show this help")(
      "axis-order", po::value(&axis_order)->default_value("rcb"),
      "roles of the variable's dims as listed (MATLAB size() / HDF5 dims): permutation of r,c,b")(
      "band-stats", po::bool_switch(&band_stats), "print per-band mean and population std")(
      "labels", po::bool_switch(&labels), "read as a label map and print the class counts")(
      "config", po::value(&config), "describe this config's cube (data.cube) and which bands drop_bands / drop_wavelengths drop");
  po::options_description hidden;
  hidden.add_options()("input", po::value(&source));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  parse_or_usage_error(args, all, pos, vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  RunSettings settings;
  if (!config.empty()) {
    std::ifstream in(config);
    if (!in) usage_error(config + ": cannot open the config");
    settings = settings_from_ini(in, config);
    if (labels) usage_error("--labels describes a label map; --config describes the config's cube");
    if (source.empty()) source = settings.data.cube;
    if (vm["axis-order"].defaulted()) axis_order = settings.data.axis_order;
  }
  if (source.empty()) usage_error(config.empty() ? "no input given (hsi info FILE[:VARIABLE])" : config + " names no data.cube");
  ReadOptions options;
  options.axis_order = axis_order;

  if (is_vector_source(source)) {
    std::cout << describe_vector_source(parse_source(source).path)
              << "(labels as features: they are burnt onto the cube's grid when a config names them as data.labels, with\n"
                 " data.label_field the attribute that holds the class id or name)\n";
    return 0;
  }
  if (labels) {
    LabelMap map = read_labels(source, options);
    std::map<int32_t, int64_t> counts;
    for (int32_t v : map.labels) ++counts[v];
    const bool has_nodata = map.geo.nodata.has_value();
    const auto is_nodata = [&](int32_t id) { return has_nodata && static_cast<double>(id) == *map.geo.nodata; };
    size_t classes = 0;
    for (const auto& [id, n] : counts) classes += id != 0 && !is_nodata(id);
    std::cout << "source:  " << map.source << "\n"
              << "size:    " << map.rows << " rows x " << map.cols << " columns\n"
              << "classes: " << classes << "\n";
    const ClassTable named = read_class_table(source);  // a class map's own names, when it has them
    for (const auto& [id, n] : counts) {
      const int at = named.index_of(id);
      std::cout << "  " << id << (at >= 0 ? " " + named.at(static_cast<size_t>(at)).name : std::string())
                << (id == 0 ? " (unlabelled)" : is_nodata(id) ? " (the raster's nodata value: unlabelled)" : "") << ": " << n << "\n";
    }
    return 0;
  }

  Cube cube = read_cube(source, options);
  const CubeStats stats = compute_stats(cube, band_stats);
  std::cout << "source:      " << cube.source << "\n"
            << "size:        " << cube.rows << " rows x " << cube.cols << " columns x " << cube.bands << " bands\n"
            << "data type:   " << cube.source_type << " (held as float32, "
            << format_fixed(cube.data.size() * 4.0 / (1 << 20), 1) << " MiB)\n"
            << "value range: " << stats.min << " .. " << stats.max << "\n"
            << "NaN/Inf:     " << stats.nonfinite << "\n"
            << "nodata:      "
            << (cube.geo.nodata ? format_nodata(*cube.geo.nodata) + " (" + std::to_string(stats.nodata_pixels) + " pixels in every band, " +
                                      std::to_string(stats.partial_nodata_pixels) + " in some bands: both are left unclassified)"
                                : "none")
            << "\n";
  if (!stats.empty_bands.empty()) {
    std::string list;
    for (int64_t b : stats.empty_bands) list += (list.empty() ? "" : ",") + std::to_string(b);
    std::cout << "empty bands: " << list << " (no valid value at any pixel: drop them with data.drop_bands)\n";
  }
  if (cube.geo.has_geotransform) {
    std::cout << "geotransform:";
    for (double g : cube.geo.geotransform) std::cout << " " << g;
    std::cout << "\n";
  } else {
    std::cout << "geotransform: none\n";
  }
  std::cout << "CRS:         " << (cube.geo.projection_wkt.empty() ? "none" : cube.geo.projection_wkt) << "\n";
  if (!cube.geo.wavelengths.empty()) {
    std::cout << "wavelengths: " << cube.geo.wavelengths.front() << " .. " << cube.geo.wavelengths.back() << " "
              << cube.geo.wavelength_units << " (" << cube.geo.wavelengths.size() << " bands)\n";
  } else {
    std::cout << "wavelengths: unknown\n";
  }
  if (!config.empty()) print_dropped_bands(settings.data, cube);
  if (band_stats) {
    std::cout << "band  mean  std\n";
    for (size_t b = 0; b < stats.band_mean.size(); ++b) {
      std::cout << b << " " << format_fixed(stats.band_mean[b], 4) << " " << format_fixed(stats.band_std[b], 4) << "\n";
    }
  }
  return 0;
}

}  // namespace hsi::cli
