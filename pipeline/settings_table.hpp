#pragma once
// Every setting declared once: its key, where it lives in RunSettings, its help text and its
// check. The default is the RunSettings member's initialiser. The INI/command-line parser
// (cli/config.cpp) and RunSettings::validate() both read this table, so a setting cannot have
// two defaults or a check that one path forgets.
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "pipeline/settings.hpp"

namespace hsi {

template <typename T>
using SettingField = T& (*)(RunSettings&);

struct SettingEntry {
  std::string key;   // "train.epochs"; the section is the part before the dot
  std::string help;
  std::variant<SettingField<int>, SettingField<int64_t>, SettingField<double>, SettingField<bool>, SettingField<std::string>,
               SettingField<std::vector<std::string>>>
      field;
  // Empty when the value is acceptable, else what is wrong with it (null: anything goes).
  std::function<std::string(const RunSettings&)> problem;

  std::string section() const { return key.find('.') == std::string::npos ? "general" : key.substr(0, key.find('.')); }
};

const std::vector<SettingEntry>& setting_entries();

}  // namespace hsi
