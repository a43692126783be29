#include <gtest/gtest.h>

#include "common/text.hpp"

namespace hsi {
namespace {

TEST(CsvField, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(csv_field("tiles/a.tif"), "tiles/a.tif");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(JsonStringArray, EscapesEachItemAndSeparatesThem) {
  EXPECT_EQ(json_string_array({}), "[]");
  EXPECT_EQ(json_string_array({"a"}), "[\"a\"]");
  EXPECT_EQ(json_string_array({"class 9 has \"only\" 20", "a\\b\nc"}), "[\"class 9 has \\\"only\\\" 20\", \"a\\\\b\\nc\"]");
}

}  // namespace
}  // namespace hsi
