#include "io/fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/progress.hpp"
#include "common/sha256.hpp"
#include "common/version.hpp"

namespace hsi {
namespace fs = std::filesystem;
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string file_url(const RemoteFile& file, const FetchOptions& options) {
  std::string mirror = options.mirror.empty() ? env_or_empty("HSI_FETCH_MIRROR") : options.mirror;
  if (mirror.empty()) return file.url;
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  return mirror + "/" + file.name;
}

// Size of a regular file, 0 when there is none.
int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) ? static_cast<int64_t>(fs::file_size(path, ec)) : 0;
}

std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

// A scene page that answers with an HTML error or login page (status 200 or not) must not be
// mistaken for a short or corrupt download: say what came instead.
std::string html_instead_of_data(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  std::string lower = head.substr(start);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("<!doctype html", 0) != 0 && lower.rfind("<html", 0) != 0 && lower.rfind("<?xml", 0) != 0 && lower.rfind("<head", 0) != 0)
    return "";
  std::string first_line = head.substr(start, head.find_first_of("\r\n", start) - start);
  if (first_line.size() > 80) first_line = first_line.substr(0, 80) + "...";
  return first_line;
}

struct Transfer {
  FILE* out = nullptr;
  int64_t offset = 0;
  int64_t expected = 0;
  ProgressBar* bar = nullptr;
};

size_t write_piece(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  return std::fwrite(data, size, count, t.out) * size;
}

int on_progress(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
  Transfer& t = *static_cast<Transfer*>(user);
  t.bar->update(std::min<int64_t>(t.offset + now, t.expected));
  return stop_requested() ? 1 : 0;  // non-zero aborts the transfer; the partial file stays
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

enum class Outcome { Done, RangeRefused, Failed, Interrupted };

// One transfer into `part`, appending from its current size.
Outcome transfer(const std::string& url, const std::string& part, int64_t expected, std::string* failure) {
  static CurlGlobal global;
  const int64_t offset = file_bytes(part);
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(part.c_str(), offset > 0 ? "ab" : "wb"), &std::fclose);
  if (!out) output_error(part, "cannot be written (is the cache folder writable?)");
  ProgressBar bar("download " + fs::path(part).stem().string(), expected);
  Transfer t{out.get(), offset, expected, &bar};
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw Error(ErrorKind::Internal, "libcurl could not start a transfer");
  char error_text[CURL_ERROR_SIZE] = "";
  const std::string agent = std::string("hsi/") + kVersion;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled server is a failure (the partial file stays for the next run), not a hang.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &write_piece);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  if (offset > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(offset));
  const CURLcode rc = curl_easy_perform(c);
  bar.finish();
  const bool flushed = std::fflush(out.get()) == 0;
  out.reset();
  if (rc == CURLE_ABORTED_BY_CALLBACK && stop_requested()) return Outcome::Interrupted;
  if (rc == CURLE_RANGE_ERROR || rc == CURLE_BAD_DOWNLOAD_RESUME) return Outcome::RangeRefused;
  if (rc == CURLE_WRITE_ERROR || !flushed) output_error(part, "write failed (disk full?)");
  if (rc != CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *failure = error_text[0] ? error_text : curl_easy_strerror(rc);
    if (status >= 400 && failure->find(std::to_string(status)) == std::string::npos) *failure += " (HTTP " + std::to_string(status) + ")";
    return Outcome::Failed;
  }
  // A server that ignores the range sends the whole file again with status 200 (libcurl 7.88
  // reports that as a range error itself; this keeps other versions from appending it).
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (offset > 0 && status == 200) return Outcome::RangeRefused;
  return Outcome::Done;
}

}  // namespace

std::string data_cache_dir(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const std::string d = env_or_empty("HSI_DATA"); !d.empty()) return d;
  if (const std::string x = env_or_empty("XDG_CACHE_HOME"); !x.empty()) return (fs::path(x) / "hsi").string();
  if (const std::string h = env_or_empty("HOME"); !h.empty()) return (fs::path(h) / ".cache" / "hsi").string();
  usage_error("no cache folder for downloaded scenes: set HSI_DATA (or HOME)");
}

std::string cached_file_path(const RemoteFile& file, const std::string& cache_dir) { return (fs::path(cache_dir) / file.name).string(); }

