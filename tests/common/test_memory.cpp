// The allocator policy of common/memory.hpp: a large block freed and allocated again is reused,
// not mapped afresh and page-faulted in again.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>

#include "common/memory.hpp"

namespace hsi {
namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Allocates a block, writes one byte a page (faulting in any page not yet mapped), frees it.
void use_block(size_t bytes) {
  auto* block = static_cast<volatile char*>(std::malloc(bytes));
  ASSERT_NE(block, nullptr);
  for (size_t i = 0; i < bytes; i += 4096) block[i] = 1;
  std::free(const_cast<char*>(block));
}

TEST(Memory, ALargeBlockFreedAndAllocatedAgainIsNotFaultedInAgain) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
  GTEST_SKIP() << "the policy is glibc's malloc's; this build's allocator is another";
#else
  keep_freed_memory_for_reuse();
  // Between glibc's starting mmap threshold (128 KB) and the largest it accepts (32 MB). Without
  // the policy the first free raises the thresholds just enough that the block comes back from
  // the heap's top, grown afresh (6144 faults), or is mapped again.
  const size_t bytes = 24u << 20;
  use_block(bytes);
  const long before = minor_faults();
  use_block(bytes);
  EXPECT_LT(minor_faults() - before, 64) << "a 24 MB block (6144 pages) was faulted in again";
#endif
}

}  // namespace
}  // namespace hsi
