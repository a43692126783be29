#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// The message of the error parse() throws; empty when it throws none.
std::string parse_error(const std::vector<std::string>& entries) {
  try {
    ClassTable::parse(entries, "my_scene.ini [classes]");
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(ClassTable, RejectsBadEntriesNamingWhereTheyCameFrom) {
  for (const auto& entries : std::vector<std::vector<std::string>>{{"x Corn"}, {"1 Corn zzzzzz"}, {"1 A", "1 B"}, {"70000 A"}, {"0 A"}}) {
    const std::string message = parse_error(entries);
    EXPECT_EQ(message.rfind("my_scene.ini [classes]: ", 0), 0u) << entries.front() << ": " << message;
  }
  EXPECT_NE(parse_error({"1 A", "1 B"}).find("class id 1 appears twice"), std::string::npos);
  EXPECT_NE(parse_error({"70000 A"}).find("class id 70000 is outside 1..65535"), std::string::npos);
}

TEST(ClassTable, GeneratedColoursAreDistinct) {
  const ClassTable t = ClassTable::from_ids({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24});
  for (size_t i = 0; i < t.size(); ++i)
    for (size_t j = i + 1; j < t.size(); ++j) EXPECT_NE(t.at(i).rgb, t.at(j).rgb) << i << " " << j;
}

}  // namespace
}  // namespace hsi
