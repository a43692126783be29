#include "cli/runtime.hpp"

#include <dlfcn.h>
#include <omp.h>
#include <torch/torch.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "common/cpu_features.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/thread_governor.hpp"
#include "common/version.hpp"

namespace hsi::cli {

int configure_threads(int requested) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Thread pools are allocated up front: an absurd count would exhaust memory before any work.
  if (requested > 1024) usage_error("--threads " + std::to_string(requested) + " is more than 1024; this machine has " + std::to_string(cores) + " cores");
  if (requested > cores) {
    std::cerr << "warning: --threads " << requested << " is more than the " << cores << " cores here; expect a slower run\n";
  }
  const int threads = requested > 0 ? requested : cores;
  // Debian's LibTorch starts with one thread; both pools are set so ATen, OpenMP loops and
  // OpenBLAS agree.
  const auto set_all = [](int n) {
    torch::set_num_threads(n);
    omp_set_num_threads(n);
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(n);
  };
  set_all(threads);
  // All cores by default, fewer while other jobs use some of them (common/thread_governor.hpp);
  // an explicit count stays fixed.
  if (requested > 0) {
    remove_thread_governor();
  } else {
    install_thread_governor(threads, set_all);
  }
  return threads;
}

void install_signal_handlers() {
  // Every loop polls the stop flag at least once a second (a training step, a prediction tile);
  // five seconds without reaching a safe point means the process is blocked outside hsi.
  install_stop_signals(5.0);
}

std::string blas_description() {
  using GetConfig = char* (*)();
  if (auto get = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    using GetThreads = int (*)();
    auto threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return std::string("OpenBLAS ") + get() + (threads ? ", " + std::to_string(threads()) + " threads" : "");
  }
  if (dlsym(RTLD_DEFAULT, "bli_info_get_version_str")) return "BLIS";
  if (dlsym(RTLD_DEFAULT, "MKL_Get_Max_Threads")) return "Intel MKL";
  return "reference BLAS (slow: install libopenblas0-openmp)";
}

int run_version(const std::vector<std::string>& args) {
  int threads = 0;
  namespace po = boost::program_options;
  po::options_description desc("hsi version [--threads N]");
  desc.add_options()("help,h", "show this help")("threads", po::value(&threads)->default_value(0), "threads (0 = all cores)");
  po::variables_map vm;
  if (parse_or_help(args, desc, {}, vm)) return 0;
  const int used = configure_threads(threads);
  std::cout << "hsi " << kVersion << " (" << git_hash() << ")\n"
            << "LibTorch " << TORCH_VERSION << "\n"
            << "BLAS: " << blas_description() << "\n"
            << "threads: " << used << " (torch " << torch::get_num_threads() << ", OpenMP " << omp_get_max_threads()
            << ", cores " << std::thread::hardware_concurrency() << (threads > 0 ? ", fixed" : ", fewer while other jobs use some") << ")\n"
            << "bfloat16: " << (cpu_has_native_bf16() ? "native (" + cpu_bf16_features() + "); --precision auto predicts and "
                                                        "train.precision = auto trains in bf16"
                                                      : std::string("not native (no AVX512-BF16 or AMX-BF16; emulated bf16 is slower); "
                                                                    "--precision auto predicts and train.precision = auto trains in fp32"))
            << "\n";
  return 0;
}

bool parse_or_help(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
                   const boost::program_options::positional_options_description& pos, boost::program_options::variables_map& vm,
                   const boost::program_options::options_description* shown) {
  namespace po = boost::program_options;
  refuse_placeholders(args);
  try {
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, e.what());
  }
  if (!vm.count("help")) return false;
  std::cout << (shown ? *shown : desc) << "\n";
  return true;
}

}  // namespace hsi::cli
