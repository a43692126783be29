// HDF5, MATLAB v7.3 and v5, ENVI and GeoTIFF cubes made by the test with known values.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <matio.h>

#include <chrono>

#include <fstream>

#include "common/error.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/synthetic.hpp"

namespace hsi {
namespace {

// value(r, c, b) of the test cubes.
int16_t expected(int64_t r, int64_t c, int64_t b) { return static_cast<int16_t>(r * 100 + c * 10 + b); }
constexpr int64_t R = 5, C = 4, B = 3;

void write_h5(const std::string& path, const std::string& name, const std::vector<hsize_t>& dims,
              const std::vector<int16_t>& values, hsize_t userblock = 0, const char* matlab_class = nullptr) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (userblock) H5Pset_userblock(fcpl, userblock);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t ds = H5Dcreate2(file, name.c_str(), H5T_STD_I16LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  if (matlab_class) {
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, std::strlen(matlab_class));
    hid_t aspace = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(ds, "MATLAB_class", str, aspace, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, str, matlab_class);
    H5Aclose(attr);
    H5Sclose(aspace);
    H5Tclose(str);
  }
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(file);
  H5Pclose(fcpl);
}

// The test cube's values with rows outermost and bands innermost (hsi's BIP order).
std::vector<int16_t> rows_cols_bands_values() {
  std::vector<int16_t> v;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t b = 0; b < B; ++b) v.push_back(expected(r, c, b));
  return v;
}

void expect_test_cube_shape_read(const std::string& path, int64_t rows, int64_t cols, int64_t bands) {
  const Cube cube = read_cube(path);
  EXPECT_EQ(cube.rows, rows);
  EXPECT_EQ(cube.cols, cols);
  EXPECT_EQ(cube.bands, bands);
}

void expect_test_cube(const Cube& cube) {
  ASSERT_EQ(cube.rows, R);
  ASSERT_EQ(cube.cols, C);
  ASSERT_EQ(cube.bands, B);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t b = 0; b < B; ++b) ASSERT_EQ(cube.at(r, c, b), expected(r, c, b)) << r << "," << c << "," << b;
}

TEST(Hdf5Reader, RowsColsBandsDataset) {
  test::TempDir dir;
  const std::vector<int16_t> v = rows_cols_bands_values();
  write_h5(dir.file("cube.h5"), "/data", {R, C, B}, v);
  expect_test_cube(read_cube(dir.file("cube.h5") + ":/data"));
  expect_test_cube(read_cube(dir.file("cube.h5")));  // the only 3-D dataset
}

// NetCDF-4 is HDF5 underneath: FILE.nc and FILE.nc:VARIABLE read through the HDF5 reader
// (before: handed to GDAL, "raster has no bands", and a variable could not be named).
TEST(Hdf5Reader, NetCdf4FilesAndTheirVariables) {
  test::TempDir dir;
  const std::vector<int16_t> v = rows_cols_bands_values();
  write_h5(dir.file("scene.nc"), "/reflectance", {R, C, B}, v);
  expect_test_cube(read_cube(dir.file("scene.nc") + ":/reflectance"));
  expect_test_cube(read_cube(dir.file("scene.nc")));
  EXPECT_FALSE(is_gdal_raster(dir.file("scene.nc")));
}

