// MATLAB v4/v5 MAT-files (compressed included) through libmatio.
#include <matio.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <memory>
#include <mutex>

#include "common/error.hpp"
#include "io/array_layout.hpp"
#include "io/backends.hpp"

namespace hsi::detail {
namespace {

// libmatio reports problems through a log callback (its default one prints to stderr); we keep
// the last message so the error we raise can say what matio saw.
thread_local std::string g_last_matio_message;
void matio_log(int, char* message) { g_last_matio_message = message ? message : ""; }

void install_matio_logger() {
  static std::once_flag once;
  std::call_once(once, [] { Mat_LogInitFunc("hsi", matio_log); });
}

struct MatCloser {
  void operator()(mat_t* m) const { Mat_Close(m); }
};
struct VarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using MatPtr = std::unique_ptr<mat_t, MatCloser>;
using VarPtr = std::unique_ptr<matvar_t, VarFreer>;

const char* class_name(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE: return "double";
    case MAT_C_SINGLE: return "single";
    case MAT_C_INT8: return "int8";
    case MAT_C_UINT8: return "uint8";
    case MAT_C_INT16: return "int16";
    case MAT_C_UINT16: return "uint16";
    case MAT_C_INT32: return "int32";
    case MAT_C_UINT32: return "uint32";
    case MAT_C_INT64: return "int64";
    case MAT_C_UINT64: return "uint64";
    case MAT_C_CELL: return "cell";
    case MAT_C_STRUCT: return "struct";
    case MAT_C_OBJECT: return "object";
    case MAT_C_CHAR: return "char";
    case MAT_C_SPARSE: return "sparse";
    case MAT_C_FUNCTION: return "function";
    case MAT_C_OPAQUE: return "opaque";
    default: return "empty";
  }
}

const char* storage_name(matio_types t) {
  switch (t) {
    case MAT_T_INT8: return "int8";
    case MAT_T_UINT8: return "uint8";
    case MAT_T_INT16: return "int16";
    case MAT_T_UINT16: return "uint16";
    case MAT_T_INT32: return "int32";
    case MAT_T_UINT32: return "uint32";
    case MAT_T_INT64: return "int64";
    case MAT_T_UINT64: return "uint64";
    case MAT_T_SINGLE: return "single";
    case MAT_T_DOUBLE: return "double";
    default: return nullptr;
  }
}

size_t class_size(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE: case MAT_C_INT64: case MAT_C_UINT64: return 8;
    case MAT_C_SINGLE: case MAT_C_INT32: case MAT_C_UINT32: return 4;
    case MAT_C_INT16: case MAT_C_UINT16: return 2;
    case MAT_C_INT8: case MAT_C_UINT8: return 1;
    default: return 0;
  }
}

template <typename T>
void to_float(const void* src, size_t n, float* dst) {
  const T* s = static_cast<const T*>(src);
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}

void convert(matio_classes c, const void* src, size_t n, float* dst) {
  switch (c) {
    case MAT_C_DOUBLE: to_float<double>(src, n, dst); break;
    case MAT_C_SINGLE: to_float<float>(src, n, dst); break;
    case MAT_C_INT8: to_float<int8_t>(src, n, dst); break;
    case MAT_C_UINT8: to_float<uint8_t>(src, n, dst); break;
    case MAT_C_INT16: to_float<int16_t>(src, n, dst); break;
    case MAT_C_UINT16: to_float<uint16_t>(src, n, dst); break;
    case MAT_C_INT32: to_float<int32_t>(src, n, dst); break;
    case MAT_C_UINT32: to_float<uint32_t>(src, n, dst); break;
    case MAT_C_INT64: to_float<int64_t>(src, n, dst); break;
    case MAT_C_UINT64: to_float<uint64_t>(src, n, dst); break;
    default: break;
  }
}

// A 32-bit field of a MAT-file header, stored little-endian unless `swapped`.
uint32_t field_u32(const unsigned char* p, bool swapped) {
  const uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
                     static_cast<uint32_t>(p[3]) << 24;
  return swapped ? __builtin_bswap32(v) : v;
}

