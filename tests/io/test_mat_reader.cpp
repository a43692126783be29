// Readers against facts about the real files, read independently with another MAT reader.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/error.hpp"
#include "io/cube_stats.hpp"
#include "io/reader.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace hsi {
namespace {

const std::string kSalinasA = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";
const std::string kSalinasAGt = std::string(HSI_PROJECT_DATA) + "/SalinasA_gt.mat";

TEST(MatReader, SalinasACubeMatchesIndependentReading) {
  const Cube cube = read_cube(kSalinasA + ":salinasA");
  EXPECT_EQ(cube.rows, 83);
  EXPECT_EQ(cube.cols, 86);
  EXPECT_EQ(cube.bands, 224);
  // The MATLAB class is double (libmatio's view); the README's "int16" is the element storage
  // of the compressed stream, which libmatio does not expose for compressed variables.
  EXPECT_TRUE(cube.source_type.rfind("double", 0) == 0 || cube.source_type == "int16") << cube.source_type;
  EXPECT_EQ(cube.at(0, 0, 0), 376);
  EXPECT_EQ(cube.at(10, 20, 100), 1692);
  EXPECT_EQ(cube.at(82, 85, 223), 18);
  EXPECT_EQ(cube.at(40, 3, 57), 1793);
  const CubeStats stats = compute_stats(cube, true);
  EXPECT_EQ(stats.min, -9);
  EXPECT_EQ(stats.max, 8373);
  EXPECT_EQ(static_cast<int64_t>(stats.sum), 1834150757LL);
  EXPECT_NEAR(stats.band_mean[0], 374.3599, 1e-4);
  EXPECT_NEAR(stats.band_std[0], 49.6462, 1e-4);
  EXPECT_NEAR(stats.band_mean[100], 1504.0700, 1e-4);
  EXPECT_NEAR(stats.band_std[100], 117.2572, 1e-4);
}

TEST(MatReader, SingleThreeDimensionalVariableIsChosenWithoutAName) {
  const Cube cube = read_cube(kSalinasA);
  EXPECT_EQ(cube.source, kSalinasA + ":salinasA");
  EXPECT_EQ(cube.at(40, 3, 57), 1793);
}

TEST(MatReader, SalinasAGroundTruthCounts) {
  const LabelMap gt = read_labels(kSalinasAGt);
  ASSERT_EQ(gt.rows, 83);
  ASSERT_EQ(gt.cols, 86);
  std::map<int32_t, int64_t> counts;
  for (int32_t v : gt.labels) ++counts[v];
  const std::map<int32_t, int64_t> expected = {{0, 1790}, {1, 391}, {10, 1343}, {11, 616}, {12, 1525}, {13, 674}, {14, 799}};
  EXPECT_EQ(counts, expected);
  EXPECT_EQ(gt.at(0, 0), 1);
}

TEST(MatReader, AxisOrderPermutesTheCube) {
  // Declaring the MATLAB dims as (cols, rows, bands) transposes the image.
  ReadOptions transposed;
  transposed.axis_order = "crb";
  const Cube t = read_cube(kSalinasA, transposed);
  EXPECT_EQ(t.rows, 86);
  EXPECT_EQ(t.cols, 83);
  EXPECT_EQ(t.at(20, 10, 100), 1692);
  EXPECT_EQ(t.at(3, 40, 57), 1793);
}

TEST(MatReader, MissingVariableNamesTheFileAndListsVariables) {
  try {
    read_cube(kSalinasA + ":nope");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Data);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("SalinasA.mat"), std::string::npos);
    EXPECT_NE(msg.find("no variable 'nope'"), std::string::npos);
    EXPECT_NE(msg.find("salinasA (83x86x224"), std::string::npos);
  }
}

TEST(MatReader, LabelMapAskedOfACubeIsRefused) {
  EXPECT_THROW(read_labels(kSalinasA + ":salinasA"), Error);
  EXPECT_THROW(read_cube(kSalinasAGt), Error);
}

