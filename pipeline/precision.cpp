#include "pipeline/precision.hpp"

#include <ATen/autocast_mode.h>

#include "common/cpu_features.hpp"

namespace hsi {

bool resolves_to_bf16(const std::string& precision) { return precision == "bf16" || (precision == "auto" && cpu_has_native_bf16()); }

Bf16Scope::Bf16Scope(bool on) : on_(on) {
  if (!on_) return;
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
}

Bf16Scope::~Bf16Scope() {
  if (!on_) return;
  at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
}

}  // namespace hsi
