// Sharing the machine: fewer threads while other processes keep our cores busy.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "common/thread_governor.hpp"

namespace hsi {
namespace {

TEST(ThreadGovernor, ThreadsFollowTheCoresOthersLeave) {
  // Ticks over a window on 2 CPUs: 200 ticks in all, 180 busy, 90 of them ours -> others 0.9 cores.
  EXPECT_NEAR(other_processes_cores(180, 200, 90, 2), 0.9, 1e-12);
  EXPECT_EQ(other_processes_cores(50, 200, 90, 2), 0.0);  // own ticks counted on other CPUs
  EXPECT_EQ(threads_for_load(0.0, 2, 2), 2);
  EXPECT_EQ(threads_for_load(0.4, 2, 2), 2);   // a light background load is not a job
  EXPECT_EQ(threads_for_load(0.9, 2, 2), 1);   // another job's thread takes a core
  EXPECT_EQ(threads_for_load(3.0, 2, 2), 1);   // never below one thread
  EXPECT_EQ(threads_for_load(1.0, 16, 4), 4);  // never above the count asked for
  EXPECT_EQ(threads_for_load(14.2, 16, 16), 2);
}

// Real processes spinning on every CPU this process may use: the governor measures them and
// drops to one thread, telling the pools through the setter.
TEST(ThreadGovernor, SpinningNeighboursTakeThreadsAway) {
  unsetenv("HSI_ADAPTIVE_THREADS");
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> set_calls;
  install_thread_governor(std::max(2, cpus), [&](int n) { set_calls.push_back(n); });
  setenv("HSI_ADAPTIVE_THREADS", "0", 1);
  ASSERT_EQ(governed_threads(), std::max(2, cpus));
  std::vector<pid_t> spinners;
  for (int i = 0; i < cpus; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      volatile unsigned long x = 0;
      for (;;) x = x + 1;
    }
    spinners.push_back(pid);
  }
  const auto start = std::chrono::steady_clock::now();
  while (governed_threads() != 1 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    share_cores_at_safe_point();
  }
  for (pid_t pid : spinners) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  EXPECT_EQ(governed_threads(), 1) << governor_reason();
  ASSERT_FALSE(set_calls.empty());
  EXPECT_EQ(set_calls.back(), 1);
  EXPECT_NE(governor_reason().find("other processes use"), std::string::npos) << governor_reason();
  remove_thread_governor();
  EXPECT_EQ(governed_threads(), 0);
  share_cores_at_safe_point();  // a no-op without a governor
  // Switched off by the environment: nothing is installed.
  install_thread_governor(4, [](int) {});
  EXPECT_EQ(governed_threads(), 0);
}

}  // namespace
}  // namespace hsi
