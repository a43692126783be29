#pragma once
// A one-line progress bar with ETA on stderr, drawn only when stderr is a terminal
// (logs and CI output stay clean).
#include <chrono>
#include <cstdint>
#include <string>

namespace hsi {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();
  void update(int64_t done);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  int last_permille_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace hsi