// A dataset reached under several names (a soft link, a second hard link) is one variable:
// before, the only cube of such a file was "more than one 3-D numeric variable".
TEST(Hdf5Reader, LinksToTheOnlyCubeAreOneVariable) {
  test::TempDir dir;
  write_h5(dir.file("linked.h5"), "/data", {R, C, B}, rows_cols_bands_values());
  hid_t file = H5Fopen(dir.file("linked.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(H5Lcreate_soft("/data", file, "/alias", H5P_DEFAULT, H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_hard(file, "/data", file, "/copy_of_name", H5P_DEFAULT, H5P_DEFAULT), 0);
  H5Fclose(file);
  expect_test_cube(read_cube(dir.file("linked.h5")));
  expect_test_cube(read_cube(dir.file("linked.h5") + ":/alias"));
  expect_test_cube(read_cube(dir.file("linked.h5") + ":/copy_of_name"));
  const std::vector<std::string> listed = list_variables(dir.file("linked.h5"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_NE(listed[0].find("/alias"), std::string::npos) << listed[0];
  // Two different cubes are still two variables.
  write_h5(dir.file("two.h5"), "/data", {R, C, B}, rows_cols_bands_values());
  file = H5Fopen(dir.file("two.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hsize_t dims[3] = {R, C, B};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t ds = H5Dcreate2(file, "/other", H5T_STD_I16LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(file);
  EXPECT_THROW(read_cube(dir.file("two.h5")), Error);
}

TEST(Hdf5Reader, BandsFirstDatasetWithAxisOrder) {
  test::TempDir dir;
  std::vector<int16_t> v;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) v.push_back(expected(r, c, b));
  write_h5(dir.file("bsq.h5"), "/bsq", {B, R, C}, v);
  ReadOptions options;
  options.axis_order = "brc";
  expect_test_cube(read_cube(dir.file("bsq.h5") + ":/bsq", options));
}

TEST(Hdf5Reader, Matlab73FileHasReversedDimensions) {
  // MATLAB v7.3 writes an R x C x B array column-major: HDF5 sees dims [B, C, R].
  test::TempDir dir;
  std::vector<int16_t> v;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t r = 0; r < R; ++r) v.push_back(expected(r, c, b));
  write_h5(dir.file("v73.mat"), "scene", {B, C, R}, v, 512, "int16");
  const Cube cube = read_cube(dir.file("v73.mat") + ":scene");
  EXPECT_EQ(cube.source_type, "int16");
  expect_test_cube(cube);
}

TEST(Hdf5Reader, Matlab73LogicalIsRefused) {
  test::TempDir dir;
  write_h5(dir.file("logical.mat"), "mask", {R, C}, std::vector<int16_t>(R * C, 1), 512, "logical");
  try {
    read_labels(dir.file("logical.mat") + ":mask");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("logical"), std::string::npos) << e.what();
  }
}

TEST(Hdf5Reader, TruncatedFileFailsCleanly) {
  test::TempDir dir;
  std::vector<int16_t> v(static_cast<size_t>(200 * 200 * 3), 7);
  write_h5(dir.file("big.h5"), "/data", {200, 200, 3}, v);
  for (int64_t bytes : {int64_t{0}, int64_t{100}, int64_t{2048}, test::file_size(dir.file("big.h5")) / 2}) {
    test::truncate_copy(dir.file("big.h5"), dir.file("cut.h5"), bytes);
    EXPECT_THROW(read_cube(dir.file("cut.h5")), Error) << bytes;
  }
}

TEST(GdalReader, EnviBilWithWavelengths) {
  test::TempDir dir;
  {
    std::ofstream img(dir.file("scene.img"), std::ios::binary);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c) {
          const int16_t v = expected(r, c, b);
          img.write(reinterpret_cast<const char*>(&v), 2);
        }
    std::ofstream hdr(dir.file("scene.hdr"));
    hdr << "ENVI\nsamples = " << C << "\nlines = " << R << "\nbands = " << B
        << "\nheader offset = 0\nfile type = ENVI Standard\ndata type = 2\ninterleave = bil\nbyte order = 0\n"
        << "wavelength units = Nanometers\nwavelength = {400.5, 500.25, 600.0}\n";
  }
  const Cube cube = read_cube(dir.file("scene.img"));
  expect_test_cube(cube);
  ASSERT_EQ(cube.geo.wavelengths.size(), 3u);
  EXPECT_DOUBLE_EQ(cube.geo.wavelengths[0], 400.5);
  EXPECT_DOUBLE_EQ(cube.geo.wavelengths[2], 600.0);
}

TEST(GdalReader, GeoTiffCubeKeepsGeoreferencingAndNodata) {
  test::TempDir dir;
  Cube cube;
  cube.rows = R;
  cube.cols = C;
  cube.bands = B;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t b = 0; b < B; ++b) cube.data.push_back(expected(r, c, b));
  cube.geo.has_geotransform = true;
  cube.geo.geotransform = {500000.0, 3.7, 0.0, 4000000.0, 0.0, -3.7};
  cube.geo.projection_wkt = "EPSG:32610";
  write_cube_geotiff(dir.file("cube.tif"), cube);
  const Cube back = read_cube(dir.file("cube.tif"));
  expect_test_cube(back);
  EXPECT_TRUE(back.geo.has_geotransform);
  EXPECT_EQ(back.geo.geotransform, cube.geo.geotransform);
  EXPECT_NE(back.geo.projection_wkt.find("32610"), std::string::npos);
}

TEST(GdalReader, CorruptAndTruncatedTiff) {
  test::TempDir dir;
  {
    std::ofstream junk(dir.file("junk.tif"));
    junk << "this is not a tiff";
  }
  EXPECT_THROW(read_cube(dir.file("junk.tif")), Error);
  test::SyntheticScene s = test::make_scene(64, 64, 8, 3, 1);
  write_cube_geotiff(dir.file("ok.tif"), s.cube);
  test::truncate_copy(dir.file("ok.tif"), dir.file("cut.tif"), test::file_size(dir.file("ok.tif")) / 3);
  try {
    read_cube(dir.file("cut.tif"));
    FAIL() << "a truncated GeoTIFF was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.tif"), std::string::npos);
  }
}

