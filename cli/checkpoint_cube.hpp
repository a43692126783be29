#pragma once
// The cube a checkpoint's labels or suggestions lie on: the one given, else the training cube
// the checkpoint names (hsi enrol, hsi suggest).
#include <string>

#include "io/raster.hpp"

namespace hsi {
struct Checkpoint;
}

namespace hsi::cli {

// `input` (FILE[:VARIABLE]) or, when empty, the checkpoint's data.cube; `axis_order` or the
// checkpoint's. A usage error when neither names a cube that is found from here. `output` must
// not be the cube.
Cube read_checkpoint_cube(const Checkpoint& ck, std::string input, std::string axis_order, const std::string& output);

}  // namespace hsi::cli
