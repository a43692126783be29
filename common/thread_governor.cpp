#include "common/thread_governor.hpp"

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace hsi {
namespace {

struct Ticks {
  double busy = 0, total = 0, own = 0;
};

struct Governor {
  bool active = false;
  int max_threads = 1, current = 0;
  std::function<void(int)> set_threads;
  std::vector<int> cpus;  // the CPUs this process may run on
  Ticks last;
  std::chrono::steady_clock::time_point last_time;
  std::string reason;
};
Governor g;

// Busy and total ticks of our CPUs (/proc/stat "cpuN user nice system idle iowait irq softirq
// steal ..."), and this process's own user + system ticks (/proc/self/stat fields 14 and 15).
bool read_ticks(const std::vector<int>& cpus, Ticks& t) {
  std::ifstream stat("/proc/stat");
  if (!stat) return false;
  std::vector<bool> ours;
  for (int c : cpus) {
    if (c >= static_cast<int>(ours.size())) ours.resize(static_cast<size_t>(c) + 1, false);
    ours[static_cast<size_t>(c)] = true;
  }
  t = Ticks{};
  std::string line;
  bool any = false;
  while (std::getline(stat, line)) {
    if (line.compare(0, 3, "cpu") != 0) break;
    if (line.size() < 4 || line[3] == ' ') continue;  // the aggregate line
    std::istringstream in(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    if (cpu < 0 || cpu >= static_cast<int>(ours.size()) || !ours[static_cast<size_t>(cpu)]) continue;
    const double busy = user + nice + system + irq + softirq + steal;
    t.busy += busy;
    t.total += busy + idle + iowait;
    any = true;
  }
  std::ifstream self("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  t.own = utime + stime;
  return any;
}

}  // namespace

double other_processes_cores(double busy_ticks, double total_ticks, double own_ticks, int cpus) {
  if (total_ticks <= 0 || cpus <= 0) return 0;
  return std::max(0.0, busy_ticks - own_ticks) / (total_ticks / cpus);
}

int threads_for_load(double others, int cpus, int max_threads) {
  // A core counts as taken when others keep it busy more than half the time.
  const int free_cores = cpus - static_cast<int>(std::floor(others + 0.5));
  return std::max(1, std::min(max_threads, free_cores));
}

void install_thread_governor(int max_threads, std::function<void(int)> set_threads) {
  g = Governor{};
  if (const char* off = std::getenv("HSI_ADAPTIVE_THREADS"); off && std::string(off) == "0") return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) g.cpus.push_back(c);
  }
  if (g.cpus.empty() || !read_ticks(g.cpus, g.last)) return;
  g.active = true;
  g.max_threads = std::max(1, max_threads);
  g.current = g.max_threads;
  g.set_threads = std::move(set_threads);
  g.last_time = std::chrono::steady_clock::now();
  g.reason = "alone: all " + std::to_string(g.max_threads) + " threads";
}

void remove_thread_governor() { g = Governor{}; }

void share_cores_at_safe_point() {
  if (!g.active) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - g.last_time < std::chrono::milliseconds(500)) return;
  Ticks t;
  if (!read_ticks(g.cpus, t)) return;
  const double others = other_processes_cores(t.busy - g.last.busy, t.total - g.last.total, t.own - g.last.own, static_cast<int>(g.cpus.size()));
  g.last = t;
  g.last_time = now;
  const int want = threads_for_load(others, static_cast<int>(g.cpus.size()), g.max_threads);
  if (want == g.current) return;
  char why[160];
  std::snprintf(why, sizeof why, "other processes use %.1f of %zu cores: %d thread%s", others, g.cpus.size(), want, want == 1 ? "" : "s");
  g.reason = why;
  std::fprintf(stderr, "hsi: sharing the machine: %s\n", why);
  g.current = want;
  g.set_threads(want);
}

int governed_threads() { return g.active ? g.current : 0; }
std::string governor_reason() { return g.reason; }

}  // namespace hsi
