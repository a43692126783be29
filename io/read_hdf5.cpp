// HDF5 datasets, and MATLAB v7.3 MAT-files (which are HDF5 files with reversed dimensions).
#include <hdf5.h>

#include <algorithm>
#include <memory>

#include "common/error.hpp"
#include "io/array_layout.hpp"
#include "io/backends.hpp"

namespace hsi::detail {
namespace {

// RAII for hid_t handles, each with its own close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string read_string_attribute(hid_t object, const char* name) {
  if (H5Aexists(object, name) <= 0) return "";
  Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return "";
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) return "";
  const size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  if (H5Aread(attr.get(), type.get(), value.data()) < 0) return "";
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

std::string type_name(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) return size == 4 ? "float32" : size == 8 ? "float64" : "float";
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    return std::string(is_signed ? "int" : "uint") + std::to_string(size * 8);
  }
  if (cls == H5T_COMPOUND) return "compound";
  if (cls == H5T_REFERENCE) return "reference";
  if (cls == H5T_STRING) return "string";
  return "other";
}

VariableInfo describe_dataset(hid_t dataset, const std::string& name, bool matlab) {
  VariableInfo v;
  v.name = name;
  Handle space(H5Dget_space(dataset), H5Sclose);
  Handle type(H5Dget_type(dataset), H5Tclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  v.rank = rank;
  for (hsize_t d : dims) v.dims.push_back(static_cast<int64_t>(d));
  // MATLAB lists dimensions in the reverse of HDF5's order.
  if (matlab) std::reverse(v.dims.begin(), v.dims.end());
  v.type = type_name(type.get());
  const H5T_class_t cls = H5Tget_class(type.get());
  v.numeric = cls == H5T_INTEGER || cls == H5T_FLOAT;
  if (matlab) {
    const std::string matlab_class = read_string_attribute(dataset, "MATLAB_class");
    if (!matlab_class.empty()) v.type = matlab_class;
    if (matlab_class == "logical" || matlab_class == "char" || matlab_class == "cell") v.numeric = false;
    if (cls == H5T_COMPOUND) v.type = "complex " + v.type;
    if (H5Aexists(dataset, "MATLAB_empty") > 0) v.numeric = false;
  }
  return v;
}

// One dataset can be reached under several names (hard links, soft links): it is one variable,
// listed under the name of its hard link (or the first name met), so an alias does not make
// the only cube "ambiguous".
struct DatasetIdentity {
  unsigned long fileno = 0;
#if H5_VERSION_GE(1, 12, 0)
  H5O_token_t token{};
#else
  haddr_t address = 0;
#endif
  bool same_as(const DatasetIdentity& o) const {
#if H5_VERSION_GE(1, 12, 0)
    int cmp = 1;
    return fileno == o.fileno && H5Otoken_cmp(H5I_INVALID_HID, &token, &o.token, &cmp) >= 0 && cmp == 0;
#else
    return fileno == o.fileno && address == o.address;
#endif
  }
};

bool identify(hid_t object, DatasetIdentity& id) {
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t info;
  if (H5Oget_info3(object, &info, H5O_INFO_BASIC) < 0) return false;
  id.token = info.token;
#else
  H5O_info_t info;
  if (H5Oget_info2(object, &info, H5O_INFO_BASIC) < 0) return false;
  id.address = info.addr;
#endif
  id.fileno = info.fileno;
  return true;
}

struct ScanState {
  bool matlab;
  std::vector<VariableInfo>* vars;
  std::vector<DatasetIdentity> identities;  // parallel to *vars
  std::vector<bool> named_by_hard_link;
};

herr_t visit_link(hid_t group, const char* name, const H5L_info_t* link, void* data) {
  auto* state = static_cast<ScanState*>(data);
  // MATLAB keeps cell contents under "#refs#"; those are not user variables.
  if (std::string(name).rfind("#refs#", 0) == 0 || std::string(name).rfind("#subsystem#", 0) == 0) return 0;
  Handle dataset(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) return 0;
  const std::string variable = state->matlab ? name : "/" + std::string(name);
  const bool hard = link && link->type == H5L_TYPE_HARD;
  DatasetIdentity id;
  if (identify(dataset.get(), id)) {
    for (size_t i = 0; i < state->identities.size(); ++i) {
      if (!state->identities[i].same_as(id)) continue;
      VariableInfo& known = (*state->vars)[i];
      if (hard && !state->named_by_hard_link[i]) {
        known.aliases.push_back(known.name);
        known.name = variable;
        state->named_by_hard_link[i] = true;
      } else {
        known.aliases.push_back(variable);
      }
      return 0;
    }
  }
  state->vars->push_back(describe_dataset(dataset.get(), variable, state->matlab));
  state->identities.push_back(id);
  state->named_by_hard_link.push_back(hard);
  return 0;
}

Handle open_file(const std::string& path) {
  silence_hdf5();
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) data_error(path, "not a readable HDF5 file (truncated or corrupt)");
  return file;
}

