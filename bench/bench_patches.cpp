// Patch extraction on Salinas-A: every labelled pixel as a 224-band p x p window, the
// parallel extractor against a simple per-pixel loop (copy each window pixel by pixel into a
// temporary, then scatter into the batch), 1 and 2 threads. Usage: bench_patches [repeats]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "common/memory.hpp"
#include "io/reader.hpp"
#include "pipeline/patches.hpp"

using namespace hsi;

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The straightforward way: per pixel, build its window in a std::vector (one allocation each),
// then copy it into the batch tensor in band-major order.
static void naive_windows(const Cube& cube, const std::vector<int64_t>& pixels, int p, std::vector<float>& out) {
  const int64_t B = cube.bands, r = p / 2;
  for (size_t n = 0; n < pixels.size(); ++n) {
    const int64_t row = pixels[n] / cube.cols, col = pixels[n] % cube.cols;
    std::vector<float> window;
    for (int64_t i = -r; i <= r; ++i)
      for (int64_t j = -r; j <= r; ++j) {
        const float* s = cube.spectrum(reflect_index(row + i, cube.rows), reflect_index(col + j, cube.cols));
        window.insert(window.end(), s, s + B);
      }
    for (int64_t k = 0; k < p * p; ++k)
      for (int64_t b = 0; b < B; ++b) out[(n * B + b) * p * p + k] = window[k * B + b];
  }
}

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();  // as the hsi binary does (common/memory.hpp)
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string root = HSI_SOURCE_DIR;
  const Cube cube = read_cube(root + "/data/SalinasA.mat");
  const LabelMap gt = read_labels(root + "/data/SalinasA_gt.mat");
  std::vector<int64_t> pixels;
  for (int64_t i = 0; i < gt.rows * gt.cols; ++i)
    if (gt.labels[i] != 0) pixels.push_back(i);
  std::printf("Salinas-A: %zu labelled pixels, %ld bands; median of %d repeats\n", pixels.size(), static_cast<long>(cube.bands), repeats);
  std::printf("%6s %8s %12s %12s %10s %9s\n", "patch", "threads", "hsi (s)", "naive (s)", "speed-up", "GB/s");
  for (int p : {9, 15}) {
    std::vector<float> out(pixels.size() * cube.bands * p * p), ref(out.size());
    std::vector<double> naive_times;
    for (int k = 0; k < repeats; ++k) {
      const double t0 = now();
      naive_windows(cube, pixels, p, ref);
      naive_times.push_back(now() - t0);
    }
    std::sort(naive_times.begin(), naive_times.end());
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      const PatchExtractor extractor(cube, p);
      std::vector<double> times;
      for (int k = 0; k < repeats; ++k) {
        const double t0 = now();
        extractor.windows(pixels.data(), static_cast<int64_t>(pixels.size()), out.data());
        times.push_back(now() - t0);
      }
      std::sort(times.begin(), times.end());
      if (out != ref) {
        std::printf("MISMATCH between hsi and the naive loop\n");
        return 1;
      }
      const double t = times[times.size() / 2], tn = naive_times[naive_times.size() / 2];
      std::printf("%4dx%-2d %8d %12.4f %12.4f %9.1fx %9.2f\n", p, p, threads, t, tn, tn / t, out.size() * 4.0 / t / 1e9);
    }
  }
  return 0;
}