// A v4 MAT-file (no file header) is a run of records: five 32-bit integers (type MOPT, rows,
// columns, imaginary flag, name length), the name, then the values. libmatio allocates the name
// length a record claims before reading it: fuzzing found a 20-byte file claiming a 1.5 GB name
// (8.5 s and 1.7 GB of memory to be refused). Every record must be a plausible one and fit in
// the file.
void check_mat4_structure(const std::string& path, std::ifstream& f, int64_t file_size) {
  int64_t offset = 0;
  while (offset < file_size) {
    unsigned char raw[20];
    f.clear();
    f.seekg(offset);
    if (file_size - offset < 20 || !f.read(reinterpret_cast<char*>(raw), 20)) {
      data_error(path, "not a MAT-file (neither a v5 header nor a complete v4 record at offset " + std::to_string(offset) + ")");
    }
    bool plausible = false;
    uint32_t field[5] = {};
    for (const bool swapped : {false, true}) {
      for (int i = 0; i < 5; ++i) field[i] = field_u32(raw + 4 * i, swapped);
      // MOPT: machine format 0-4, O always 0, precision 0-5, type 0-2 (full, text, sparse).
      const uint32_t type = field[0];
      if (type < 5000 && (type / 100) % 10 == 0 && (type / 10) % 10 <= 5 && type % 10 <= 2 && field[3] <= 1) {
        plausible = true;
        break;
      }
    }
    if (!plausible) data_error(path, "not a MAT-file (neither a v5 header nor a v4 record at offset " + std::to_string(offset) + ")");
    static const double kPrecisionBytes[6] = {8, 4, 4, 2, 2, 1};
    const double values = static_cast<double>(field[1]) * static_cast<double>(field[2]) * kPrecisionBytes[(field[0] / 10) % 10] * (field[3] ? 2 : 1);
    const double record = 20.0 + static_cast<double>(field[4]) + values;
    if (static_cast<double>(offset) + record > static_cast<double>(file_size)) {
      data_error(path, "truncated or corrupt MAT-file (a v4 record at offset " + std::to_string(offset) + " claims " +
                           whole_number(record) + " bytes; the file has " + std::to_string(file_size) + ")");
    }
    offset += static_cast<int64_t>(record);
  }
}

// libmatio trusts the sizes in a MAT-file's headers and allocates what they claim before
// reading (fuzzing found a 231-byte file that made it allocate 3.3 GB). The v5 structure is
// checked first: every top-level element must fit in the file, and each variable's dimension
// list (inflated from compressed elements) must be of sane length. Anything else must be a
// well-formed v4 file.
void check_mat_structure(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  f.seekg(0, std::ios::end);
  const int64_t file_size = f.tellg();
  f.seekg(0);
  char header[128] = {};
  const bool has_header = f.read(header, 128).good();
  // v5 as libmatio recognises it: version 0x0100 and an endian indicator.
  const bool endian_ok = (header[126] == 'I' && header[127] == 'M') || (header[126] == 'M' && header[127] == 'I');
  const bool version_ok = (header[124] == 0 && header[125] == 1) || (header[124] == 1 && header[125] == 0);
  if (!has_header || !endian_ok || !version_ok) return check_mat4_structure(path, f, file_size);
  // The endian indicator "MI" reads as "IM" in a file written little-endian.
  const bool swapped = !(header[126] == 'I' && header[127] == 'M');
  auto u32 = [swapped](const unsigned char* p) { return field_u32(p, swapped); };
  // Checks a miMATRIX header (tag at p): array flags, then the dimensions sub-element.
  auto check_matrix = [&](const unsigned char* p, size_t available) {
    if (available < 8 + 16 + 8) return;
    const uint32_t dims_bytes = u32(p + 8 + 16 + 4);
    if (dims_bytes > 4 * 64) data_error(path, "corrupt MAT-file (a variable claims " + std::to_string(dims_bytes / 4) + " dimensions)");
  };
  int64_t offset = 128;
  while (offset + 8 <= file_size) {
    unsigned char tag[8];
    f.clear();
    f.seekg(offset);
    if (!f.read(reinterpret_cast<char*>(tag), 8)) break;
    const uint32_t type = u32(tag), size = u32(tag + 4);
    if (offset + 8 + static_cast<int64_t>(size) > file_size) {
      data_error(path, "truncated or corrupt MAT-file (an element of " + std::to_string(size) + " bytes at offset " +
                           std::to_string(offset) + " runs past the end of the " + std::to_string(file_size) + "-byte file)");
    }
    // The element's tag followed by (up to 4 KB of) its content.
    const size_t content = std::min<uint32_t>(size, 4096);
    std::vector<unsigned char> element(8 + content);
    std::memcpy(element.data(), tag, 8);
    f.read(reinterpret_cast<char*>(element.data() + 8), static_cast<std::streamsize>(content));
    if (type == 14) {
      check_matrix(element.data(), element.size());
    } else if (type == 15) {
      const unsigned char* compressed = element.data() + 8;
      unsigned char inflated[64];
      z_stream z{};
      if (inflateInit(&z) == Z_OK) {
        z.next_in = const_cast<unsigned char*>(compressed);
        z.avail_in = static_cast<uInt>(content);
        z.next_out = inflated;
        z.avail_out = sizeof inflated;
        inflate(&z, Z_SYNC_FLUSH);
        const size_t got = sizeof inflated - z.avail_out;
        inflateEnd(&z);
        if (got >= 4 && u32(inflated) == 14) check_matrix(inflated, got);
      }
    }
    offset += 8 + size;
    if (type != 15) offset = (offset + 7) / 8 * 8;  // uncompressed elements are 8-byte aligned
  }
}

