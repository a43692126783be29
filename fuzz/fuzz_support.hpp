#pragma once
// Writes the fuzzer's bytes to a per-process file: the readers under test take paths.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace hsi::fuzz {

inline std::string input_file(const uint8_t* data, size_t size, const char* suffix) {
  static const std::string path = "/tmp/hsi_fuzz_" + std::to_string(::getpid()) + suffix;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return path;
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace hsi::fuzz
