#include "common/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace hsi {
namespace {

struct Bf16Support {
  bool avx512_bf16 = false, amx_bf16 = false, avx512 = false;
};

Bf16Support detect() {
  Bf16Support s;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return s;
  const bool osxsave = (ecx >> 27) & 1;
  if (!osxsave) return s;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  // AVX-512 needs the OS to save opmask, ZMM upper halves and ZMM16-31 (XCR0 bits 5-7) besides
  // SSE and AVX state (bits 1-2).
  const bool avx512_state = (xcr0_lo & 0xE6u) == 0xE6u;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    const bool amx_tile = (edx >> 24) & 1, amx_bf16 = (edx >> 22) & 1;
    s.amx_bf16 = amx_tile && amx_bf16;  // the OS grants tile state on request (oneDNN asks)
    const bool avx512f = (ebx >> 16) & 1;
    s.avx512 = avx512f && avx512_state;
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    if (s.avx512 && __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) s.avx512_bf16 = (a1 >> 5) & 1;
  }
#endif
  return s;
}

}  // namespace

bool cpu_has_native_bf16() {
  static const Bf16Support s = detect();
  return s.avx512_bf16 || s.amx_bf16;
}

bool cpu_has_avx512() {
  static const Bf16Support s = detect();
  return s.avx512;
}

std::string cpu_bf16_features() {
  static const Bf16Support s = detect();
  std::string out;
  if (s.avx512_bf16) out = "AVX512-BF16";
  if (s.amx_bf16) out += std::string(out.empty() ? "" : ", ") + "AMX-BF16";
  return out.empty() ? "none" : out;
}

}  // namespace hsi
