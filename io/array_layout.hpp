#pragma once
// Scatters slabs of an N-d array, in whatever axis order a file stores it, into hsi's BIP buffer.
#include <array>
#include <cstdint>
#include <string>

namespace hsi::detail {

// Storage axes from outermost (slowest) to innermost (fastest), each with its role 'r', 'c' or 'b'.
struct StorageLayout {
  std::array<int64_t, 3> extent{1, 1, 1};
  std::array<char, 3> role{'r', 'c', 'b'};
};

// Builds the storage layout of a variable with `dims` (as the file lists them, 2 or 3 of them)
// and `axis_order` (the role of each listed dim). Column-major files (MATLAB) store the last
// listed dim outermost.
StorageLayout make_layout(const std::array<int64_t, 3>& dims, int rank, const std::string& axis_order,
                          bool column_major, const std::string& file);

void extents_of(const StorageLayout& layout, int64_t& rows, int64_t& cols, int64_t& bands);

// `slab` holds outer_count consecutive outermost-axis planes starting at outer_begin.
void scatter_slab(const float* slab, const StorageLayout& layout, int64_t outer_begin, int64_t outer_count,
                  float* bip, int64_t rows, int64_t cols, int64_t bands);

// Refuses sizes the machine cannot hold before anything is allocated (a corrupt or hostile
// header must not make us try to allocate terabytes).
void check_allocation(const std::string& file, int64_t rows, int64_t cols, int64_t bands);

// A count computed in double from a file header's fields, printed whole: it can exceed int64
// (three 32-bit dimensions), where converting it to an integer would be undefined.
std::string whole_number(double v);

}  // namespace hsi::detail
