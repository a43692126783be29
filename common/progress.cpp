#include "common/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace hsi {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total > 0 ? total : 1), enabled_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done) {
  if (!enabled_ || finished_) return;
  const int permille = static_cast<int>(1000 * done / total_);
  if (permille == last_permille_) return;
  last_permille_ = permille;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
  const int width = 30, filled = width * permille / 1000;
  std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% ETA %5.1fs ", label_.c_str(), filled, "##############################",
               width - filled, "", permille / 10.0, eta);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r%*s\r", static_cast<int>(label_.size()) + 60, "");
  std::fflush(stderr);
}

}  // namespace hsi
