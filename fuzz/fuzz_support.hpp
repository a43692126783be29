#pragma once
// Writes the fuzzer's bytes to a per-process file: the readers under test take paths. The file
// lives in $TMPDIR (else /tmp) and is removed when the harness exits, so fuzzing leaves nothing
// behind; an input that crashes the harness is kept by libFuzzer itself (scripts/fuzz.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hsi::fuzz {

class InputFile {
 public:
  explicit InputFile(const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/hsi_fuzz_" + std::to_string(::getpid()) + suffix;
  }
  ~InputFile() { std::remove(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string input_file(const uint8_t* data, size_t size, const char* suffix) {
  static const InputFile file(suffix);  // destroyed, and so removed, at exit
  FILE* f = std::fopen(file.path().c_str(), "wb");
  if (!f) return file.path();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return file.path();
}

}  // namespace hsi::fuzz
