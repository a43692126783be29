#pragma once
// One error type for the whole project. The CLI prints it as a single line and maps
// the kind to an exit code, so scripts can tell a usage mistake from bad data.
#include <stdexcept>
#include <string>

namespace hsi {

enum class ErrorKind {
  Usage = 2,    // bad option, bad config value: nothing was read
  Data = 3,     // the input files are wrong (missing, corrupt, inconsistent)
  Output = 4,   // an output could not be written
  Internal = 5,  // a bug or a library failure we did not expect
  Interrupted = 130  // SIGINT/SIGTERM: stopped at a safe point, outputs under final names are complete
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

[[noreturn]] void usage_error(const std::string& message);
// Message becomes "<file>: <problem>", the form every reader uses.
[[noreturn]] void data_error(const std::string& file, const std::string& problem);
[[noreturn]] void output_error(const std::string& file, const std::string& problem);

}  // namespace hsi
