#include "common/memory.hpp"

#include <cstdlib>  // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hsi {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the largest it accepts
  mallopt(M_TRIM_THRESHOLD, 64 << 20);  // twice the mmap threshold, as glibc's dynamic rule sets it
#endif
}

}  // namespace hsi
