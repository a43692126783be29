#include "common/error.hpp"

namespace hsi {

void usage_error(const std::string& message) { throw Error(ErrorKind::Usage, message); }

void data_error(const std::string& file, const std::string& problem) {
  throw Error(ErrorKind::Data, file + ": " + problem);
}

void output_error(const std::string& file, const std::string& problem) {
  throw Error(ErrorKind::Output, file + ": " + problem);
}

}  // namespace hsi
