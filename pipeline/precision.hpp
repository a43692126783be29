// Network arithmetic: what a precision setting (auto | fp32 | bf16) means on this CPU, and the
// scope in which a network's forward pass runs in bfloat16.
#pragma once

#include <string>

namespace hsi {

// bf16 -> true, fp32 -> false, auto -> whether the CPU computes bfloat16 natively (AVX512-BF16
// or AMX): emulated, bfloat16 is slower than float32, so auto never picks it there.
bool resolves_to_bf16(const std::string& precision);

// While it lives, LibTorch's CPU autocast runs this thread's convolutions and matrix products in
// bfloat16 and keeps reductions and normalisation in float32 where autocast says so. Parameters
// and their gradients stay float32 (autocast casts copies), so training keeps float32 master
// weights; outputs may come back as bfloat16: callers convert what they go on with.
class Bf16Scope {
 public:
  explicit Bf16Scope(bool on);
  ~Bf16Scope();
  Bf16Scope(const Bf16Scope&) = delete;
  Bf16Scope& operator=(const Bf16Scope&) = delete;

 private:
  bool on_;
};

}  // namespace hsi
