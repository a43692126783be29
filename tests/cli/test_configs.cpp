// Every config in configs/ works from a clone with nothing beside it: the scenes it ships run,
// and the others stop before any work with one line naming the `hsi fetch` to run.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/run_cli.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

TEST(Configs, EachRunsFromTheCloneOrNamesTheFetchCommand) {
  test::TempDir dir;
  fs::create_directories(dir.file("empty_cache"));
  setenv("HSI_DATA", dir.file("empty_cache").c_str(), 1);
  fs::current_path(HSI_PROJECT_ROOT);  // configs name data/ relative to the repository root
  int shipped = 0, fetched = 0;
  for (const auto& entry : fs::directory_iterator(std::string(HSI_PROJECT_ROOT) + "/configs")) {
    if (entry.path().extension() != ".ini") continue;
    const std::string scene = entry.path().stem().string(), out = dir.file("split_" + scene);
    const test::CliResult r = test::run_hsi({"split", "--config", entry.path().string(), "--out", out});
    if (scene == "salinas_a" || scene == "samson") {
      ++shipped;
      EXPECT_EQ(r.exit_code, 0) << scene << ": " << r.err;
      EXPECT_TRUE(fs::exists(out + "/split.json")) << scene;
      continue;
    }
    ++fetched;
    EXPECT_EQ(r.exit_code, 3) << scene << ": " << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << scene << ": one line\n" << r.err;
    const std::string expected = scene == "houston2013" ? "houston2013 cannot be fetched" : "run `hsi fetch " + scene + "`";
    EXPECT_NE(r.err.find(expected), std::string::npos) << scene << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << scene << ": nothing written before the data is there";
  }
  EXPECT_EQ(shipped, 2);
  EXPECT_GE(fetched, 7);
  unsetenv("HSI_DATA");
}

}  // namespace
}  // namespace hsi
