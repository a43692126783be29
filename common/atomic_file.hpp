#pragma once
// Outputs are written under a temporary name in the target folder and renamed into place
// only when complete, so an interrupted run never leaves a plausible-looking half file.
#include <string>

namespace hsi {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::string final_path);
  ~AtomicOutput();  // removes the temporary file unless commit() succeeded
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Writes text atomically.
void write_text_file(const std::string& path, const std::string& content);
// Fails with a clear error when the folder of `path` does not exist or is not writable.
void check_writable_target(const std::string& path);
bool same_file(const std::string& a, const std::string& b);

}  // namespace hsi
