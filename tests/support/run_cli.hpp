#pragma once
// Runs the real hsi binary and captures what a user would see.
#include <cstdint>
#include <string>
#include <vector>

namespace hsi::test {

struct CliResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out, err;
};

CliResult run_hsi(const std::vector<std::string>& args);
// hsi unable to write a file larger than max_file_bytes: what a full disk does to its writes.
CliResult run_hsi_with_file_size_limit(int64_t max_file_bytes, const std::vector<std::string>& args);
// The same verb run in this process through the CLI library (hsi::cli::run_command), for logic
// that is not about the process (option and config checking): no LibTorch start-up per call.
CliResult run_hsi_in_process(const std::vector<std::string>& args);
// hsi under `mpirun -np ranks` (allowed to run as root, as in CI containers).
CliResult run_hsi_under_mpirun(int ranks, const std::vector<std::string>& args);

// Starts hsi in the background (stdout/stderr to the given files); returns its pid.
int spawn_hsi(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path);
// Waits for it: the exit code, or -signal.
int wait_hsi(int pid);

}  // namespace hsi::test
