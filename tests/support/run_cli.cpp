#include "support/run_cli.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/dispatch.hpp"
#include "support/synthetic.hpp"

namespace hsi::test {

namespace {

// Tests compare runs bit for bit while ctest runs other tests beside them: the thread governor
// (common/thread_governor.hpp), which would follow that load, is off in every test process and
// every hsi they start, except where a test turns it on.
const bool kGovernorOff = [] { return setenv("HSI_ADAPTIVE_THREADS", "0", 1) == 0; }();

// Starts program (searched on PATH) with args, stdout/stderr to the given files; a positive
// max_file_bytes limits the size of any file it writes (RLIMIT_FSIZE, as `ulimit -f`).
int spawn(const std::string& program, const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path,
          int64_t max_file_bytes = 0) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(out_path.c_str(), "w", stdout);
    std::freopen(err_path.c_str(), "w", stderr);
    if (max_file_bytes > 0) {
      const rlimit limit{static_cast<rlim_t>(max_file_bytes), static_cast<rlim_t>(max_file_bytes)};
      setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<std::string> copy = args;
    copy.insert(copy.begin(), program);
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

CliResult run(const std::string& program, const std::vector<std::string>& args, int64_t max_file_bytes = 0) {
  TempDir capture;
  const std::string out_path = capture.file("stdout"), err_path = capture.file("stderr");
  CliResult r;
  r.exit_code = wait_hsi(spawn(program, args, out_path, err_path, max_file_bytes));
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace

int spawn_hsi(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  return spawn(HSI_BINARY, args, out_path, err_path);
}

int wait_hsi(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

CliResult run_hsi(const std::vector<std::string>& args) { return run(HSI_BINARY, args); }

CliResult run_hsi_with_file_size_limit(int64_t max_file_bytes, const std::vector<std::string>& args) {
  return run(HSI_BINARY, args, max_file_bytes);
}

CliResult run_hsi_under_mpirun(int ranks, const std::vector<std::string>& args) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  // Containers often forbid the cross-memory attach Open MPI tries first.
  setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
  std::vector<std::string> full = {"-np", std::to_string(ranks), "--oversubscribe", HSI_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  return run("mpirun", full);
}

CliResult run_hsi_in_process(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  CliResult r;
  r.exit_code = hsi::cli::run_command(args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace hsi::test
