#pragma once
// The file-format back ends behind io/reader.hpp. Each returns a BIP float cube (bands == 1
// for a 2-D variable) and fails with hsi::Error naming the file and the problem.
#include <string>
#include <vector>

#include "io/array_layout.hpp"
#include "io/reader.hpp"

namespace hsi::detail {

// How many dimensions the caller wants: 3 for a cube, 2 for a label map.
struct Want {
  int rank = 3;
  const char* what() const { return rank == 3 ? "cube" : "label map"; }
};

Cube read_gdal(const SourceSpec& spec, Want want);
Cube read_hdf5(const SourceSpec& spec, const ReadOptions& options, Want want, bool matlab);
Cube read_matio(const SourceSpec& spec, const ReadOptions& options, Want want);

std::vector<std::string> list_hdf5(const std::string& path, bool matlab);
std::vector<std::string> list_matio(const std::string& path);

// A candidate variable found while scanning a file.
struct VariableInfo {
  std::string name;
  std::vector<std::string> aliases;  // other names of the same dataset (HDF5 hard or soft links)
  int rank = 0;
  std::vector<int64_t> dims;
  std::string type;
  bool numeric = false;  // real, non-logical numeric array
  std::string describe() const;
};

// Picks the variable named in spec, or the only numeric one of the wanted rank.
const VariableInfo& choose_variable(const std::vector<VariableInfo>& vars, const SourceSpec& spec, Want want);

// The destination cube of a chosen array variable, sized (after the allocation check) and
// with the storage layout the slabs are scattered through.
struct PreparedCube {
  Cube cube;
  StorageLayout layout;
};
PreparedCube prepare_cube(const VariableInfo& chosen, const std::string& where, const std::string& axis_order, bool column_major);

}  // namespace hsi::detail
