#pragma once
// Runs the real hsi binary and captures what a user would see.
#include <string>
#include <vector>

namespace hsi::test {

struct CliResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out, err;
};

CliResult run_hsi(const std::vector<std::string>& args);

}  // namespace hsi::test
