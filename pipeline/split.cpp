#include "pipeline/split.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "pipeline/random.hpp"
#include "pipeline/run_layout.hpp"

namespace fs = std::filesystem;

namespace hsi {

int64_t block_of(int64_t pixel, int64_t cols, int64_t block_size) {
  const int64_t bcols = (cols + block_size - 1) / block_size;
  return (pixel / cols) / block_size * bcols + (pixel % cols) / block_size;
}

namespace {

std::map<int32_t, std::vector<int64_t>> pixels_by_class(const std::vector<int32_t>& labels) {
  std::map<int32_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i) {
    if (labels[i] != 0) by_class[labels[i]].push_back(i);
  }
  return by_class;
}

// How many of a class's n pixels go to training, never all of them.
int64_t training_share(int64_t wanted, int64_t n, double max_fraction, int32_t id, std::vector<std::string>& notes) {
  const int64_t cap = std::max<int64_t>(1, static_cast<int64_t>(std::floor(max_fraction * static_cast<double>(n))));
  if (wanted > cap) {
    notes.push_back("class " + std::to_string(id) + " has only " + std::to_string(n) + " pixels: " + std::to_string(cap) +
                    " used for training instead of " + std::to_string(wanted));
    return cap;
  }
  return wanted;
}

void carve_validation(Split& split, double fraction, Rng& rng) {
  if (fraction <= 0) return;
  for (auto& [id, pixels] : pixels_by_class(split.train)) {
    const int64_t n = static_cast<int64_t>(pixels.size());
    const int64_t v = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(fraction * static_cast<double>(n))));
    if (v <= 0) {
      // One pixel cannot both train and validate: training needs every class.
      split.notes.push_back("class " + std::to_string(id) + ": " + std::to_string(n) + " training pixel(s), too few to hold " +
                            format_fixed(100 * fraction, 0) + " % out for validation; all of them train");
      continue;
    }
    rng.shuffle(pixels);
    for (int64_t k = 0; k < v; ++k) {
      split.validation[pixels[k]] = id;
      split.train[pixels[k]] = 0;
    }
  }
}

void tally(Split& split, const std::vector<int32_t>& truth, const std::map<int32_t, int64_t>& removed) {
  std::map<int32_t, ClassSplitCount> counts;
  auto add = [&](const std::vector<int32_t>& map, int64_t ClassSplitCount::*field) {
    for (int32_t v : map) {
      if (v != 0) {
        counts[v].id = v;
        ++(counts[v].*field);
      }
    }
  };
  add(truth, &ClassSplitCount::total);
  add(split.train, &ClassSplitCount::train);
  add(split.validation, &ClassSplitCount::validation);
  add(split.test, &ClassSplitCount::test);
  for (const auto& [id, n] : removed) counts[id].removed = n;
  split.counts.clear();
  for (auto& [id, c] : counts) split.counts.push_back(c);
}

void check_every_class_trained(const Split& split) {
  for (const auto& c : split.counts) {
    if (c.train == 0) {
      usage_error("class " + std::to_string(c.id) + " has no training pixel in this split (" + std::to_string(c.test) +
                  " test pixels); a model cannot learn it");
    }
  }
}

