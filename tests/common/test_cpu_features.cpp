// bfloat16 support as cpuid reports it agrees with what the kernel tells /proc/cpuinfo.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/cpu_features.hpp"

namespace hsi {
namespace {

TEST(CpuFeatures, NativeBf16AgreesWithTheKernelsCpuFlags) {
  std::ifstream info("/proc/cpuinfo");
  if (!info) GTEST_SKIP() << "no /proc/cpuinfo on this system";
  std::string line, flags;
  while (std::getline(info, line))
    if (line.rfind("flags", 0) == 0) {
      flags = line + " ";
      break;
    }
  ASSERT_FALSE(flags.empty());
  const bool avx512_bf16 = flags.find(" avx512_bf16 ") != std::string::npos, amx_bf16 = flags.find(" amx_bf16 ") != std::string::npos;
  EXPECT_EQ(cpu_has_native_bf16(), avx512_bf16 || amx_bf16) << cpu_bf16_features();
  EXPECT_EQ(cpu_bf16_features().find("AVX512-BF16") != std::string::npos, avx512_bf16);
  EXPECT_EQ(cpu_bf16_features().find("AMX-BF16") != std::string::npos, amx_bf16);
  EXPECT_EQ(cpu_has_native_bf16(), cpu_bf16_features() != "none");
}

}  // namespace
}  // namespace hsi