CacheState cache_state(const RemoteFile& file, const std::string& cache_dir, int64_t* bytes_here) {
  std::error_code ec;
  const std::string path = cached_file_path(file, cache_dir);
  const bool present = fs::is_regular_file(path, ec), partial = !present && fs::is_regular_file(path + ".part", ec);
  if (bytes_here) *bytes_here = file_bytes(present ? path : path + ".part");
  return present ? CacheState::Present : partial ? CacheState::Partial : CacheState::Missing;
}

FetchResult fetch_file(const RemoteFile& file, const FetchOptions& options, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  const std::string cache = data_cache_dir(options.cache_dir);
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) output_error(cache, "cannot create the cache folder (" + ec.message() + ")");
  FetchResult result;
  result.path = cached_file_path(file, cache);
  const std::string part = result.path + ".part";

  if (fs::is_regular_file(result.path, ec)) {
    // Only verified files are ever renamed into place, but a file put there by hand is checked
    // like a download before it is trusted.
    const std::string found = sha256_file(result.path);
    if (found != file.sha256) {
      data_error(result.path, "is in the cache but is not the canonical " + file.name + " (sha256 expected " + file.sha256 + ", found " + found +
                                  "); delete it and run hsi fetch again");
    }
    log << file.name << ": already in " << cache << " (verified, sha256 " << file.sha256.substr(0, 12) << "...)" << std::endl;
    return result;
  }

  const std::string url = file_url(file, options);
  if (file_bytes(part) >= file.bytes) fs::remove(part, ec);  // nothing left to resume
  result.resumed_from = file_bytes(part);
  log << file.name << ": " << (result.resumed_from > 0 ? "resuming at " + megabytes(result.resumed_from) + " of " : "downloading ")
      << megabytes(file.bytes) << " from " << url << std::endl;
  std::string failure;
  Outcome outcome = transfer(url, part, file.bytes, &failure);
  if (outcome == Outcome::RangeRefused) {
    log << file.name << ": the server cannot resume; starting again from the first byte" << std::endl;
    fs::remove(part, ec);
    result.resumed_from = 0;
    outcome = transfer(url, part, file.bytes, &failure);
  }
  if (outcome == Outcome::Interrupted) {
    throw Error(ErrorKind::Interrupted, file.name + ": download interrupted; " + part + " is kept and the next hsi fetch resumes it");
  }
  const int64_t got = file_bytes(part);
  // An error or login page is never worth resuming, whether the transfer failed or not.
  if (const std::string html = got > 0 ? html_instead_of_data(part) : ""; !html.empty()) {
    fs::remove(part, ec);
    data_error(url, "the server sent an HTML page (\"" + html + "\") instead of " + file.name + "; nothing was kept");
  }
  if (outcome == Outcome::Failed) {
    if (got == 0) fs::remove(part, ec);
    data_error(url, "download of " + file.name + " failed: " + failure +
                        (got > 0 ? "; " + megabytes(got) + " kept in " + part + ", run hsi fetch again to resume" : std::string()));
  }
  if (got != file.bytes) {
    fs::remove(part, ec);
    data_error(url, "sent " + std::to_string(got) + " bytes for " + file.name + ", expected " + std::to_string(file.bytes) +
                        " (a truncated or different copy); nothing was kept");
  }
  const std::string found = sha256_file(part);
  if (found != file.sha256) {
    fs::remove(part, ec);
    data_error(url, file.name + " does not match its published checksum (sha256 expected " + file.sha256 + ", found " + found +
                        "); nothing was kept");
  }
  fs::rename(part, result.path);
  result.downloaded = true;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log << file.name << ": verified (sha256 " << file.sha256.substr(0, 12) << "...), " << result.path << std::endl;
  return result;
}

bool is_fetch_source(const std::string& source) { return source.rfind("fetch:", 0) == 0; }

std::string resolve_fetch_source(const std::string& source) {
  const std::string rest = source.substr(6);
  const size_t colon = rest.find(':');
  const std::string id = rest.substr(0, colon);
  const CatalogScene& scene = catalog_scene(id);
  if (scene.files.empty()) data_error(source, scene.id + " cannot be fetched: " + scene.manual);
  const RemoteFile& cube = scene.files.front();
  const std::string cache = data_cache_dir();
  if (cache_state(cube, cache) != CacheState::Present) {
    data_error(source, scene.title + " is not in the cache " + cache + ": run `hsi fetch " + scene.id +
                           "` first (or set HSI_DATA to the folder that holds " + cube.name + ")");
  }
  return cached_file_path(cube, cache) + ":" + (colon == std::string::npos ? cube.variable : rest.substr(colon + 1));
}

}  // namespace hsi
