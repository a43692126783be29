#include "common/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.hpp"

namespace fs = std::filesystem;

namespace hsi {

static std::string make_temp_name(const std::string& final_path) {
  const fs::path p(final_path);
  std::random_device rd;
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
  // Keep the extension so GDAL drivers that look at it still recognise the file.
  return (p.parent_path() / ("." + p.stem().string() + ".tmp" + tag + p.extension().string())).string();
}

AtomicOutput::AtomicOutput(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(make_temp_name(final_path_)) {
  check_writable_target(final_path_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
    fs::remove(temp_path_ + ".aux.xml", ec);
  }
}

void AtomicOutput::commit() {
  std::error_code ec;
  fs::rename(temp_path_, final_path_, ec);
  if (ec) output_error(final_path_, "cannot move finished output into place: " + ec.message());
  // GDAL may leave a PAM sidecar (category names of non-GeoTIFF formats) next to the temp file.
  if (fs::exists(temp_path_ + ".aux.xml")) fs::rename(temp_path_ + ".aux.xml", final_path_ + ".aux.xml", ec);
  committed_ = true;
}

void check_writable_target(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent)) output_error(path, "output folder '" + parent.string() + "' does not exist");
  if (::access(parent.c_str(), W_OK) != 0) output_error(path, "output folder '" + parent.string() + "' is not writable");
  if (fs::is_directory(path)) output_error(path, "output path is a folder");
}

void write_text_file(const std::string& path, const std::string& content) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) output_error(path, "cannot open for writing");
    f << content;
    f.flush();
    if (!f) output_error(path, "write failed");
  }
  out.commit();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace hsi