// Blocks: the scene is tiled into square blocks; whole blocks go to training or test so the two
// sets are spatially apart, then a guard band drops test pixels whose window reaches a training pixel.
void make_blocks(Split& split, const LabelMap& labels, const SplitSettings& s, int radius, Rng& rng,
                 std::map<int32_t, int64_t>& removed) {
  const int64_t S = s.block_size;
  const int64_t brows = (labels.rows + S - 1) / S, bcols = (labels.cols + S - 1) / S;
  auto by_class = pixels_by_class(labels.labels);
  std::map<int32_t, std::vector<int64_t>> blocks_of_class;
  for (const auto& [id, pixels] : by_class) {
    std::vector<int64_t> blocks;
    for (int64_t p : pixels) blocks.push_back(block_of(p, labels.cols, S));
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    blocks_of_class[id] = blocks;
  }
  // Rarest classes (fewest blocks) choose first, so each keeps blocks on both sides when it can.
  std::vector<int32_t> order;
  for (const auto& [id, b] : blocks_of_class) order.push_back(id);
  rng.shuffle(order);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return blocks_of_class[a].size() < blocks_of_class[b].size(); });
  std::vector<int8_t> state(static_cast<size_t>(brows * bcols), 0);  // 0 free, 1 train, 2 test
  for (int32_t id : order) {
    std::vector<int64_t> blocks = blocks_of_class[id];
    const int64_t nb = static_cast<int64_t>(blocks.size());
    int64_t target = std::max<int64_t>(1, static_cast<int64_t>(std::lround(s.block_train_fraction * static_cast<double>(nb))));
    if (nb >= 2) target = std::min(target, nb - 1);
    int64_t have = 0;
    for (int64_t b : blocks) have += state[b] == 1;
    rng.shuffle(blocks);
    for (int64_t b : blocks) {
      if (have >= target) break;
      if (state[b] == 0) {
        state[b] = 1;
        ++have;
      }
    }
    for (int64_t b : blocks) {
      if (state[b] == 0) state[b] = 2;
    }
    if (have == 0) split.notes.push_back("class " + std::to_string(id) + ": every block it occupies was already taken for testing");
  }
  for (auto& [id, pixels] : by_class) {
    std::vector<int64_t> candidates;
    for (int64_t p : pixels) {
      if (state[block_of(p, labels.cols, S)] == 1) candidates.push_back(p);
      else split.test[p] = id;
    }
    rng.shuffle(candidates);
    const int64_t take = std::min<int64_t>(static_cast<int64_t>(candidates.size()), s.per_class);
    for (int64_t k = 0; k < take; ++k) split.train[candidates[k]] = id;
  }
  // Guard band via a summed-area table of the training mask: a test pixel is dropped when the
  // (2r+1)^2 window around it holds any training pixel.
  const int64_t R = labels.rows, C = labels.cols;
  std::vector<int64_t> sat(static_cast<size_t>((R + 1) * (C + 1)), 0);
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t c = 0; c < C; ++c) {
      sat[(r + 1) * (C + 1) + c + 1] = (split.train[r * C + c] != 0) + sat[r * (C + 1) + c + 1] + sat[(r + 1) * (C + 1) + c] - sat[r * (C + 1) + c];
    }
  }
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t c = 0; c < C; ++c) {
      const int32_t id = split.test[r * C + c];
      if (id == 0) continue;
      const int64_t r0 = std::max<int64_t>(0, r - radius), r1 = std::min(R, r + radius + 1);
      const int64_t c0 = std::max<int64_t>(0, c - radius), c1 = std::min(C, c + radius + 1);
      const int64_t n = sat[r1 * (C + 1) + c1] - sat[r0 * (C + 1) + c1] - sat[r1 * (C + 1) + c0] + sat[r0 * (C + 1) + c0];
      if (n > 0) {
        split.test[r * C + c] = 0;
        ++removed[id];
      }
    }
  }
}

}  // namespace

std::vector<int64_t> Split::pixels_of(const std::vector<int32_t>& map) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < static_cast<int64_t>(map.size()); ++i) {
    if (map[i] != 0) out.push_back(i);
  }
  return out;
}

std::vector<int32_t> Split::class_ids() const {
  std::vector<int32_t> ids;
  for (const auto& c : counts) {
    if (c.train > 0) ids.push_back(c.id);
  }
  return ids;
}

