#include "common/interrupt.hpp"

#include <csignal>

namespace hsi {
namespace {
volatile std::sig_atomic_t g_stop = 0;
}

bool stop_requested() { return g_stop != 0; }
void request_stop() { g_stop = 1; }
void clear_stop_request() { g_stop = 0; }

}  // namespace hsi
