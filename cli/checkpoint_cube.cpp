#include "cli/checkpoint_cube.hpp"

#include <filesystem>
#include <map>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "io/reader.hpp"
#include "pipeline/checkpoint.hpp"

namespace hsi::cli {

Cube read_checkpoint_cube(const Checkpoint& ck, std::string input, std::string axis_order, const std::string& output) {
  // The training cube and its axis order, from the settings stored in the checkpoint.
  std::map<std::string, std::string> trained = stored_settings(ck.settings_text);
  if (input.empty()) {
    input = trained["data.cube"];
    if (input.empty()) usage_error("--input: the checkpoint names no training cube; give the cube with --input");
    const std::string path = parse_source(input).path;
    if (!std::filesystem::exists(path) && path.rfind("/vsi", 0) != 0) {
      usage_error("--input: the training cube the checkpoint names, " + input +
                  ", is not found from here (relative paths are relative to where hsi train ran); give the cube with --input");
    }
  }
  if (axis_order.empty()) axis_order = trained["data.axis_order"];
  if (axis_order.empty()) axis_order = "rcb";
  check_not_an_input(output, {parse_source(input).path});
  ReadOptions read_options;
  read_options.axis_order = axis_order;
  return read_cube(input, read_options);
}

}  // namespace hsi::cli
