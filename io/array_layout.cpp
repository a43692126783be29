#include "io/array_layout.hpp"

#include <cstdio>
#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"

namespace hsi::detail {

StorageLayout make_layout(const std::array<int64_t, 3>& dims, int rank, const std::string& axis_order,
                          bool column_major, const std::string& file) {
  std::string order = axis_order;
  if (rank == 2) {
    // A 2-D variable is a single-band image; the band axis is a phantom of extent 1.
    order.erase(std::remove(order.begin(), order.end(), 'b'), order.end());
    if (order.size() != 2) order = "rc";
  }
  if (static_cast<int>(order.size()) != rank) {
    usage_error("axis order '" + axis_order + "' does not fit a " + std::to_string(rank) + "-D variable in " + file);
  }
  for (int i = 0; i < rank; ++i) {
    if (dims[i] <= 0) data_error(file, "variable has a zero-sized dimension");
  }
  StorageLayout layout;
  int slot = 0;
  if (rank == 2) {
    layout.extent[0] = 1;
    layout.role[0] = 'b';
    slot = 1;
  }
  for (int k = 0; k < rank; ++k) {
    const int listed = column_major ? rank - 1 - k : k;
    layout.extent[slot] = dims[listed];
    layout.role[slot] = order[listed];
    ++slot;
  }
  return layout;
}

void extents_of(const StorageLayout& layout, int64_t& rows, int64_t& cols, int64_t& bands) {
  rows = cols = bands = 1;
  for (int i = 0; i < 3; ++i) {
    if (layout.role[i] == 'r') rows = layout.extent[i];
    if (layout.role[i] == 'c') cols = layout.extent[i];
    if (layout.role[i] == 'b') bands = layout.extent[i];
  }
}

void scatter_slab(const float* slab, const StorageLayout& layout, int64_t outer_begin, int64_t outer_count,
                  float* bip, int64_t rows, int64_t cols, int64_t bands) {
  (void)rows;
  // Destination stride of each storage axis in the BIP buffer.
  std::array<int64_t, 3> stride{};
  for (int i = 0; i < 3; ++i) {
    stride[i] = layout.role[i] == 'r' ? cols * bands : layout.role[i] == 'c' ? bands : 1;
  }
  const int64_t n1 = layout.extent[1], n2 = layout.extent[2];
#pragma omp parallel for schedule(static)
  for (int64_t i0 = 0; i0 < outer_count; ++i0) {
    const float* src = slab + i0 * n1 * n2;
    const int64_t base0 = (outer_begin + i0) * stride[0];
    for (int64_t i1 = 0; i1 < n1; ++i1) {
      float* dst = bip + base0 + i1 * stride[1];
      const float* s = src + i1 * n2;
      if (stride[2] == 1) {
        std::copy(s, s + n2, dst);
      } else {
        for (int64_t i2 = 0; i2 < n2; ++i2) dst[i2 * stride[2]] = s[i2];
      }
    }
  }
}

std::string whole_number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.0f", v);
  return text;
}

void check_allocation(const std::string& file, int64_t rows, int64_t cols, int64_t bands) {
  if (rows <= 0 || cols <= 0 || bands <= 0) data_error(file, "raster has a zero-sized dimension");
  const double bytes = 4.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(bands);
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (bytes > 0.8 * physical) {
    data_error(file, std::to_string(rows) + " x " + std::to_string(cols) + " x " + std::to_string(bands) + " needs " + whole_number(bytes / (1 << 20)) +
                         " MiB as float32, more than this machine's memory allows; use streamed prediction");
  }
}

}  // namespace hsi::detail
