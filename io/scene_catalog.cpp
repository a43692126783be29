#include "io/scene_catalog.hpp"

#include "common/error.hpp"

namespace hsi {
namespace {

// The EHU/GIC "Hyperspectral Remote Sensing Scenes" page; the files' fingerprints are the
// ones published in data/README.md.
const char* kEhu = "https://www.ehu.eus/ccwintco/uploads/";

}  // namespace

const std::vector<CatalogScene>& scene_catalog() {
  static const std::vector<CatalogScene> scenes = {
      {"indian_pines", "Indian Pines (AVIRIS, 145 x 145 x 200, corrected)",
       {{"Indian_pines_corrected.mat", std::string(kEhu) + "6/67/Indian_pines_corrected.mat", 5953527,
         "ec2f8808710919d566f70f0d4aa885aae1ddfd42b734aba71c5e12ca65450939", "indian_pines_corrected"}},
       ""},
      {"pavia_u", "Pavia University (ROSIS, 610 x 340 x 103)",
       {{"PaviaU.mat", std::string(kEhu) + "e/ee/PaviaU.mat", 34806917, "28447fa87f7a5797845e9a189c0da85e23b1d06a4ba7361e5ff44efbf834d2fb",
         "paviaU"}},
       ""},
      {"pavia_c", "Pavia Centre (ROSIS, 1096 x 715 x 102)",
       {{"Pavia.mat", std::string(kEhu) + "e/e3/Pavia.mat", 129624657, "b60341da323fd271cd97dd6d7a69514d385ccd7fdfc5a60c4ff5994b047f152e",
         "pavia"}},
       ""},
      {"salinas", "Salinas (AVIRIS, 512 x 217 x 204, corrected)",
       {{"Salinas_corrected.mat", std::string(kEhu) + "a/a3/Salinas_corrected.mat", 26552770,
         "5ec1c0d22f56d18ecd336f8e35735863c0f160682e04e0c18ef3f89a3334d87d", "salinas_corrected"}},
       ""},
      {"salinas_a", "Salinas-A (AVIRIS, 83 x 86 x 224, all bands; also bundled as data/SalinasA.mat)",
       {{"SalinasA.mat", std::string(kEhu) + "d/df/SalinasA.mat", 1599885, "9ee47a5fa61948bc5ec5e5754e9ab0976850f12f80ace2bf68449d7671e0935b",
         "salinasA"}},
       ""},
      {"salinas_a_corrected", "Salinas-A (AVIRIS, 83 x 86 x 204, water-absorption bands removed)",
       {{"SalinasA_corrected.mat", std::string(kEhu) + "1/1a/SalinasA_corrected.mat", 1539086,
         "d75684ed3ab71a1024cee0f9db9061f50a3523a92ff5edfbbb1eed976b9f1721", "salinasA_corrected"}},
       ""},
      {"ksc", "Kennedy Space Center (AVIRIS, 512 x 614 x 176)",
       {{"KSC.mat", std::string(kEhu) + "2/26/KSC.mat", 56824624, "b1ad011cfdb65c853e4f9f6108ca4774467d87f90a5c23b74ff3a2984a3b4786", "KSC"}},
       ""},
      {"botswana", "Botswana (Hyperion, 1476 x 256 x 145)",
       {{"Botswana.mat", std::string(kEhu) + "7/72/Botswana.mat", 78911133, "f1603903c844cdc2980550b0180688e8e1a72d4292595d1120e1dec2a80a91c7",
         "Botswana"}},
       ""},
      {"houston2013", "Houston 2013 (CASI, 349 x 1905 x 144, IEEE GRSS Data Fusion Contest 2013)",
       {},
       "the cube is distributed by the IEEE GRSS Data Fusion Contest 2013 after registration, not from a public address hsi could "
       "verify; download it there and set data.cube = /path/to/it in configs/houston2013.ini"},
  };
  return scenes;
}

const CatalogScene& catalog_scene(const std::string& id) {
  std::string known;
  for (const CatalogScene& s : scene_catalog()) {
    if (s.id == id) return s;
    known += (known.empty() ? "" : ", ") + s.id;
  }
  usage_error("unknown scene '" + id + "'; hsi fetch knows: " + known);
}

}  // namespace hsi
