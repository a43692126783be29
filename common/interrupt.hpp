#pragma once
// A stop request (SIGINT/SIGTERM) that long loops poll at safe points, so training can stop
// between batches with its last checkpoint intact instead of dying mid-write.
namespace hsi {

bool stop_requested();
void request_stop();
void clear_stop_request();

}  // namespace hsi
