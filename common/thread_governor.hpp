#pragma once
// Sharing a machine with other jobs. OpenMP threads (LibTorch, oneDNN, OpenBLAS) spin while
// they wait for each other: the fastest choice for a job alone, and a collapse when two jobs
// spin on the same cores (two trainings on 2 cores took 5-6x their alone time). With no
// explicit --threads, hsi measures at its safe points how much of its cores other processes
// use and runs on what they leave (at least one thread), going back to all cores when they
// finish. An explicit --threads N is kept as given (bit-identical reruns need a fixed count:
// reductions split over another number of threads round differently).
#include <functional>
#include <string>

namespace hsi {

// Starts adapting between 1 and max_threads; `set_threads` changes every pool (called from the
// thread that reaches the safe points). Inactive where /proc/stat cannot be read, or when the
// environment sets HSI_ADAPTIVE_THREADS=0.
void install_thread_governor(int max_threads, std::function<void(int)> set_threads);
void remove_thread_governor();

// A safe point (a training step, a prediction tile): cheap, measures at most every half second.
void share_cores_at_safe_point();

// What the governor decided last (0 when it is not installed), and why, for logs and tests.
int governed_threads();
std::string governor_reason();

// The load of other processes on these CPUs over a window, in cores: (busy ticks of the CPUs -
// own ticks) / (all ticks / CPUs). Exposed for tests.
double other_processes_cores(double busy_ticks, double total_ticks, double own_ticks, int cpus);
// Threads to run with when others use `others` cores of `cpus`, within [1, max_threads].
int threads_for_load(double others, int cpus, int max_threads);

}  // namespace hsi
