#pragma once
// The classes of a scene: original ids (arbitrary, non-contiguous), names and display colours.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/text.hpp"  // colour_hex

namespace hsi {

struct ClassInfo {
  int32_t id = 0;
  std::string name;
  std::array<uint8_t, 3> rgb{0, 0, 0};
};

class ClassTable {
 public:
  ClassTable() = default;
  // Refuses an id outside 1..65535 or listed twice; `where` (a config's [classes], a class-table
  // file) starts the message when known.
  explicit ClassTable(std::vector<ClassInfo> classes, const std::string& where = {});

  // Parses "ID NAME [RRGGBB]" entries (a leading # is accepted, but INI files treat # as a comment) (one per config line); NAME may not contain spaces
  // unless quoted with '|' separators: "10 | Corn senesced | #ff8000".
  static ClassTable parse(const std::vector<std::string>& entries, const std::string& where);
  // Ids with generated names ("class_ID") and distinct colours.
  static ClassTable from_ids(const std::vector<int32_t>& ids);

  // Adds ids present in the data but missing from the table, with generated names and colours.
  void complete_with(const std::vector<int32_t>& ids);

  const std::vector<ClassInfo>& classes() const { return classes_; }
  size_t size() const { return classes_.size(); }
  // Index 0..size-1 of an id, or -1.
  int index_of(int32_t id) const;
  const ClassInfo& at(size_t index) const { return classes_.at(index); }
  int32_t max_id() const;
  std::vector<int32_t> ids() const;

 private:
  std::vector<ClassInfo> classes_;
};

// A palette of well separated colours: a fixed set first, then golden-angle hues.
std::array<uint8_t, 3> distinct_colour(size_t index);

}  // namespace hsi
