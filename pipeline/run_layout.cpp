#include "pipeline/run_layout.hpp"

#include <filesystem>

#include "io/writer.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {
std::string in(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }
}  // namespace

SplitFiles::SplitFiles(const std::string& dir)
    : train(in(dir, "train.tif")), test(in(dir, "test.tif")), validation(in(dir, "validation.tif")), json(in(dir, "split.json")) {}

RunLayout::RunLayout(const std::string& folder, const std::string& map_format)
    : dir(folder), envi_headers_(parse_map_format(map_format) == MapFormat::ENVI) {
  const std::string ext = map_extension(map_format);
  best_checkpoint = in(dir, "best.ckpt");
  last_checkpoint = in(dir, "last.ckpt");
  map = in(dir, "map" + ext);
  confidence = in(dir, "confidence" + ext);
  png = in(dir, "map.png");
  svg = in(dir, "map.svg");
  svg_masked = in(dir, "map_masked.svg");
  report_json = in(dir, "report.json");
  report_md = in(dir, "report.md");
  confusion_csv = in(dir, "confusion.csv");
  settings_ini = in(dir, "settings.ini");
  selection_md = in(dir, "selection.md");
  selection_json = in(dir, "selection.json");
  split_dir = in(dir, "split");
}

std::vector<std::string> RunLayout::files() const {
  std::vector<std::string> all = {best_checkpoint, last_checkpoint, map,           confidence,   png,          svg,           svg_masked,
                                  report_json,     report_md,       confusion_csv, settings_ini, selection_md, selection_json};
  if (envi_headers_)
    for (const std::string& data : {map, confidence}) all.push_back(envi_header_path(data));
  for (const std::string& f : SplitFiles(split_dir).all()) all.push_back(f);
  return all;
}

}  // namespace hsi
