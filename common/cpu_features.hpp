#pragma once
// What the CPU computes natively, asked of the CPU itself (cpuid, and the OS's saved register
// state), not guessed from a model name.
#include <string>

namespace hsi {

// bfloat16 matrix arithmetic in hardware: AVX512-BF16 (with AVX-512 state enabled by the OS) or
// AMX-BF16. Without it LibTorch emulates bfloat16, several times slower than float32.
bool cpu_has_native_bf16();
// "AVX512-BF16, AMX-BF16", or "none".
std::string cpu_bf16_features();
// AVX-512 Foundation with its register state enabled by the OS (oneDNN then runs its AVX-512
// kernels).
bool cpu_has_avx512();

}  // namespace hsi
