// The bad-input corpus: malformed inputs generated here, each run through the real binary and
// checked for a non-zero exit, one error line naming the file and the problem, no crash, and
// nothing left behind.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <matio.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "io/reader.hpp"
#include "io/writer.hpp"
#include "support/run_cli.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

const std::string kCube = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
const std::string kGt = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";

// One corpus entry: a file made by `make`, used as cube or labels of an otherwise good scene.
struct Entry {
  std::string name;
  bool as_labels = false;
  std::vector<std::string> mentions;  // besides the file name
  int exit_code = 3;
};

void write_mat(const std::string& path, const std::string& var, matio_classes cls, matio_types type, int rank, std::vector<size_t> dims,
               void* data, int flags = 0) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  matvar_t* v = Mat_VarCreate(var.c_str(), cls, type, rank, dims.data(), data, flags);
  Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE);
  Mat_VarFree(v);
  Mat_Close(mat);
}

void write_h5(const std::string& path, std::vector<hsize_t> dims) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t ds = H5Dcreate2(file, "/cube", H5T_NATIVE_FLOAT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  size_t n = 1;
  for (hsize_t d : dims) n *= d;
  std::vector<float> v(n, 1.0f);
  if (n) H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(file);
}

class Corpus : public ::testing::Test {
 protected:
  test::TempDir dir;

  // Runs `hsi split` on (cube, labels) and checks a clean failure.
  void expect_refused(const std::string& cube, const std::string& labels, const std::string& culprit, const std::vector<std::string>& mentions,
                      int exit_code = 3, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"split", "--data.cube", cube, "--data.labels", labels, "--out", dir.file("out")};
    args.insert(args.end(), extra.begin(), extra.end());
    const test::CliResult r = test::run_hsi(args);
    ++tried;
    EXPECT_EQ(r.exit_code, exit_code) << culprit << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(fs::path(culprit).filename().string()), std::string::npos) << r.err;
    for (const auto& m : mentions) EXPECT_NE(r.err.find(m), std::string::npos) << "'" << m << "' missing: " << r.err;
    EXPECT_FALSE(fs::exists(dir.file("out"))) << "output left behind for " << culprit;
  }
  static inline int tried = 0;
  static void TearDownTestSuite() { std::printf("bad-input corpus: %d inputs tried\n", tried); }
};

TEST_F(Corpus, TruncatedFilesOfEveryFormat) {
  test::truncate_copy(kCube, dir.file("cut.mat"), 4000);
  expect_refused(dir.file("cut.mat"), kGt, "cut.mat", {});
  write_h5(dir.file("full.h5"), {83, 86, 20});
  test::truncate_copy(dir.file("full.h5"), dir.file("cut.h5"), test::file_size(dir.file("full.h5")) / 2);
  expect_refused(dir.file("cut.h5"), kGt, "cut.h5", {});
  test::SyntheticScene s = test::make_scene(83, 86, 20, 3, 1);
  write_cube_geotiff(dir.file("full.tif"), s.cube);
  test::truncate_copy(dir.file("full.tif"), dir.file("cut.tif"), test::file_size(dir.file("full.tif")) / 2);
  expect_refused(dir.file("cut.tif"), kGt, "cut.tif", {});
  test::truncate_copy(kGt, dir.file("cut_gt.mat"), 100);
  expect_refused(kCube, dir.file("cut_gt.mat"), "cut_gt.mat", {});
  std::ofstream(dir.file("empty.mat")).close();
  expect_refused(dir.file("empty.mat"), kGt, "empty.mat", {});
  std::ofstream(dir.file("text.h5")) << "not hdf5";
  expect_refused(dir.file("text.h5"), kGt, "text.h5", {"not an HDF5 file"});
}