MatPtr open_mat(const std::string& path) {
  check_mat_structure(path);
  install_matio_logger();
  g_last_matio_message.clear();
  MatPtr mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) data_error(path, "not a readable MAT-file" + (g_last_matio_message.empty() ? "" : " (" + g_last_matio_message + ")"));
  return mat;
}

std::vector<VariableInfo> scan(mat_t* mat, const std::string& path) {
  std::vector<VariableInfo> vars;
  Mat_Rewind(mat);
  while (true) {
    VarPtr info(Mat_VarReadNextInfo(mat));
    if (!info) break;
    VariableInfo v;
    v.name = info->name ? info->name : "";
    v.rank = info->rank;
    for (int i = 0; i < info->rank; ++i) v.dims.push_back(static_cast<int64_t>(info->dims[i]));
    v.type = class_name(info->class_type);
    // MATLAB saves integral doubles with a narrower integer storage type; say so.
    const char* stored = storage_name(info->data_type);
    if (stored && v.type != stored && (info->class_type == MAT_C_DOUBLE || info->class_type == MAT_C_SINGLE)) {
      v.type += std::string(" stored as ") + stored;
    }
    if (info->isComplex) v.type = "complex " + v.type;
    if (info->isLogical) v.type = "logical";
    v.numeric = class_size(info->class_type) > 0 && !info->isComplex && !info->isLogical;
    vars.push_back(v);
  }
  if (vars.empty()) data_error(path, "MAT-file holds no readable variable (empty, truncated or corrupt)");
  return vars;
}

}  // namespace

std::vector<std::string> list_matio(const std::string& path) {
  MatPtr mat = open_mat(path);
  std::vector<std::string> out;
  for (const auto& v : scan(mat.get(), path)) out.push_back(v.describe());
  return out;
}

