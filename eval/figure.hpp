#pragma once
// Publication figures as SVG: classification map, optionally beside the ground truth and an
// error map (test pixels correct / wrong), with a legend of class colours and names. Maps are
// drawn as one <rect> per horizontal run of equal colour, so files stay small and crisp at any
// zoom.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hsi {

struct LegendEntry {
  int32_t id = 0;
  std::string name;
  std::array<uint8_t, 3> rgb{0, 0, 0};
};

struct FigurePanel {
  std::string title;
  std::vector<int32_t> ids;  // row-major class ids; 0 = background
  // For error panels: 0 = not a test pixel, 1 = correct, 2 = wrong.
  bool error_panel = false;
};

struct FigureSpec {
  std::string title;
  int64_t rows = 0, cols = 0;
  std::vector<FigurePanel> panels;
  std::vector<LegendEntry> legend;
  std::array<uint8_t, 3> background{255, 255, 255};
  double pixel_size = 0;  // screen units per pixel; 0 = fit panels to about 360 units wide
};

std::string render_svg(const FigureSpec& spec);

// Error panel ids from a reference (0 = not tested) and a prediction.
std::vector<int32_t> error_codes(const std::vector<int32_t>& reference, const std::vector<int32_t>& predicted);
// The prediction shown only where `mask` is non-zero (e.g. labelled pixels).
std::vector<int32_t> masked(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask);

}  // namespace hsi
