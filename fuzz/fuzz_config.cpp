// Any INI text ends in validated settings or a usage error naming the problem.
#include <cstdint>
#include <sstream>

#include "cli/config.hpp"
#include "common/error.hpp"
#include "io/class_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const hsi::RunSettings s = hsi::cli::settings_from_ini(in, "fuzz.ini");
    (void)hsi::ClassTable::parse(s.classes, "fuzz.ini");
  } catch (const hsi::Error&) {
  }
  return 0;
}
