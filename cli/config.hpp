#pragma once
// Binds RunSettings to Boost.Program_options: an INI file given with --config, then the same
// keys on the command line (`--train.epochs 50`), the command line winning. Unknown keys and
// values of the wrong type are usage errors that name the key.
#include <boost/program_options.hpp>
#include <istream>
#include <string>
#include <vector>

#include "io/class_table.hpp"
#include "pipeline/settings.hpp"

namespace hsi::cli {

// The [section.key] options of every stage.
boost::program_options::options_description settings_options(RunSettings& s);

// Parses args (+ the --config file) into s and validates. `verb_options` are the verb's own
// flags (e.g. --model, --out); returns false when --help was asked for (help already printed).
bool parse_settings(const std::vector<std::string>& args, const std::string& usage,
                    const boost::program_options::options_description& verb_options,
                    const boost::program_options::positional_options_description& positional, RunSettings& s,
                    boost::program_options::variables_map& vm);

// Refuses arguments holding Boost.Program_options message placeholders ("%option%"), on which
// Boost's error formatting never returns.
void refuse_placeholders(const std::vector<std::string>& args);

// Stores an INI stream's settings into vm; errors name `name` (the file) and the key.
void store_ini(std::istream& in, const std::string& name, const boost::program_options::options_description& settings,
               boost::program_options::variables_map& vm);
// Settings of an INI stream alone, validated (what --config FILE gives with no other option).
RunSettings settings_from_ini(std::istream& in, const std::string& name);

// The class table of an INI file's [classes] section: a scene config, or a file holding only that
// section (hsi enrol --classes, hsi evaluate --classes). A file that cannot be read, or holds no
// class entries, is a data error naming it.
ClassTable class_table_from_ini(const std::string& path);

// "section.key = value" lines of every setting, for results and checkpoints.
std::string describe_settings(const boost::program_options::variables_map& vm);

}  // namespace hsi::cli
