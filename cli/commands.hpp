#pragma once
// The verbs of the hsi command. Each parses its own options (validating them before any I/O)
// and returns the process exit code; errors travel as hsi::Error.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace hsi::cli {

int run_info(const std::vector<std::string>& args);
int run_split(const std::vector<std::string>& args);
int run_select(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_finetune(const std::vector<std::string>& args);
int run_predict(const std::vector<std::string>& args);
int run_evaluate(const std::vector<std::string>& args);
int run_model_info(const std::vector<std::string>& args);
int run_experiment(const std::vector<std::string>& args);
int run_enrol(const std::vector<std::string>& args);
int run_suggest(const std::vector<std::string>& args);
int run_fetch(const std::vector<std::string>& args);
int run_sample(const std::vector<std::string>& args);

// Parses args, turning Boost's exceptions into usage errors that name the option. With --help it
// prints `shown` (default: desc; a verb may parse hidden options besides) and returns true: the
// verb then exits 0 without touching a file.
bool parse_or_help(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
                   const boost::program_options::positional_options_description& pos, boost::program_options::variables_map& vm,
                   const boost::program_options::options_description* shown = nullptr);

}  // namespace hsi::cli