TEST_F(Corpus, MatVariablesOfTheWrongKind) {
  std::vector<double> v(83 * 86 * 2, 1.0);
  write_mat(dir.file("vector.mat"), "x", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, {1, 50}, v.data());
  expect_refused(dir.file("vector.mat:x"), kGt, "vector.mat", {"must be 3-D"});
  write_mat(dir.file("four.mat"), "x", MAT_C_DOUBLE, MAT_T_DOUBLE, 4, {2, 2, 2, 2}, v.data());
  expect_refused(dir.file("four.mat:x"), kGt, "four.mat", {"must be 3-D"});
  mat_complex_split_t z{v.data(), v.data()};
  write_mat(dir.file("complex.mat"), "x", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, {83, 86, 2}, &z, MAT_F_COMPLEX);
  expect_refused(dir.file("complex.mat:x"), kGt, "complex.mat", {"complex"});
  std::vector<uint8_t> b(83 * 86, 1);
  write_mat(dir.file("logical.mat"), "mask", MAT_C_UINT8, MAT_T_UINT8, 2, {83, 86}, b.data(), MAT_F_LOGICAL);
  expect_refused(kCube, dir.file("logical.mat:mask"), "logical.mat", {"logical"});
  {
    mat_t* mat = Mat_CreateVer(dir.file("struct.mat").c_str(), nullptr, MAT_FT_MAT5);
    size_t dims[2] = {1, 1};
    const char* fields[1] = {"a"};
    matvar_t* s = Mat_VarCreateStruct("s", 2, dims, fields, 1);
    Mat_VarWrite(mat, s, MAT_COMPRESSION_NONE);
    Mat_VarFree(s);
    Mat_Close(mat);
  }
  expect_refused(dir.file("struct.mat:s"), kGt, "struct.mat", {"struct"});
  expect_refused(dir.file("struct.mat"), kGt, "struct.mat", {"no 3-D numeric variable"});
  write_mat(dir.file("zero.mat"), "x", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, {0, 86, 2}, v.data());
  expect_refused(dir.file("zero.mat:x"), kGt, "zero.mat", {"zero-sized"});
}

TEST_F(Corpus, ShapesAndSizes) {
  write_h5(dir.file("zero_rows.h5"), {0, 86, 5});
  expect_refused(dir.file("zero_rows.h5"), kGt, "zero_rows.h5", {"zero-sized"});
  // An ENVI header claiming 200000 x 200000 x 224 over a 10-byte file: refused before allocating.
  std::ofstream(dir.file("huge.img")) << "0123456789";
  std::ofstream(dir.file("huge.hdr")) << "ENVI\nsamples = 200000\nlines = 200000\nbands = 224\nheader offset = 0\n"
                                          "file type = ENVI Standard\ndata type = 2\ninterleave = bsq\nbyte order = 0\n";
  expect_refused(dir.file("huge.img"), kGt, "huge.img", {});
  test::SyntheticScene s = test::make_scene(20, 30, 8, 3, 2);
  write_cube_geotiff(dir.file("small.tif"), s.cube);
  expect_refused(dir.file("small.tif"), kGt, "SalinasA_gt.mat", {"83 x 86", "20 x 30"});
}

TEST_F(Corpus, LabelMapsThatCannotTrain) {
  test::SyntheticScene s = test::make_scene(20, 30, 8, 3, 2);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  auto labels_with = [&](const std::string& name, std::vector<float> values) {
    Cube map;
    map.rows = 20;
    map.cols = 30;
    map.bands = 1;
    map.data = std::move(values);
    map.geo = s.cube.geo;
    write_cube_geotiff(dir.file(name), map);
    return dir.file(name);
  };
  expect_refused(dir.file("cube.tif"), labels_with("none.tif", std::vector<float>(600, 0.0f)), "none.tif", {"no labelled pixel"});
  std::vector<float> single(600, 1.0f);
  single[5] = 2.0f;
  expect_refused(dir.file("cube.tif"), labels_with("single.tif", single), "single.tif", {"class 2", "single"});
  std::vector<float> big(600, 1.0f);
  big[7] = 70000.0f;
  expect_refused(dir.file("cube.tif"), labels_with("big.tif", big), "big.tif", {"70000", "0..65535"});
  std::vector<float> fraction(600, 1.0f);
  fraction[9] = 1.5f;
  expect_refused(dir.file("cube.tif"), labels_with("fraction.tif", fraction), "fraction.tif", {"non-integer"});
  std::vector<float> negative(600, 1.0f);
  negative[3] = -4.0f;
  expect_refused(dir.file("cube.tif"), labels_with("negative.tif", negative), "negative.tif", {"-4"});
}

