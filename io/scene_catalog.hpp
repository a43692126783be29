#pragma once
// The standard public scenes hsi can fetch: where each cube is published, and the size and
// sha256 of the canonical file (different copies of "Indian Pines" circulate; only the one
// with this fingerprint is accepted). Ground truths ship in data/ground_truth.
#include <cstdint>
#include <string>
#include <vector>

namespace hsi {

struct RemoteFile {
  std::string name;      // file name in the cache, e.g. Indian_pines_corrected.mat
  std::string url;       // the scene page's download address
  int64_t bytes = 0;
  std::string sha256;    // lower-case hex
  std::string variable;  // the cube's MAT variable
};

struct CatalogScene {
  std::string id;     // what `hsi fetch` and `fetch:ID` take
  std::string title;  // human name and shape
  std::vector<RemoteFile> files;  // the first is the cube `fetch:ID` names
  std::string manual;  // non-empty: no public direct download; how to get the cube instead
};

const std::vector<CatalogScene>& scene_catalog();
// The scene with this id; a usage error listing the known ids otherwise.
const CatalogScene& catalog_scene(const std::string& id);

}  // namespace hsi
