#pragma once
// Output folders a verb makes before it knows the work will succeed (an experiment, a batch of
// maps): a failure removes what it created, so a bad input leaves no empty or half-made folder.
#include <filesystem>
#include <functional>
#include <string>

namespace hsi::cli {

class CreatedFolderGuard {
 public:
  // Makes `folder` (and the missing folders above it). If the scope is left by an exception, the
  // outermost folder it made is removed again, unless `worth_keeping` says it holds finished
  // work a rerun continues from. A folder that existed before is never touched.
  CreatedFolderGuard(const std::string& folder, std::function<bool(const std::filesystem::path&)> worth_keeping);
  ~CreatedFolderGuard();
  CreatedFolderGuard(const CreatedFolderGuard&) = delete;
  CreatedFolderGuard& operator=(const CreatedFolderGuard&) = delete;

 private:
  std::filesystem::path created_;
  std::function<bool(const std::filesystem::path&)> worth_keeping_;
  int exceptions_;
};

// True when a file named `name` lies anywhere under `folder`.
bool holds_file_named(const std::filesystem::path& folder, const std::string& name);
// True when any regular file lies under `folder`.
bool holds_any_file(const std::filesystem::path& folder);

}  // namespace hsi::cli