Split make_split(const LabelMap& labels, const SplitSettings& settings, int patch_radius, int seed) {
  if (2 * patch_radius + 1 > std::min(labels.rows, labels.cols)) {
    usage_error("model.patch = " + std::to_string(2 * patch_radius + 1) + " is larger than the scene (" +
                std::to_string(labels.rows) + " x " + std::to_string(labels.cols) + ")");
  }
  Split split;
  split.rows = labels.rows;
  split.cols = labels.cols;
  split.mode = settings.mode;
  split.seed = seed;
  const size_t n = labels.labels.size();
  split.train.assign(n, 0);
  split.validation.assign(n, 0);
  split.test.assign(n, 0);
  Rng rng(static_cast<uint64_t>(seed));
  auto by_class = pixels_by_class(labels.labels);
  if (by_class.empty()) data_error(labels.source, "the label map has no labelled pixel");
  for (const auto& [id, pixels] : by_class) {
    if (pixels.size() < 2) {
      data_error(labels.source, "class " + std::to_string(id) + " has a single labelled pixel; it cannot be both trained and tested (label more of it, or "
                                             "leave it out with data.ignore_classes = " + std::to_string(id) + ")");
    }
  }
  std::map<int32_t, int64_t> removed;
  if (settings.mode == "fixed" || settings.mode == "fraction") {
    for (auto& [id, pixels] : by_class) {
      const int64_t total = static_cast<int64_t>(pixels.size());
      const int64_t wanted = settings.mode == "fixed"
                                 ? settings.per_class
                                 : std::max<int64_t>(1, std::llround(settings.fraction * static_cast<double>(total)));
      const int64_t take = training_share(wanted, total, settings.max_class_fraction, id, split.notes);
      rng.shuffle(pixels);
      for (int64_t k = 0; k < total; ++k) (k < take ? split.train : split.test)[pixels[k]] = id;
    }
  } else if (settings.mode == "blocks") {
    make_blocks(split, labels, settings, patch_radius, rng, removed);
  } else {
    usage_error("split.mode '" + settings.mode + "' needs external maps; use external_split");
  }
  carve_validation(split, settings.validation_fraction, rng);
  tally(split, labels.labels, removed);
  check_every_class_trained(split);
  return split;
}

Split external_split(const SplitSettings& settings, int64_t rows, int64_t cols, int unlabelled, int seed,
                     const std::function<LabelMap(const std::string&)>& read) {
  LabelMap train = read(settings.train_map);
  LabelMap test = read(settings.test_map);
  for (const LabelMap* m : {&train, &test}) {
    if (m->rows != rows || m->cols != cols) {
      data_error(m->source, "is " + std::to_string(m->rows) + " x " + std::to_string(m->cols) + ", the cube is " +
                                std::to_string(rows) + " x " + std::to_string(cols));
    }
  }
  Split split;
  split.rows = rows;
  split.cols = cols;
  split.mode = "external";
  split.seed = seed;
  split.train = train.labels;
  split.test = test.labels;
  split.validation.assign(split.train.size(), 0);
  int64_t overlap = 0;
  for (size_t i = 0; i < split.train.size(); ++i) {
    if (split.train[i] == unlabelled) split.train[i] = 0;
    if (split.test[i] == unlabelled) split.test[i] = 0;
    overlap += split.train[i] != 0 && split.test[i] != 0;
  }
  if (overlap > 0) data_error(settings.test_map, std::to_string(overlap) + " test pixels are also training pixels in " + settings.train_map);
  Rng rng(static_cast<uint64_t>(seed));
  carve_validation(split, settings.validation_fraction, rng);
  std::vector<int32_t> truth(split.train.size());
  for (size_t i = 0; i < truth.size(); ++i) truth[i] = split.train[i] ? split.train[i] : split.validation[i] ? split.validation[i] : split.test[i];
  tally(split, truth, {});
  check_every_class_trained(split);
  return split;
}

void save_split(const Split& split, const std::string& dir, const ClassTable& classes, const GeoInfo& geo) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) output_error(dir, "cannot create the folder: " + ec.message());
  const SplitFiles files(dir);
  write_class_map(files.train, split.rows, split.cols, split.train, classes, geo);
  write_class_map(files.test, split.rows, split.cols, split.test, classes, geo);
  write_class_map(files.validation, split.rows, split.cols, split.validation, classes, geo);
  std::ostringstream json;
  json << "{\n  \"mode\": \"" << json_escape(split.mode) << "\",\n  \"seed\": " << split.seed << ",\n  \"rows\": " << split.rows
       << ",\n  \"cols\": " << split.cols << ",\n  \"classes\": [\n";
  for (size_t i = 0; i < split.counts.size(); ++i) {
    const auto& c = split.counts[i];
    const int idx = classes.index_of(c.id);
    json << "    {\"id\": " << c.id << ", \"name\": \"" << json_escape(idx >= 0 ? classes.at(idx).name : "") << "\", \"total\": " << c.total
         << ", \"train\": " << c.train << ", \"validation\": " << c.validation << ", \"test\": " << c.test
         << ", \"removed_by_guard\": " << c.removed << "}" << (i + 1 < split.counts.size() ? "," : "") << "\n";
  }
  json << "  ],\n  \"notes\": " << json_string_array(split.notes) << "\n}\n";
  write_text_file(files.json, json.str());
}

