// hsi: hyperspectral image classification. `hsi <verb> --help` describes each verb.
#include <string>
#include <vector>

#include "cli/dispatch.hpp"
#include "cli/runtime.hpp"
#include "common/memory.hpp"

int main(int argc, char** argv) {
  hsi::keep_freed_memory_for_reuse();
  hsi::cli::install_signal_handlers();
  return hsi::cli::run_command(std::vector<std::string>(argv + 1, argv + argc));
}
