#pragma once
// Outputs are written under a temporary name in the target folder and renamed into place
// only when complete, so an interrupted run never leaves a plausible-looking half file.
#include <string>
#include <vector>

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
  int pending_slot_ = -1;  // where the stop watchdog finds temp_path_
};

// Writes text atomically.
void write_text_file(const std::string& path, const std::string& content);
// Writes `bytes` to `file` and flushes them to the device, checking every step: a full disk or a
// file-size limit is an output error naming `reported_as` and the system's reason.
void write_bytes_checked(const std::string& file, const std::string& bytes, const std::string& reported_as);
// Fails with a clear error when the folder of `path` does not exist or is not writable.
void check_writable_target(const std::string& path);
// A command's output folder, checked before any work: it is a folder (or does not exist yet)
// and the folder it is or will be made in exists and is writable. Errors name `folder`.
void check_output_folder(const std::string& folder);
bool same_file(const std::string& a, const std::string& b);
// Before any work: every output is writable, none names the same file as another output or
// as an input (inputs that do not exist are ignored).
void check_distinct_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);
// An output error when `output` names the same file as one of `inputs` (empty ones ignored).
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs);

// Unlinks the temporary files of every AtomicOutput not yet committed or destroyed. Only
// async-signal-safe calls: the stop watchdog and a second SIGINT use it before _exit.
void remove_pending_outputs_signal_safe();

}  // namespace hsi