Split load_split(const std::string& dir, int64_t rows, int64_t cols) {
  const SplitFiles files(dir);
  Split split;
  split.rows = rows;
  split.cols = cols;
  split.mode = "loaded";
  auto load = [&](const std::string& path, bool required) -> std::vector<int32_t> {
    if (!fs::exists(path)) {
      if (required) data_error(path, "split file not found");
      return std::vector<int32_t>(static_cast<size_t>(rows * cols), 0);
    }
    LabelMap m = read_labels(path);
    if (m.rows != rows || m.cols != cols) {
      data_error(path, "split is for a " + std::to_string(m.rows) + " x " + std::to_string(m.cols) + " scene, this one is " +
                           std::to_string(rows) + " x " + std::to_string(cols));
    }
    return m.labels;
  };
  split.train = load(files.train, true);
  split.test = load(files.test, true);
  split.validation = load(files.validation, false);
  std::vector<int32_t> truth(split.train.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    const int set_count = (split.train[i] != 0) + (split.test[i] != 0) + (split.validation[i] != 0);
    if (set_count > 1) data_error(dir, "split sets overlap at pixel " + std::to_string(i));
    truth[i] = split.train[i] ? split.train[i] : split.validation[i] ? split.validation[i] : split.test[i];
  }
  tally(split, truth, {});
  check_every_class_trained(split);
  return split;
}

std::string describe_split(const SplitSettings& s) {
  const std::string cap = "at most " + format_fixed(100 * s.max_class_fraction, 0) + " % of a class";
  std::string text;
  if (!s.load.empty()) {
    text = "loaded from " + s.load;
  } else if (s.mode == "fixed") {
    text = "fixed: " + std::to_string(s.per_class) + " training pixels per class (" + cap + ")";
  } else if (s.mode == "fraction") {
    text = "fraction: " + format_fixed(100 * s.fraction, 1) + " % of each class for training (at least 1, " + cap + ")";
  } else if (s.mode == "blocks") {
    text = "blocks: " + std::to_string(s.block_size) + " x " + std::to_string(s.block_size) + " blocks, " +
           format_fixed(100 * s.block_train_fraction, 0) + " % of each class's blocks for training, at most " +
           std::to_string(s.per_class) + " training pixels per class, test pixels whose window reaches a training pixel removed";
  } else if (s.mode == "external") {
    text = "external: training map " + s.train_map + ", test map " + s.test_map;
  } else {
    text = s.mode;
  }
  if (s.validation_fraction > 0) text += "; " + format_fixed(100 * s.validation_fraction, 0) + " % of the training pixels held out for validation";
  return text;
}

std::string split_table(const Split& split, const ClassTable& classes) {
  std::ostringstream out;
  out << "  id  name                            total  train  valid   test  removed\n";
  int64_t t[5] = {0, 0, 0, 0, 0};
  for (const auto& c : split.counts) {
    const int idx = classes.index_of(c.id);
    std::string name = idx >= 0 ? classes.at(idx).name : "";
    if (name.size() > 30) name = name.substr(0, 30);
    char line[160];
    std::snprintf(line, sizeof line, "%4d  %-30s %6ld %6ld %6ld %6ld %8ld\n", c.id, name.c_str(), (long)c.total, (long)c.train,
                  (long)c.validation, (long)c.test, (long)c.removed);
    out << line;
    t[0] += c.total; t[1] += c.train; t[2] += c.validation; t[3] += c.test; t[4] += c.removed;
  }
  char line[160];
  std::snprintf(line, sizeof line, "      %-30s %6ld %6ld %6ld %6ld %8ld\n", "total", (long)t[0], (long)t[1], (long)t[2], (long)t[3], (long)t[4]);
  out << line;
  for (const auto& n : split.notes) out << "note: " << n << "\n";
  return out.str();
}

}  // namespace hsi