TEST(GdalReader, MultiBandRasterIsNotALabelMap) {
  test::TempDir dir;
  test::SyntheticScene s = test::make_scene(8, 8, 3, 2, 1);
  write_cube_geotiff(dir.file("three.tif"), s.cube);
  EXPECT_THROW(read_labels(dir.file("three.tif")), Error);
}

// Little-endian bytes of the values, each `width` bytes wide: how HDF5 and MAT-files store
// dimensions on x86.
std::string little_endian(const std::vector<uint64_t>& values, size_t width) {
  std::string bytes;
  for (uint64_t v : values)
    for (size_t i = 0; i < width; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return bytes;
}

TEST(Hdf5Reader, HeaderClaimingGigabytesFailsBeforeAllocatingThem) {
  // A valid file whose dataspace is edited to claim 37000 x 41000 x 2 int16 (12 GB as float32):
  // refused at the first element it cannot read. Reading it whole took 46 s and 12 GB of
  // memory to reach the same error.
  test::TempDir dir;
  write_h5(dir.file("edited.h5"), "/data", {37, 41, 29}, std::vector<int16_t>(37 * 41 * 29, 7));
  expect_test_cube_shape_read(dir.file("edited.h5"), 37, 41, 29);
  ASSERT_TRUE(test::patch_bytes(dir.file("edited.h5"), little_endian({37, 41, 29}, 8), little_endian({37000, 41000, 2}, 8)));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    read_cube(dir.file("edited.h5"));
    FAIL() << "a dataset claiming more than the file holds was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Data);
    EXPECT_NE(std::string(e.what()).find("edited.h5:/data: reading the data failed"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(MatReader, Version4FilesAreReadAndTheirTruncationsRefused) {
  // v4 files have no header to check: their records are walked before libmatio reads them.
  test::TempDir dir;
  const std::string path = dir.file("v4.mat");
  std::vector<double> labels(R * C);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) labels[c * R + r] = static_cast<double>((r + c) % 3);  // column-major, as MATLAB
  size_t dims[2] = {R, C};
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT4);
  ASSERT_NE(mat, nullptr);
  for (const char* name : {"gt", "other"}) {
    matvar_t* var = Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, labels.data(), MAT_F_DONT_COPY_DATA);
    ASSERT_EQ(Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(var);
  }
  Mat_Close(mat);
  const LabelMap map = read_labels(path + ":gt");
  ASSERT_EQ(map.rows, R);
  ASSERT_EQ(map.cols, C);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) EXPECT_EQ(map.labels[r * C + c], (r + c) % 3) << r << "," << c;
  for (int64_t bytes : {int64_t{10}, int64_t{40}, test::file_size(path) - 8}) {
    test::truncate_copy(path, dir.file("cut.mat"), bytes);
    EXPECT_THROW(read_labels(dir.file("cut.mat") + ":gt"), Error) << bytes;
  }
}

TEST(MatReader, HeaderClaimingMoreThanTheFileHoldsIsRefused) {
  // libmatio reads past the end of an uncompressed variable without an error, so this edited
  // file used to be read "successfully" (175 s, 21 GB of memory, values that were never stored).
  test::TempDir dir;
  const std::string path = dir.file("edited.mat");
  std::vector<int16_t> values(37 * 41 * 29, 7);
  size_t dims[3] = {37, 41, 29};
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  matvar_t* var = Mat_VarCreate("cube", MAT_C_INT16, MAT_T_INT16, 3, dims, values.data(), MAT_F_DONT_COPY_DATA);
  ASSERT_EQ(Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(var);
  Mat_Close(mat);
  expect_test_cube_shape_read(path, 37, 41, 29);
  ASSERT_TRUE(test::patch_bytes(path, little_endian({37, 41, 29}, 4), little_endian({37000, 41000, 2}, 4)));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    read_cube(path);
    FAIL() << "a variable claiming more than the file holds was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Data);
    EXPECT_NE(std::string(e.what()).find("edited.mat:cube: its header claims 3034000000 elements"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

}  // namespace
}  // namespace hsi
