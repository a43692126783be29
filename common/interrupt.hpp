#pragma once
// A stop request (SIGINT/SIGTERM) that long loops poll at safe points, so training can stop
// between batches with its last checkpoint intact instead of dying mid-write.
namespace hsi {

bool stop_requested();
void request_stop();
void clear_stop_request();
// Throws hsi::Error of kind Interrupted (exit 130) when a stop was requested.
void throw_if_stop_requested();

// A process that does not reach a safe point within `grace_seconds` of a stop request (blocked
// in open() on a FIFO, in a long library call) is ended anyway: the watchdog removes the
// temporary files of unfinished outputs and exits with 130. A second signal ends it at once.
void install_stop_signals(double grace_seconds);

}  // namespace hsi