std::vector<VariableInfo> scan(hid_t file, const std::string& path, bool matlab) {
  std::vector<VariableInfo> vars;
  ScanState state{matlab, &vars, {}, {}};
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit_link, &state) < 0 && vars.empty()) {
    data_error(path, "cannot list the file's datasets (truncated or corrupt)");
  }
  if (vars.empty()) data_error(path, "file holds no dataset");
  return vars;
}

// The first and the last element read before the cube is allocated: a file whose header claims
// more data than it holds fails here at once, where the whole read would first allocate and fill
// what the header claims (a 5 KB file whose dataspace was edited to claim 12 GB: 46 s and 12 GB
// of memory to fail). Unwritten chunks of a chunked dataset read as its fill value, as HDF5 says.
void probe_first_and_last_element(hid_t dataset, hid_t file_space, const std::vector<hsize_t>& dims, const std::string& where) {
  if (std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end()) return;  // nothing to read; prepare_cube says so
  const hsize_t one_element = 1;
  Handle mem_space(H5Screate_simple(1, &one_element, nullptr), H5Sclose);
  std::vector<hsize_t> last(dims.size()), count(dims.size(), 1);
  for (size_t i = 0; i < dims.size(); ++i) last[i] = dims[i] - 1;
  for (const std::vector<hsize_t>& at : {std::vector<hsize_t>(dims.size(), 0), last}) {
    float value = 0.0f;
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, at.data(), nullptr, count.data(), nullptr);
    if (H5Dread(dataset, H5T_NATIVE_FLOAT, mem_space.get(), file_space, H5P_DEFAULT, &value) < 0) {
      data_error(where, "reading the data failed (truncated or corrupt file)");
    }
  }
}

}  // namespace

std::vector<std::string> list_hdf5(const std::string& path, bool matlab) {
  Handle file = open_file(path);
  std::vector<std::string> out;
  for (const auto& v : scan(file.get(), path, matlab)) out.push_back(v.describe());
  return out;
}

Cube read_hdf5(const SourceSpec& spec, const ReadOptions& options, Want want, bool matlab) {
  const std::string& path = spec.path;
  Handle file = open_file(path);
  SourceSpec normalised = spec;
  if (!matlab && !normalised.variable.empty() && normalised.variable[0] != '/') normalised.variable = "/" + normalised.variable;
  const VariableInfo chosen = choose_variable(scan(file.get(), path, matlab), normalised, want);
  const std::string where = path + ":" + chosen.name;

  Handle dataset(H5Dopen2(file.get(), chosen.name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) data_error(where, "cannot open the dataset");
  Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = chosen.rank;
  std::vector<hsize_t> h5dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(file_space.get(), h5dims.data(), nullptr);
  probe_first_and_last_element(dataset.get(), file_space.get(), h5dims, where);
  PreparedCube prepared = prepare_cube(chosen, where, options.axis_order, /*column_major=*/matlab);
  Cube& cube = prepared.cube;
  const StorageLayout& layout = prepared.layout;
  // Slabs along HDF5's first (outermost) dimension; HDF5 converts to float as it reads.
  const int64_t outer = static_cast<int64_t>(h5dims[0]);
  int64_t plane = 1;
  for (int i = 1; i < rank; ++i) plane *= static_cast<int64_t>(h5dims[i]);
  const bool whole = rank == 2 || (layout.role == std::array<char, 3>{'r', 'c', 'b'});
  const int64_t slab_planes = whole ? outer : std::max<int64_t>(1, std::min<int64_t>(outer, (16 << 20) / plane));
  std::vector<float> slab(whole ? 0 : static_cast<size_t>(slab_planes * plane));
  for (int64_t begin = 0; begin < outer; begin += slab_planes) {
    const int64_t count = std::min(slab_planes, outer - begin);
    std::vector<hsize_t> start(static_cast<size_t>(rank), 0), edge = h5dims;
    start[0] = static_cast<hsize_t>(begin);
    edge[0] = static_cast<hsize_t>(count);
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, edge.data(), nullptr);
    Handle mem_space(H5Screate_simple(rank, edge.data(), nullptr), H5Sclose);
    // Already in hsi's layout: read straight into the cube, no second buffer.
    float* target = whole ? cube.data.data() : slab.data();
    if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT, target) < 0) {
      data_error(where, "reading the data failed (truncated or corrupt file)");
    }
    if (!whole) scatter_slab(slab.data(), layout, begin, count, cube.data.data(), cube.rows, cube.cols, cube.bands);
  }
  if (whole && layout.role != std::array<char, 3>{'r', 'c', 'b'}) {
    // A 2-D variable read whole: its storage order still maps through the layout.
    std::vector<float> copy(std::move(cube.data));
    cube.data.assign(copy.size(), 0.0f);
    scatter_slab(copy.data(), layout, 0, layout.extent[0], cube.data.data(), cube.rows, cube.cols, cube.bands);
  }
  return std::move(prepared.cube);
}

}  // namespace hsi::detail
