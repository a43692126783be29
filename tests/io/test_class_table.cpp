#include <gtest/gtest.h>

#include "common/error.hpp"
#include "io/class_table.hpp"

namespace hsi {
namespace {

TEST(ClassTable, ParsesBothEntryForms) {
  const ClassTable t = ClassTable::parse({"10 Corn 3cb44b", "1 | Brocoli green | #e6194b", "5 Water"}, "cfg");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.ids(), (std::vector<int32_t>{1, 5, 10}));
  EXPECT_EQ(t.at(0).name, "Brocoli green");
  EXPECT_EQ(t.at(2).rgb, (std::array<uint8_t, 3>{0x3c, 0xb4, 0x4b}));
  EXPECT_EQ(t.index_of(5), 1);
  EXPECT_EQ(t.index_of(7), -1);
}

TEST(ClassTable, RejectsBadEntries) {
  EXPECT_THROW(ClassTable::parse({"x Corn"}, "cfg"), Error);
  EXPECT_THROW(ClassTable::parse({"1 Corn zzzzzz"}, "cfg"), Error);
  EXPECT_THROW(ClassTable::parse({"1 A", "1 B"}, "cfg"), Error);
  EXPECT_THROW(ClassTable::parse({"70000 A"}, "cfg"), Error);
}

TEST(ClassTable, GeneratedColoursAreDistinct) {
  const ClassTable t = ClassTable::from_ids({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24});
  for (size_t i = 0; i < t.size(); ++i)
    for (size_t j = i + 1; j < t.size(); ++j) EXPECT_NE(t.at(i).rgb, t.at(j).rgb) << i << " " << j;
}

}  // namespace
}  // namespace hsi
