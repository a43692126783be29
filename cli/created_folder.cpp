#include "cli/created_folder.hpp"

#include <exception>

namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

// The outermost folder of `folder` that does not exist yet (empty when it exists).
fs::path first_missing_folder(const std::string& folder) {
  fs::path p = fs::absolute(folder).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  fs::path missing;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec)) {
    missing = p;
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return missing;
}

template <typename Match>
bool any_entry(const fs::path& folder, Match match) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (match(*it)) return true;
  return false;
}

}  // namespace

CreatedFolderGuard::CreatedFolderGuard(const std::string& folder, std::function<bool(const fs::path&)> worth_keeping)
    : created_(first_missing_folder(folder)), worth_keeping_(std::move(worth_keeping)), exceptions_(std::uncaught_exceptions()) {
  std::error_code ec;
  fs::create_directories(folder, ec);
}

CreatedFolderGuard::~CreatedFolderGuard() {
  if (created_.empty() || std::uncaught_exceptions() == exceptions_ || worth_keeping_(created_)) return;
  std::error_code ec;
  fs::remove_all(created_, ec);
}

bool holds_file_named(const fs::path& folder, const std::string& name) {
  return any_entry(folder, [&](const fs::directory_entry& e) { return e.path().filename() == name; });
}

bool holds_any_file(const fs::path& folder) {
  return any_entry(folder, [](const fs::directory_entry& e) { return e.is_regular_file(); });
}

}  // namespace hsi::cli
