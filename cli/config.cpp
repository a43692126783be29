#include "cli/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <type_traits>
#include <variant>

#include "common/error.hpp"
#include "common/text.hpp"
#include "pipeline/settings_table.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

namespace {

// One option from a table entry: the value bound to the setting, the struct's initialiser as
// default (empty strings and lists have none, so unset paths stay out of the settings record).
template <typename T>
void add_option(po::options_description& section, const SettingEntry& e, SettingField<T> field, RunSettings& s, RunSettings& defaults) {
  auto* value = po::value(&field(s));
  if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    value->composing();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!field(defaults).empty()) value->default_value(field(defaults));
  } else {
    value->default_value(field(defaults));
  }
  section.add_options()(e.key.c_str(), value, e.help.c_str());
}

}  // namespace

po::options_description settings_options(RunSettings& s) {
  RunSettings defaults;
  std::vector<std::pair<std::string, po::options_description>> sections;
  for (const SettingEntry& e : setting_entries()) {
    const std::string name = e.section() == "general" ? "general" : "[" + e.section() + "]";
    if (sections.empty() || sections.back().first != name) sections.emplace_back(name, po::options_description(name));
    std::visit([&](auto field) { add_option(sections.back().second, e, field, s, defaults); }, e.field);
  }
  po::options_description all;
  for (auto& [name, section] : sections) all.add(section);
  return all;
}

namespace {

// Boost.Program_options builds its error messages by substituting "%name%" placeholders and
// loops forever when the offending text itself contains one (found by fuzzing): such text is
// refused before Boost sees it.
bool has_placeholder(const std::string& text) {
  for (size_t a = text.find('%'); a != std::string::npos; a = text.find('%', a + 1)) {
    size_t b = a + 1;
    while (b < text.size() && (std::isalpha(static_cast<unsigned char>(text[b])) || text[b] == '_')) ++b;
    if (b < text.size() && b > a + 1 && text[b] == '%') return true;
  }
  return false;
}

// Checks the INI syntax line by line so that every error names the line: [section] with a
// plain name, or key = value with a plain key; comments and blank lines.
std::string checked_ini_text(std::istream& in, const std::string& name) {
  std::string text, line;
  for (int number = 1; std::getline(in, line); ++number) {
    // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first key.
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
    const std::string t = trim(line);
    const std::string where = name + ": line " + std::to_string(number) + ": ";
    if (t.empty() || t[0] == '#' || t[0] == ';') {
      text += "\n";
      continue;
    }
    if (has_placeholder(t)) throw Error(ErrorKind::Usage, where + "'%...%' sequences are not allowed");
    auto plain = [](const std::string& key) {
      return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
    };
    if (t[0] == '[') {
      if (t.back() != ']' || !plain(trim(t.substr(1, t.size() - 2)))) throw Error(ErrorKind::Usage, where + "bad section header");
    } else {
      const size_t eq = t.find('=');
      if (eq == std::string::npos) throw Error(ErrorKind::Usage, where + "expected 'key = value'");
      if (!plain(trim(t.substr(0, eq)))) throw Error(ErrorKind::Usage, where + "bad key '" + trim(t.substr(0, eq)).substr(0, 40) + "'");
    }
    text += line + "\n";
  }
  return text;
}

}  // namespace

void refuse_placeholders(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (has_placeholder(a)) throw Error(ErrorKind::Usage, "argument '" + a.substr(0, 60) + "': '%...%' sequences are not allowed");
  }
}

void store_ini(std::istream& in, const std::string& name, const po::options_description& settings, po::variables_map& vm) {
  std::istringstream checked(checked_ini_text(in, name));
  try {
    po::store(po::parse_config_file(checked, settings, /*allow_unregistered=*/false), vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, name + ": " + e.what());
  }
}

RunSettings settings_from_ini(std::istream& in, const std::string& name) {
  RunSettings s;
  po::variables_map vm;
  store_ini(in, name, settings_options(s), vm);
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, name + ": " + e.what());
  }
  s.config_file = name;
  s.validate();
  s.config_text = describe_settings(vm);
  return s;
}

ClassTable class_table_from_ini(const std::string& path) {
  if (std::filesystem::is_directory(path)) data_error(path, "is a folder, not a class table");
  std::ifstream in(path);
  if (!in) data_error(path, "cannot open the class table");
  const RunSettings s = settings_from_ini(in, path);
  if (s.classes.empty()) data_error(path, "holds no [classes] entries (class = ID | NAME | RRGGBB)");
  return ClassTable::parse(s.classes, path);
}

bool parse_settings(const std::vector<std::string>& args, const std::string& usage,
                    const po::options_description& verb_options, const po::positional_options_description& positional,
                    RunSettings& s, po::variables_map& vm) {
  po::options_description config_opt;
  config_opt.add_options()("config", po::value(&s.config_file), "INI file with the settings below");
  po::options_description settings = settings_options(s);
  po::options_description cmdline(usage);
  cmdline.add(verb_options).add(config_opt).add(settings);
  refuse_placeholders(args);
  try {
    po::store(po::command_line_parser(args).options(cmdline).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << cmdline << "\n";
      return false;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      if (std::filesystem::is_directory(path)) throw Error(ErrorKind::Usage, path + ": is a folder, not a config file");
      std::ifstream in(path);
      if (!in) throw Error(ErrorKind::Usage, path + ": cannot open the config file");
      // Stored after the command line, so command-line values win.
      store_ini(in, path, settings, vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, e.what());
  }
  s.validate();
  s.config_text = describe_settings(vm);
  return true;
}

std::string describe_settings(const po::variables_map& vm) {
  std::ostringstream out;
  for (const auto& [key, value] : vm) {
    if (key == "help" || key == "config") continue;
    const boost::any& v = value.value();
    out << key << " = ";
    if (auto p = boost::any_cast<std::string>(&v)) out << *p;
    else if (auto p = boost::any_cast<int>(&v)) out << *p;
    else if (auto p = boost::any_cast<int64_t>(&v)) out << *p;
    else if (auto p = boost::any_cast<double>(&v)) out << *p;
    else if (auto p = boost::any_cast<bool>(&v)) out << (*p ? "true" : "false");
    else if (auto p = boost::any_cast<std::vector<std::string>>(&v)) {
      for (size_t i = 0; i < p->size(); ++i) out << (i ? " ; " : "") << (*p)[i];
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace hsi::cli
