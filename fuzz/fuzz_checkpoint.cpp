// Any bytes given as a checkpoint end in a model or an hsi::Error, never a crash.
#include <cstdint>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "pipeline/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hsi::fuzz::input_file(data, size, ".ckpt");
  try {
    (void)hsi::load_checkpoint(path);
  } catch (const hsi::Error&) {
  }
  return 0;
}
