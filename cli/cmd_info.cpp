// hsi info CUBE: what is in a raster, before anyone trains on it.
#include <omp.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <set>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/cube_stats.hpp"
#include "io/reader.hpp"
#include "io/vector_labels.hpp"
#include "pipeline/bands.hpp"
#include "pipeline/scene.hpp"

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

// Class counts of a label map, named from `named` (a class map's own table, or a config's);
// `ignored`: a config's data.ignore_classes.
void print_label_counts(const LabelMap& map, const std::string& grid_of, const ClassTable& named, const std::set<int32_t>& ignored = {}) {
  std::map<int32_t, int64_t> counts;
  for (int32_t v : map.labels) ++counts[v];
  const bool has_nodata = map.geo.nodata.has_value();
  const auto is_nodata = [&](int32_t id) { return has_nodata && static_cast<double>(id) == *map.geo.nodata; };
  size_t classes = 0;
  for (const auto& [id, n] : counts) classes += id != 0 && !is_nodata(id) && !ignored.count(id);
  std::cout << "source:  " << map.source << (grid_of.empty() ? "" : " (on the grid of " + grid_of + ")") << "\n"
            << "size:    " << map.rows << " rows x " << map.cols << " columns\n"
            << "classes: " << classes << "\n";
  for (const auto& [id, n] : counts) {
    const int at = named.index_of(id);
    std::cout << "  " << id << (at >= 0 ? " " + named.at(static_cast<size_t>(at)).name : std::string())
              << (id == 0                 ? " (unlabelled)"
                  : is_nodata(id)         ? " (the raster's nodata value: unlabelled)"
                  : ignored.count(id) > 0 ? " (data.ignore_classes: unlabelled)"
                                          : "")
              << ": " << n << "\n";
  }
}

// The config's data.labels on its cube's grid (features burnt onto it), named from [classes]:
// what a training would read, before it starts.
int describe_config_labels(const RunSettings& settings) {
  const DataSettings& d = settings.data;
  if (d.cube.empty() || d.labels.empty()) usage_error(settings.config_file + ": --labels needs data.cube and data.labels");
  const ClassTable classes = ClassTable::parse(settings.classes, settings.config_file);
  check_config_input(d.cube, settings.config_file);
  check_config_input(d.labels, settings.config_file);
  ReadOptions options;
  options.axis_order = d.axis_order;
  const Cube cube = read_cube(d.cube, options);  // for its grid
  const LabelMap map = read_labels_on_grid(d.labels, cube.geo, cube.rows, cube.cols, classes, {d.label_field, d.all_touched}, d.axis_order);
  check_labels_fit_cube(map, cube);
  print_label_counts(map, cube.source, classes.size() ? classes : read_class_table(d.labels), ignored_class_ids(d));
  return 0;
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  std::string source, axis_order = "rcb", config;
  bool band_stats = false, labels = false;
  po::options_description desc(
      "hsi info CUBE [options]  |  hsi info --config SCENE.ini [--labels]\n\nDescribes a cube (or, with --labels, a label map); with --config, the "
      "config's cube and the bands its [data] drops");
  desc.add_options()("help,h", "show this help")(
      "axis-order", po::value(&axis_order)->default_value("rcb"),
      "roles of the variable's dims as listed (MATLAB size() / HDF5 dims): permutation of r,c,b")(
      "band-stats", po::bool_switch(&band_stats), "print per-band mean and population std")(
      "labels", po::bool_switch(&labels), "read as a label map and print the class counts")(
      "config", po::value(&config), "describe this config's cube (data.cube) and which bands drop_bands / drop_wavelengths drop; with --labels, count the pixels of "
      "each class its data.labels (a raster or features) label on the cube's grid");
  po::options_description hidden;
  hidden.add_options()("input", po::value(&source));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  if (parse_or_help(args, all, pos, vm, &desc)) return 0;
  RunSettings settings;
  if (!config.empty()) {
    std::ifstream in(config);
    if (!in) usage_error(config + ": cannot open the config");
    settings = settings_from_ini(in, config);
    if (labels) {
      if (!source.empty()) usage_error("--config with --labels counts the config's labels (data.labels); name no input besides");
      return describe_config_labels(settings);
    }
    if (source.empty()) source = settings.data.cube;
    if (vm["axis-order"].defaulted()) axis_order = settings.data.axis_order;
  }
  if (source.empty()) usage_error(config.empty() ? "no input given (hsi info FILE[:VARIABLE])" : config + " names no data.cube");
  ReadOptions options;
  options.axis_order = axis_order;

  // A file of layers and raster data is described as the raster, unless its labels are asked for.
  const VectorContent content = vector_content(source);
  if (content == VectorContent::layers || (labels && is_vector_source(source))) {
    std::cout << describe_vector_source(parse_source(source).path)
              << "(labels as features: they are burnt onto the cube's grid when a config names them as data.labels, with\n"
                 " data.label_field the attribute that holds the class id or name; hsi info --config SCENE.ini --labels\n"
                 " counts the pixels they label)\n";
    return 0;
  }
  if (labels) {
    print_label_counts(read_labels(source, options), "", read_class_table(source));  // a class map's own names, when it has them
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
