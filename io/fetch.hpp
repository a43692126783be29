#pragma once
// Downloading the standard scenes into a local cache, verified against their published size
// and sha256. Nothing ever stands under a cached file's final name unless it is the canonical
// file: downloads go to NAME.part (kept when a transfer breaks off, so the next run resumes)
// and are renamed only after verification.
#include <cstdint>
#include <ostream>
#include <string>

#include "io/scene_catalog.hpp"

namespace hsi {

struct FetchOptions {
  std::string cache_dir;  // empty: data_cache_dir()
  std::string mirror;     // base URL used instead of each file's published address (file:// too);
                          // empty: the HSI_FETCH_MIRROR environment variable, else the published one
};

// --cache / HSI_DATA / $XDG_CACHE_HOME/hsi / ~/.cache/hsi, the first that is set.
std::string data_cache_dir(const std::string& explicit_dir = "");
std::string cached_file_path(const RemoteFile& file, const std::string& cache_dir);

enum class CacheState { Missing, Partial, Present };
CacheState cache_state(const RemoteFile& file, const std::string& cache_dir, int64_t* bytes_here = nullptr);

struct FetchResult {
  std::string path;
  bool downloaded = false;   // false: the verified file was already in the cache
  int64_t resumed_from = 0;  // bytes of an earlier partial download reused
  double seconds = 0;
};

// Makes `file` present and verified in the cache. Data error (the file, the address, what was
// wrong: HTML page instead of data, short or long file, checksum expected/found, transfer
// failure) with nothing left under the final name; Interrupted keeps the partial download.
FetchResult fetch_file(const RemoteFile& file, const FetchOptions& options, std::ostream& log);

// "fetch:SCENE" or "fetch:SCENE:VARIABLE" names the cached cube of a catalogue scene.
bool is_fetch_source(const std::string& source);
// The cached cube as "path:variable". A data error that names the `hsi fetch` command to run
// when the scene is not (completely) in the cache.
std::string resolve_fetch_source(const std::string& source);

}  // namespace hsi
