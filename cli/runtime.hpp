#pragma once
// Process-wide set-up shared by the verbs: threads, signals, version report.
#include <string>
#include <vector>

namespace hsi::cli {

// Sets LibTorch's and OpenMP's thread counts (0 = all cores) and returns the count used.
int configure_threads(int requested);
void install_signal_handlers();
// Which BLAS the process really calls (OpenBLAS config string, or a warning for the reference BLAS).
std::string blas_description();
int run_version(const std::vector<std::string>& args);

}  // namespace hsi::cli
