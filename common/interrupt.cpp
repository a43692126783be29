#include "common/interrupt.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace hsi {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  if (g_stop) {
    // A second request: the user insists. Only async-signal-safe calls here.
    const char message[] = "hsi: stopped at once (second signal)\n";
    ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
    remove_pending_outputs_signal_safe();
    _exit(130);
  }
  g_stop = 1;
}

}  // namespace

bool stop_requested() { return g_stop != 0; }
void request_stop() { g_stop = 1; }
void clear_stop_request() { g_stop = 0; }

void throw_if_stop_requested() {
  if (g_stop) throw Error(ErrorKind::Interrupted, "interrupted");
}

void install_stop_signals(double grace_seconds) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // A file-size limit (ulimit -f) then fails the write that crosses it (EFBIG), reported like a
  // full disk, instead of killing the process mid-output.
  std::signal(SIGXFSZ, SIG_IGN);
  std::thread([grace_seconds] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::duration<double>(grace_seconds));
    const char message[] = "hsi: interrupted; no safe point reached in time, unfinished outputs removed\n";
    ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
    remove_pending_outputs_signal_safe();
    std::_Exit(130);
  }).detach();
}

}  // namespace hsi
