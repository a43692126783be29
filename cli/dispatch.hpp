#pragma once
// The hsi command as a function: the verb table and the mapping of errors to one message line
// and an exit code (2 usage, 3 data, 4 output, 5 internal, 130 interrupted). main() adds only
// the process-wide signal handling, so tests can run any verb in-process.
#include <string>
#include <vector>

namespace hsi::cli {

// args: the verb and its options (argv without the program name).
int run_command(const std::vector<std::string>& args);

}  // namespace hsi::cli