TEST(MatReader, TruncatedFilesFailCleanly) {
  test::TempDir dir;
  const int64_t size = test::file_size(kSalinasA);
  for (int64_t bytes : {int64_t{0}, int64_t{10}, int64_t{128}, int64_t{200}, size / 2, size - 100}) {
    const std::string path = dir.file("cut_" + std::to_string(bytes) + ".mat");
    test::truncate_copy(kSalinasA, path, bytes);
    try {
      read_cube(path);
      FAIL() << "truncated to " << bytes << " bytes was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Data);
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST(MatReader, V4RecordClaimingMoreBytesThanInt64HoldsIsRefused) {
  // Found by fuzzing the v4 walk under UBSan: a record whose rows x columns x 8 bytes exceed
  // int64, which the first version of the error message converted to an integer (undefined).
  const std::string path = std::string(HSI_PROJECT_ROOT) + "/tests/regression/fuzz_mat_v4_overflow.mat";
  try {
    read_cube(path);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Data);
    EXPECT_NE(std::string(e.what()).find("claims 18862033838688698368 bytes"), std::string::npos) << e.what();
  }
}

TEST(MatReader, MissingFile) {
  try {
    read_cube("/nonexistent/cube.mat");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cube.mat: file not found"), std::string::npos) << e.what();
  }
}

struct GroundTruthFact {
  const char* file;
  int64_t rows, cols, labelled;
  int classes;
};

class SharedGroundTruth : public ::testing::TestWithParam<GroundTruthFact> {};

TEST_P(SharedGroundTruth, ReadsWithDocumentedShapeAndCount) {
  const GroundTruthFact f = GetParam();
  const LabelMap gt = read_labels(std::string(HSI_PROJECT_DATA) + "/ground_truth/" + f.file);
  EXPECT_EQ(gt.rows, f.rows);
  EXPECT_EQ(gt.cols, f.cols);
  int64_t labelled = 0;
  std::map<int32_t, int> ids;
  for (int32_t v : gt.labels) {
    if (v != 0) {
      ++labelled;
      ids[v] = 1;
    }
  }
  EXPECT_EQ(labelled, f.labelled);
  EXPECT_EQ(static_cast<int>(ids.size()), f.classes);
}

INSTANTIATE_TEST_SUITE_P(
    Files, SharedGroundTruth,
    ::testing::Values(GroundTruthFact{"indian_pines/Indian_pines_gt.mat", 145, 145, 10249, 16},
                      GroundTruthFact{"indian_pines/indianpines_disjoint_dset.mat", 145, 145, 5689, 16},
                      GroundTruthFact{"indian_pines/indianpines_ts.tif", 145, 145, 5689, 16},
                      GroundTruthFact{"indian_pines/92AV3GT.GIS", 145, 145, 10366, 16},
                      GroundTruthFact{"pavia_u/PaviaU_gt.mat", 610, 340, 42776, 9},
                      GroundTruthFact{"pavia_u/TRpavia_fixed.mat", 610, 340, 3921, 9},
                      GroundTruthFact{"pavia_u/TSpavia_fixed.mat", 610, 340, 40002, 9},
                      GroundTruthFact{"pavia_c/paviaC_gt.mat", 1096, 715, 148152, 9},
                      GroundTruthFact{"salinas/salinas_gt.mat", 512, 217, 54129, 16},
                      GroundTruthFact{"ksc/KSC_gt.mat", 512, 614, 5211, 13},
                      GroundTruthFact{"botswana/Botswana_gt.mat", 1476, 256, 3248, 14},
                      GroundTruthFact{"houston2013/houston_gt.mat:houston_gt_tr", 349, 1905, 2832, 15},
                      GroundTruthFact{"houston2013/houston_gt.mat:houston_gt_te", 349, 1905, 12197, 15},
                      GroundTruthFact{"../samson/samson_gt.tif", 95, 95, 6582, 3}));

TEST(MatReader, AmbiguousFileListsItsVariables) {
  try {
    read_labels(std::string(HSI_PROJECT_DATA) + "/ground_truth/houston2013/houston_gt.mat");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("more than one"), std::string::npos);
    EXPECT_NE(msg.find("houston_gt_tr"), std::string::npos);
    EXPECT_NE(msg.find("houston_gt_te"), std::string::npos);
  }
}

}  // namespace
}  // namespace hsi
