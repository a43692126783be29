#pragma once
// SHA-256 (FIPS 180-4), streamed: downloads and data files are verified against published
// fingerprints without holding them in memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace hsi {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t bytes);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Hex digest of a whole file, read in 1 MiB pieces; a data error naming the file when it
// cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace hsi
