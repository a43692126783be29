#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

// Temporary paths of unfinished outputs, kept where a signal handler can read them: fixed
// slots, each claimed with a compare-and-swap (0 free, 1 being filled, 2 holds a path).
constexpr int kSlots = 64;
constexpr size_t kPathMax = 4096;
struct PendingSlot {
  std::atomic<int> state{0};
  char path[kPathMax];
};
PendingSlot g_pending[kSlots];

int register_pending(const std::string& path) {
  if (path.size() + 16 >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_pending[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_pending[i].path, path.c_str(), path.size() + 1);
      g_pending[i].state.store(2);
      return i;
    }
  }
  return -1;  // more unfinished outputs than slots: these are left to the destructor alone
}

void unregister_pending(int slot) {
  if (slot >= 0) g_pending[slot].state.store(0);
}

}  // namespace

void remove_pending_outputs_signal_safe() {
  for (PendingSlot& slot : g_pending) {
    if (slot.state.load() != 2) continue;
    ::unlink(slot.path);
    char sidecar[kPathMax + 16];
    size_t n = 0;
    while (slot.path[n] != '\0') {
      sidecar[n] = slot.path[n];
      ++n;
    }
    for (const char* tail = ".aux.xml"; *tail; ++tail) sidecar[n++] = *tail;
    sidecar[n] = '\0';
    ::unlink(sidecar);
  }
}

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
  pending_slot_ = register_pending(temp_path_);
}

AtomicOutput::~AtomicOutput() {
  unregister_pending(pending_slot_);
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
  unregister_pending(pending_slot_);
  pending_slot_ = -1;
}

namespace {

// `folder` must exist and be writable; errors name `reported_as`, what the user gave.
void check_writable_folder(const fs::path& folder, const std::string& reported_as) {
  if (!fs::is_directory(folder)) output_error(reported_as, "output folder '" + folder.string() + "' does not exist");
  if (::access(folder.c_str(), W_OK) != 0) output_error(reported_as, "output folder '" + folder.string() + "' is not writable");
}

}  // namespace

void check_writable_target(const std::string& path) {
  // "--out results/" or "--out results/.tif" would write hidden files nobody finds.
  const std::string name = fs::path(path).filename().string();
  if (name.empty() || name == "." || name == "..") output_error(path, "names a folder, not a file: give the output a file name (e.g. results/map.tif)");
  if (name[0] == '.') output_error(path, "would be a hidden file ('" + name + "' has no name before its extension): give the output a file name");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  check_writable_folder(parent, path);
  if (fs::is_directory(path)) output_error(path, "output path is a folder");
}

void check_output_folder(const std::string& folder) {
  // Checked as a folder, not through a file name inside it: such a name could exist there as
  // a folder of the user's and fail a run that would have worked.
  fs::path abs = fs::absolute(folder).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();  // "run/"
  if (fs::exists(abs) && !fs::is_directory(abs)) output_error(folder, "exists and is not a folder");
  check_writable_folder(fs::exists(abs) ? abs : abs.parent_path(), folder);
}

void write_text_file(const std::string& path, const std::string& content) {
  AtomicOutput out(path);
  write_bytes_checked(out.temp_path(), content, path);
  out.commit();
}

void write_bytes_checked(const std::string& file, const std::string& bytes, const std::string& reported_as) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) output_error(reported_as, std::string("cannot open for writing: ") + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int why = n < 0 ? errno : ENOSPC;
      ::close(fd);
      output_error(reported_as, std::string("write failed after ") + std::to_string(done) + " of " + std::to_string(bytes.size()) +
                                    " bytes: " + std::strerror(why));
    }
    done += static_cast<size_t>(n);
  }
  // Some file systems (NFS) report a full disk only when the file is closed. (No fsync: a
  // checkpoint an epoch would wait for the device every time.)
  if (::close(fd) != 0) output_error(reported_as, std::string("write failed: ") + std::strerror(errno));
}

namespace {

std::string normal_path(const std::string& p) {
  std::error_code ec;
  const fs::path n = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : n.string();
}

}  // namespace

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    if (same_file(output, input) || normal_path(output) == normal_path(input)) output_error(output, "output path is the same file as an input (" + input + ")");
  }
}

void check_distinct_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    check_writable_target(outputs[i]);
    for (size_t j = 0; j < i; ++j) {
      if (normal_path(outputs[i]) == normal_path(outputs[j])) {
        usage_error(outputs[i] + ": named for two outputs of this command; give each output its own file name");
      }
    }
    check_not_an_input(outputs[i], inputs);
  }
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace hsi
