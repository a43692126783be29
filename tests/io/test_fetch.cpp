// hsi fetch: downloads verified against published fingerprints, from a local file:// mirror
// and a loopback HTTP server the test runs (machines here have no internet).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "io/fetch.hpp"
#include "io/reader.hpp"
#include "support/synthetic.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

const std::string kSalinasA = std::string(HSI_PROJECT_DATA) + "/SalinasA.mat";

// HSI_DATA pointed at a fresh folder for one test, and put back afterwards.
class ScopedCache {
 public:
  ScopedCache() : old_(std::getenv("HSI_DATA") ? std::getenv("HSI_DATA") : "") {
    setenv("HSI_DATA", dir_.file("cache").c_str(), 1);
    unsetenv("HSI_FETCH_MIRROR");
  }
  ~ScopedCache() { old_.empty() ? unsetenv("HSI_DATA") : setenv("HSI_DATA", old_.c_str(), 1); }
  std::string path() const { return dir_.file("cache"); }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    if (fs::exists(path()))
      for (const auto& e : fs::directory_iterator(path())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  test::TempDir dir_;
  std::string old_;
};

const RemoteFile& salinas_a() { return catalog_scene("salinas_a").files.front(); }

std::string fetch_error(const RemoteFile& f, const FetchOptions& o) {
  std::ostringstream log;
  try {
    fetch_file(f, o, log);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Data) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "fetch succeeded: " << log.str();
  return "";
}

// A loopback HTTP/1.0 server: each request is answered by `respond(path, range_from)`, which
// returns the raw response (status line, headers, body); range_from is -1 without a Range header.
class LoopbackServer {
 public:
  using Respond = std::function<std::string(const std::string&, int64_t)>;
  explicit LoopbackServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::smatch m;
      const std::string path = std::regex_search(request, m, std::regex("GET ([^ ]+) ")) ? m[1].str() : "";
      const int64_t from = std::regex_search(request, m, std::regex("Range: bytes=([0-9]+)-", std::regex::icase)) ? std::stoll(m[1].str()) : -1;
      const std::string response = respond_(path, from);
      for (size_t sent = 0; sent < response.size();) {
        const ssize_t n = send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(client);
    }
  }
  Respond respond_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string http(int status, const std::string& body, const std::string& extra = "", int64_t claimed_length = -1) {
  std::ostringstream r;
  r << "HTTP/1.0 " << status << (status == 200 ? " OK" : status == 206 ? " Partial Content" : " Not Found") << "\r\n"
    << "Content-Length: " << (claimed_length >= 0 ? claimed_length : static_cast<int64_t>(body.size())) << "\r\n"
    << extra << "\r\n"
    << body;
  return r.str();
}

TEST(Sha256, KnownVectorsAndPiecewiseUpdates) {
  const auto digest = [](const std::string& s) {
    Sha256 h;
    h.update(s.data(), s.size());
    return h.hex_digest();
  };
  EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(digest(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Pieces of every awkward size give the one-shot digest.
  Sha256 pieces;
  for (size_t at = 0, step = 1; at < million.size(); at += step, step = step % 130 + 1)
    pieces.update(million.data() + at, std::min(step, million.size() - at));
  EXPECT_EQ(pieces.hex_digest(), digest(million));
  // The bundled scene's fingerprint, as data/README.md publishes it.
  EXPECT_EQ(sha256_file(kSalinasA), "9ee47a5fa61948bc5ec5e5754e9ab0976850f12f80ace2bf68449d7671e0935b");
}

TEST(SceneCatalog, EveryFingerprintIsTheOnePublishedInTheDataReadme) {
  const std::string readme = test::slurp(std::string(HSI_PROJECT_DATA) + "/README.md");
  int fetchable = 0;
  for (const CatalogScene& s : scene_catalog()) {
    EXPECT_TRUE(s.files.empty() != s.manual.empty()) << s.id << ": either files or a manual note";
    for (const RemoteFile& f : s.files) {
      ++fetchable;
      EXPECT_EQ(f.sha256.size(), 64u) << f.name;
      EXPECT_NE(readme.find(f.sha256), std::string::npos) << f.name << ": sha256 not in data/README.md";
      EXPECT_EQ(f.url.substr(f.url.size() - f.name.size()), f.name);
    }
  }
  EXPECT_GE(fetchable, 7);
  EXPECT_THROW(catalog_scene("indian_pine"), Error);
}

TEST(Fetch, FileMirrorGoodTruncatedCorruptedMissingAndHtmlCopies) {
  ScopedCache cache;
  const RemoteFile& f = salinas_a();
  for (const std::string copy : {"good", "truncated", "corrupted", "missing", "html"}) fs::create_directories(cache.file(copy));
  fs::copy_file(kSalinasA, cache.file("good/SalinasA.mat"));
  test::truncate_copy(kSalinasA, cache.file("truncated/SalinasA.mat"), 800000);
  fs::copy_file(kSalinasA, cache.file("corrupted/SalinasA.mat"));
  {
    std::fstream flip(cache.file("corrupted/SalinasA.mat"), std::ios::in | std::ios::out | std::ios::binary);
    flip.seekp(5000);
    flip.put('\x5a');
  }
  std::ofstream(cache.file("html/SalinasA.mat")) << "<!DOCTYPE html>\n<html><head><title>Page not found</title></head></html>\n";
  const auto mirror = [&](const std::string& copy) { return FetchOptions{"", "file://" + cache.file(copy)}; };

  EXPECT_NE(fetch_error(f, mirror("truncated")).find("sent 800000 bytes for SalinasA.mat, expected 1599885"), std::string::npos);
  EXPECT_TRUE(cache.listing().empty());
  const std::string corrupt = fetch_error(f, mirror("corrupted"));
  EXPECT_NE(corrupt.find("expected " + f.sha256), std::string::npos) << corrupt;
  EXPECT_NE(corrupt.find("found " + sha256_file(cache.file("corrupted/SalinasA.mat"))), std::string::npos) << corrupt;
  EXPECT_TRUE(cache.listing().empty());
  EXPECT_NE(fetch_error(f, mirror("missing")).find("SalinasA.mat"), std::string::npos);
  EXPECT_TRUE(cache.listing().empty());
  EXPECT_NE(fetch_error(f, mirror("html")).find("HTML page"), std::string::npos);
  EXPECT_TRUE(cache.listing().empty());

  std::ostringstream log;
  const FetchResult first = fetch_file(f, mirror("good"), log);
  EXPECT_TRUE(first.downloaded);
  EXPECT_EQ(cache.listing(), std::vector<std::string>{"SalinasA.mat"});
  EXPECT_EQ(sha256_file(first.path), f.sha256);
  // A verified download is never repeated, even when the mirror has gone.
  fs::remove_all(cache.file("good"));
  const FetchResult again = fetch_file(f, mirror("good"), log);
  EXPECT_FALSE(again.downloaded);
  // A file put in the cache by hand is checked before it is trusted, and left alone.
  fs::copy_file(cache.file("corrupted/SalinasA.mat"), first.path, fs::copy_options::overwrite_existing);
  EXPECT_NE(fetch_error(f, mirror("good")).find("not the canonical SalinasA.mat"), std::string::npos);
  EXPECT_TRUE(fs::exists(first.path));
}

TEST(Fetch, ResumesAPartialDownloadAndConfigsFindTheCachedCube) {
  ScopedCache cache;
  const RemoteFile& f = salinas_a();
  // Before the download a config's fetch: source names the command to run.
  try {
    parse_source("fetch:salinas_a");
    ADD_FAILURE() << "an absent scene resolved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run `hsi fetch salinas_a`"), std::string::npos) << e.what();
  }
  fs::create_directories(cache.file("mirror"));
  fs::copy_file(kSalinasA, cache.file("mirror/SalinasA.mat"));
  fs::create_directories(cache.path());
  test::truncate_copy(kSalinasA, cache.path() + "/SalinasA.mat.part", 500000);
  std::ostringstream log;
  setenv("HSI_FETCH_MIRROR", ("file://" + cache.file("mirror") + "/").c_str(), 1);  // the variable, with a trailing slash
  const FetchResult r = fetch_file(f, {}, log);
  unsetenv("HSI_FETCH_MIRROR");
  EXPECT_EQ(r.resumed_from, 500000);
  EXPECT_EQ(sha256_file(r.path), f.sha256);
  EXPECT_EQ(cache.listing(), std::vector<std::string>{"SalinasA.mat"});
  EXPECT_EQ(parse_source("fetch:salinas_a").path, r.path);
  EXPECT_EQ(parse_source("fetch:salinas_a").variable, "salinasA");
  const Cube cube = read_cube("fetch:salinas_a");
  EXPECT_EQ(cube.rows, 83);
  EXPECT_EQ(cube.bands, 224);
}

TEST(Fetch, HttpErrorPagesRangesAndBrokenTransfers) {
  ScopedCache cache;
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("all_proxy");
  const RemoteFile& f = salinas_a();
  const std::string data = test::slurp(kSalinasA);
  ASSERT_EQ(static_cast<int64_t>(data.size()), f.bytes);
  const std::string page = "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>";
  {
    LoopbackServer server([&](const std::string&, int64_t) { return http(404, page, "Content-Type: text/html\r\n"); });
    const std::string e = fetch_error(f, {"", server.url()});
    EXPECT_NE(e.find("404"), std::string::npos) << e;
    EXPECT_TRUE(cache.listing().empty());
  }
  {
    LoopbackServer server([&](const std::string&, int64_t) { return http(200, page, "Content-Type: text/html\r\n"); });
    EXPECT_NE(fetch_error(f, {"", server.url()}).find("HTML page"), std::string::npos);
    EXPECT_TRUE(cache.listing().empty());
  }
  {
    // The connection drops after 600000 of the announced bytes: the part stays for a resume.
    LoopbackServer server([&](const std::string&, int64_t) { return http(200, data.substr(0, 600000), "", f.bytes); });
    const std::string e = fetch_error(f, {"", server.url()});
    EXPECT_NE(e.find("run hsi fetch again to resume"), std::string::npos) << e;
    EXPECT_EQ(cache.listing(), std::vector<std::string>{"SalinasA.mat.part"});
  }
  {
    // A server that honours the range: the rest is appended.
    LoopbackServer server([&](const std::string& path, int64_t from) {
      EXPECT_EQ(path, "/SalinasA.mat");
      if (from < 0) return http(200, data);
      return http(206, data.substr(static_cast<size_t>(from)),
                  "Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(data.size() - 1) + "/" + std::to_string(data.size()) + "\r\n");
    });
    std::ostringstream log;
    const FetchResult r = fetch_file(f, {"", server.url()}, log);
    EXPECT_EQ(r.resumed_from, 600000);
    EXPECT_EQ(sha256_file(r.path), f.sha256);
    EXPECT_EQ(cache.listing(), std::vector<std::string>{"SalinasA.mat"});
  }
  fs::remove(cache.path() + "/SalinasA.mat");
  test::truncate_copy(kSalinasA, cache.path() + "/SalinasA.mat.part", 300000);
  {
    // A server that ignores ranges sends the whole file again: hsi starts over instead of
    // appending it to the part.
    LoopbackServer server([&](const std::string&, int64_t) { return http(200, data); });
    std::ostringstream log;
    const FetchResult r = fetch_file(f, {"", server.url()}, log);
    EXPECT_EQ(r.resumed_from, 0) << log.str();
    EXPECT_EQ(sha256_file(r.path), f.sha256);
    EXPECT_NE(log.str().find("cannot resume"), std::string::npos) << log.str();
    EXPECT_EQ(cache.listing(), std::vector<std::string>{"SalinasA.mat"});
  }
}

}  // namespace
}  // namespace hsi
