// Any bytes given to a reader end in a cube, a label map or an hsi::Error, never a crash.
#include <cstdint>

#include "common/error.hpp"
#include "fuzz_support.hpp"
#include "io/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hsi::fuzz::input_file(data, size, HSI_FUZZ_SUFFIX);
  try {
    (void)hsi::read_cube(path);
  } catch (const hsi::Error&) {
  }
  try {
    (void)hsi::read_labels(path);
  } catch (const hsi::Error&) {
  }
  try {
    (void)hsi::list_variables(path);
  } catch (const hsi::Error&) {
  }
  return 0;
}
