#pragma once
// The files of a training run's folder and of a saved split, named in one place: the writers take
// their paths from here, and the checks made before a run (outputs that would overwrite an input,
// what a failed run leaves behind) take the same list, so a new output cannot be missed by them.
#include <string>
#include <vector>

namespace hsi {

struct SplitFiles {
  explicit SplitFiles(const std::string& dir);
  std::string train, test, validation, json;
  std::vector<std::string> all() const { return {train, test, validation, json}; }
};

struct RunLayout {
  // `map_format`: the GDAL driver name of predict.format (GTiff, COG, ENVI).
  RunLayout(const std::string& dir, const std::string& map_format);
  std::string dir;
  std::string best_checkpoint, last_checkpoint;
  std::string map, confidence, png, svg, svg_masked;
  std::string report_json, report_md, confusion_csv, settings_ini, selection_md, selection_json;
  std::string split_dir;
  // Every file a run may write, the ENVI headers of its maps and the split's files included.
  std::vector<std::string> files() const;

 private:
  bool envi_headers_;
};

}  // namespace hsi