TEST_F(Corpus, CubeValues) {
  test::SyntheticScene s = test::make_scene(20, 30, 8, 3, 2);
  s.cube.data[100] = std::numeric_limits<float>::quiet_NaN();
  write_cube_geotiff(dir.file("nan.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 20, 30, s.labels.labels, ClassTable::from_ids({1, 2, 3}), GeoInfo{});
  expect_refused(dir.file("nan.tif"), dir.file("gt.tif"), "nan.tif", {"1 NaN/Inf", "nan_policy"});
  s.cube.data[100] = std::numeric_limits<float>::infinity();
  write_cube_geotiff(dir.file("inf.tif"), s.cube);
  expect_refused(dir.file("inf.tif"), dir.file("gt.tif"), "inf.tif", {"1 NaN/Inf"});
}

TEST_F(Corpus, GeoTiffWithoutGeoreferencingIsAcceptedWithAWarning) {
  test::SyntheticScene s = test::make_scene(20, 30, 8, 3, 2);
  s.cube.geo = GeoInfo{};
  write_cube_geotiff(dir.file("plain.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 20, 30, s.labels.labels, ClassTable::from_ids({1, 2, 3}), GeoInfo{});
  const test::CliResult r = test::run_hsi({"split", "--data.cube", dir.file("plain.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3", "--out", dir.file("split")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("plain.tif"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir.file("split/train.tif")));
}

// A class table written for another scene, or a mistyped id: the run goes on (the model holds
// the classes the labels have), and stderr names both mismatches.
TEST_F(Corpus, ClassTableAndLabelsThatDisagreeAreSaid) {
  test::SyntheticScene s = test::make_scene(20, 30, 8, 3, 2);
  write_cube_geotiff(dir.file("cube.tif"), s.cube);
  write_class_map(dir.file("gt.tif"), 20, 30, s.labels.labels, ClassTable::from_ids({1, 2, 3}), GeoInfo{});
  const std::string ini = dir.file("classes.ini");
  std::ofstream(ini) << "[classes]\nclass = 1 | Rock | 808080\nclass = 2 | Tree | 2e8b57\nclass = 7 | Ghost | ff00ff\n";
  const test::CliResult r = test::run_hsi(
      {"split", "--config", ini, "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3", "--out", dir.file("split")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("lists 7 Ghost, which " + dir.file("gt.tif") + " does not hold"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("holds class id(s) 3 that [classes] does not list"), std::string::npos) << r.err;
  // Tables that agree say nothing of the kind.
  std::ofstream(ini) << "[classes]\nclass = 1 | Rock | 808080\nclass = 2 | Tree | 2e8b57\nclass = 3 | Water | 0000ff\n";
  const test::CliResult agree = test::run_hsi(
      {"split", "--config", ini, "--data.cube", dir.file("cube.tif"), "--data.labels", dir.file("gt.tif"), "--patch", "3", "--out", dir.file("split2")});
  EXPECT_EQ(agree.exit_code, 0) << agree.err;
  EXPECT_EQ(agree.err.find("[classes]"), std::string::npos) << agree.err;
}

TEST_F(Corpus, SplitOptionsThatCannotWork) {
  expect_refused(kCube, kGt, "model.patch", {"larger than the scene"}, 2, {"--patch", "99"});
  expect_refused(kCube, kGt, "split.mode", {"random"}, 2, {"--mode", "random"});
  expect_refused(kCube, kGt, "split.fraction", {"(0, 1)"}, 2, {"--mode", "fraction", "--split.fraction", "1.5"});
  expect_refused(kCube, kGt, "data.drop_bands", {"300"}, 2, {"--data.drop_bands", "300"});
  expect_refused(kCube, kGt, "data.axis_order", {"permutation"}, 2, {"--data.axis_order", "rrb"});
  std::ofstream(dir.file("bad.ini")) << "[classes]\nclass = 1 Brocoli notacolour\n";
  expect_refused(kCube, kGt, "bad.ini", {"notacolour"}, 2, {"--config", dir.file("bad.ini")});
}

TEST_F(Corpus, ExternalSplitsThatDoNotFit) {
  // Training pixels of class 1 only, where Salinas-A has no label: classes 10..14 get none.
  std::vector<int32_t> train(83 * 86, 0);
  const std::vector<int32_t> salinas = read_labels(kGt).labels;
  int placed = 0;
  for (size_t i = 0; i < train.size() && placed < 20; ++i) {
    if (salinas[i] == 0) {
      train[i] = 1;
      ++placed;
    }
  }
  write_class_map(dir.file("train.tif"), 83, 86, train, ClassTable::from_ids({1}), GeoInfo{});
  expect_refused(kCube, kGt, "class 10", {"no training pixel"}, 2,
                 {"--mode", "external", "--split.train_map", dir.file("train.tif"), "--split.test_map", kGt});
  write_class_map(dir.file("small.tif"), 10, 10, std::vector<int32_t>(100, 1), ClassTable::from_ids({1}), GeoInfo{});
  expect_refused(kCube, kGt, "small.tif", {"10 x 10"}, 3,
                 {"--mode", "external", "--split.train_map", dir.file("small.tif"), "--split.test_map", kGt});
}

}  // namespace
}  // namespace hsi

namespace hsi {
namespace {

// Inputs the fuzzers found, kept as regression tests (tests/regression/).

// `hsi ARGS` refused within `seconds` with `exit_code` and `message` on stderr.
void expect_refused_within(const std::vector<std::string>& args, double seconds, int exit_code, const std::string& message) {
  const auto t0 = std::chrono::steady_clock::now();
  const test::CliResult r = test::run_hsi(args);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), seconds);
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
}

TEST(FuzzRegressions, MatHeaderClaimingMoreThanTheFileHolds) {
  const std::string path = std::string(HSI_PROJECT_ROOT) + "/tests/regression/fuzz_mat_oom.mat";
  const test::CliResult r = test::run_hsi({"info", path});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("fuzz_mat_oom.mat: truncated or corrupt MAT-file"), std::string::npos) << r.err;
}

TEST(FuzzRegressions, TwentyBytesReadAsAMat4RecordDoNotAllocateItsClaim) {
  // Not a v5 file, so libmatio read it as a v4 record and allocated the 1.5 GB name length it
  // claims: 8.5 s and 1.7 GB of memory to be refused. Now refused as no plausible v4 record.
  expect_refused_within({"info", std::string(HSI_PROJECT_ROOT) + "/tests/regression/fuzz_mat_slow.mat"}, 5.0, 3,
                        "fuzz_mat_slow.mat: not a MAT-file");
}

TEST(FuzzRegressions, TiffHeaderClaimingGigabytesFailsBeforeAllocatingThem) {
  // 208 bytes whose header claims a 13 GB raster: refused at the first pixel it cannot read
  // (before the probe: 59 s and 13 GB of memory to reach the same error).
  expect_refused_within({"info", std::string(HSI_PROJECT_ROOT) + "/tests/regression/fuzz_gdal_oom.tif"}, 10.0, 3,
                        "fuzz_gdal_oom.tif: reading the pixels failed");
}

TEST(FuzzRegressions, ConfigWithBoostPlaceholderDoesNotHang) {
  expect_refused_within({"model-info", "--config", std::string(HSI_PROJECT_ROOT) + "/tests/regression/fuzz_config_timeout.ini"}, 10.0,
                        2, "line 17");
  const test::CliResult arg = test::run_hsi({"model-info", "--model.name", "%canonical_option%"});
  EXPECT_EQ(arg.exit_code, 2) << arg.err;
}

}  // namespace
}  // namespace hsi
