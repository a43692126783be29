// hsi fetch: the standard scenes' cubes downloaded into the cache and verified.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "io/fetch.hpp"

namespace po = boost::program_options;

namespace hsi::cli {
namespace {

void list_scenes(const std::string& cache) {
  std::cout << "cache: " << cache << " (--cache, HSI_DATA, XDG_CACHE_HOME/hsi or ~/.cache/hsi)\n";
  for (const CatalogScene& s : scene_catalog()) {
    std::cout << std::left << std::setw(20) << s.id << s.title << "\n";
    if (s.files.empty()) {
      std::cout << std::setw(20) << "" << "not fetchable: " << s.manual << "\n";
      continue;
    }
    for (const RemoteFile& f : s.files) {
      int64_t here = 0;
      const CacheState state = cache_state(f, cache, &here);
      std::cout << std::setw(20) << "" << f.name << ", " << std::fixed << std::setprecision(1) << f.bytes / 1e6 << " MB: "
                << (state == CacheState::Present   ? "in the cache"
                    : state == CacheState::Partial ? "partly downloaded (" + std::to_string(here * 100 / f.bytes) + " %), hsi fetch resumes"
                                                   : std::string("not downloaded"))
                << "\n";
    }
  }
  std::cout << "A config names a fetched cube as `cube = fetch:SCENE` (e.g. fetch:indian_pines).\n";
}

}  // namespace

int run_fetch(const std::vector<std::string>& args) {
  std::vector<std::string> scenes;
  FetchOptions options;
  po::options_description desc("hsi fetch SCENE [SCENE ...] [--cache DIR] [--mirror URL]   |   hsi fetch --list");
  desc.add_options()("help,h", "show this help")("list", "the scenes hsi can fetch and what the cache holds")(
      "scene", po::value(&scenes)->composing(), "scene id (see --list)")(
      "cache", po::value(&options.cache_dir), "cache folder (default: HSI_DATA, else XDG_CACHE_HOME/hsi, else ~/.cache/hsi)")(
      "mirror", po::value(&options.mirror),
      "download from this base URL (http://, https://, file://) instead of each scene's published address; also HSI_FETCH_MIRROR");
  po::positional_options_description pos;
  pos.add("scene", -1);
  po::variables_map vm;
  if (parse_or_help(args, desc, pos, vm)) return 0;
  if (vm.count("list")) {
    if (!scenes.empty()) usage_error("--list takes no scene");
    list_scenes(data_cache_dir(options.cache_dir));
    return 0;
  }
  if (scenes.empty()) usage_error("name a scene to fetch (hsi fetch --list shows them)");
  // Every name is checked before the first byte is downloaded.
  for (const std::string& id : scenes) {
    const CatalogScene& s = catalog_scene(id);
    if (s.files.empty()) usage_error(s.id + " cannot be fetched: " + s.manual);
  }
  for (const std::string& id : scenes)
    for (const RemoteFile& f : catalog_scene(id).files) fetch_file(f, options, std::cout);
  return 0;
}

}  // namespace hsi::cli