namespace {

// A header claiming more data than the file can hold is refused before the cube is allocated.
// libmatio reads past the end of an uncompressed variable without an error (the missing values
// stay as they were), so an 88 KB file whose dimensions were edited to 37000 x 41000 x 2 read
// "successfully" in 175 s and 21 GB of memory. The bound is loose on purpose: elements may be
// stored in a smaller type than their class (MATLAB does this), so one byte each, and zlib
// compresses at most about 1032:1. Then the first and the last element are read: a truncated
// compressed stream fails there.
void check_claimed_size(const std::string& path, mat_t* mat, matvar_t* var, const VariableInfo& chosen, const std::string& where) {
  std::array<int, 3> first{0, 0, 0}, last{0, 0, 0}, stride{1, 1, 1}, edge{1, 1, 1};
  double elements = 1;
  for (int i = 0; i < chosen.rank; ++i) {
    if (chosen.dims[i] <= 0) return;  // nothing to read; prepare_cube says so
    last[i] = static_cast<int>(chosen.dims[i] - 1);
    elements *= static_cast<double>(chosen.dims[i]);
  }
  std::error_code error;
  const double file_bytes = static_cast<double>(std::filesystem::file_size(path, error));
  const bool compressed = var->compression != MAT_COMPRESSION_NONE;
  if (!error && elements > (compressed ? 1100.0 : 1.0) * file_bytes) {
    data_error(where, "its header claims " + whole_number(elements) + " elements" +
                          (compressed ? " (compressed)" : "") + " in a file of " + whole_number(file_bytes) +
                          " bytes (truncated or corrupt file)");
  }
  std::vector<unsigned char> element(std::max<size_t>(class_size(var->class_type), 16));
  for (std::array<int, 3> at : {first, last}) {
    g_last_matio_message.clear();
    if (Mat_VarReadData(mat, var, element.data(), at.data(), stride.data(), edge.data()) != 0 || !g_last_matio_message.empty()) {
      data_error(where, "reading the data failed (truncated or corrupt file" +
                            (g_last_matio_message.empty() ? "" : ": " + g_last_matio_message) + ")");
    }
  }
}

}  // namespace

Cube read_matio(const SourceSpec& spec, const ReadOptions& options, Want want) {
  const std::string& path = spec.path;
  MatPtr mat = open_mat(path);
  const VariableInfo chosen = choose_variable(scan(mat.get(), path), spec, want);
  const std::string where = path + ":" + chosen.name;

  g_last_matio_message.clear();
  VarPtr var(Mat_VarReadInfo(mat.get(), chosen.name.c_str()));
  if (!var) data_error(where, "cannot read the variable's header" + (g_last_matio_message.empty() ? "" : " (" + g_last_matio_message + ")"));

  check_claimed_size(path, mat.get(), var.get(), chosen, where);
  PreparedCube prepared = prepare_cube(chosen, where, options.axis_order, /*column_major=*/true);
  Cube& cube = prepared.cube;
  const StorageLayout& layout = prepared.layout;

  // Read in slabs of the outermost stored axis so peak memory stays near the float cube's size.
  const int64_t plane = layout.extent[1] * layout.extent[2];
  const int64_t outer = layout.extent[0];
  const int64_t slab_planes = std::max<int64_t>(1, std::min<int64_t>(outer, (16 << 20) / std::max<int64_t>(1, plane)));
  const size_t esize = class_size(var->class_type);
  std::vector<unsigned char> raw(static_cast<size_t>(slab_planes * plane) * esize);
  std::vector<float> slab(static_cast<size_t>(slab_planes * plane));
  for (int64_t begin = 0; begin < outer; begin += slab_planes) {
    const int64_t count = std::min(slab_planes, outer - begin);
    std::array<int, 3> start{0, 0, 0}, stride{1, 1, 1}, edge{1, 1, 1};
    for (int i = 0; i < chosen.rank; ++i) edge[i] = static_cast<int>(chosen.dims[i]);
    if (chosen.rank == 3) {
      // The outermost stored axis of a column-major array is its last dimension. (A 2-D
      // variable has a phantom outer axis of extent 1 and is read whole.)
      start[2] = static_cast<int>(begin);
      edge[2] = static_cast<int>(count);
    }
    g_last_matio_message.clear();
    if (Mat_VarReadData(mat.get(), var.get(), raw.data(), start.data(), stride.data(), edge.data()) != 0) {
      data_error(where, "reading the data failed (truncated or corrupt file" +
                            (g_last_matio_message.empty() ? "" : ": " + g_last_matio_message) + ")");
    }
    if (!g_last_matio_message.empty()) data_error(where, "reading the data failed: " + g_last_matio_message);
    convert(var->class_type, raw.data(), static_cast<size_t>(count * plane), slab.data());
    scatter_slab(slab.data(), layout, begin, count, cube.data.data(), cube.rows, cube.cols, cube.bands);
  }
  return std::move(prepared.cube);
}

}  // namespace hsi::detail
