#include "pipeline/batch_predict.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "io/mosaic.hpp"
#include "io/writer.hpp"
#include "io/reader.hpp"
#include "io/window_io.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

// What became of one input of a batch.
struct BatchRow {
  size_t index = 0;  // position in the input list
  std::string input, map, pixels, seconds, status;
  int rank = 0;
};

// Rows travel between ranks as text: fields split by US (0x1f), rows ended by RS (0x1e),
// characters no file name or message here holds.
std::string encode_rows(const std::vector<BatchRow>& rows) {
  std::string text;
  for (const BatchRow& r : rows) {
    for (const std::string& field : {std::to_string(r.index), r.input, r.map, r.pixels, r.seconds, r.status, std::to_string(r.rank)}) {
      text += field + '\x1f';
    }
    text += '\x1e';
  }
  return text;
}

std::vector<BatchRow> decode_rows(const std::string& text) {
  std::vector<BatchRow> rows;
  for (const std::string& line : split(text, '\x1e')) {
    const std::vector<std::string> f = split(line, '\x1f');
    if (f.size() < 7) continue;
    rows.push_back({std::stoul(f[0]), f[1], f[2], f[3], f[4], f[5], std::stoi(f[6])});
  }
  return rows;
}

std::string stem_of(const std::string& input) { return fs::path(parse_source(input).path).stem().string(); }
// STEM_map.tif (or .img for ENVI maps), and STEM_confidence (and STEM_probabilities) beside it.
std::string map_name(const std::string& input, const std::string& ext) { return stem_of(input) + "_map" + ext; }

// Rank 0: summary.csv (every input, in input order) and mosaic.vrt of the maps there are.
size_t write_batch_description(const std::vector<BatchRow>& all, const std::string& out_dir) {
  std::ostringstream summary;
  summary << "input,map,pixels,seconds,status,rank\n";
  std::vector<std::string> maps;
  for (const BatchRow& r : all) {
    summary << csv_field(r.input) << "," << csv_field(r.map) << "," << r.pixels << "," << r.seconds << "," << csv_field(r.status) << ","
            << r.rank << "\n";
    if (!r.map.empty()) maps.push_back(r.map);
  }
  if (!maps.empty()) write_vrt_mosaic((fs::path(out_dir) / "mosaic.vrt").string(), maps);
  write_text_file((fs::path(out_dir) / "summary.csv").string(), summary.str());
  return maps.size();
}

// Seamless batches: the inputs on one pixel grid joined into mosaics, each input's place in its
// mosaic, and a reader per mosaic opened when first needed.
class SeamlessInputs {
 public:
  SeamlessInputs(const std::vector<std::string>& files, bool enabled, bool report, std::ostream& log) {
    if (!enabled || files.size() < 2) return;
    const MosaicPlan plan = plan_mosaics(files);
    for (size_t g = 0; g < plan.groups.size(); ++g) {
      std::vector<std::string> paths;
      std::vector<RasterFacts> facts;
      for (size_t i : plan.groups[g]) {
        paths.push_back(files[i]);
        facts.push_back(plan.facts[i]);
      }
      mosaics_.push_back(std::make_unique<MosaicWindowSource>(paths, facts));
      for (size_t k = 0; k < plan.groups[g].size(); ++k) member_[plan.groups[g][k]] = {g, k};
      if (report) log << "seamless: " << paths.size() << " inputs share one grid; each reads its windows' halo from its neighbours" << std::endl;
    }
    if (report)
      for (const auto& [i, why] : plan.alone) log << "seamless: " << files[i] << " is classified alone (" << why << ")" << std::endl;
  }

  // The map of input i through its mosaic; false when it has none (classify it alone).
  bool predict(size_t i, Checkpoint& ck, const MapOutputs& outputs, const PredictOptions& options, PredictionStats& stats) {
    const auto it = member_.find(i);
    if (it == member_.end()) return false;
    const auto [g, k] = it->second;
    const MosaicWindowSource::Placement& p = mosaics_[g]->placement(k);
    stats = predict_to_maps(ck, *mosaics_[g], outputs, options, nullptr, Region{p.y0, p.x0, p.rows, p.cols}, &p.geo);
    return true;
  }

 private:
  std::vector<std::unique_ptr<MosaicWindowSource>> mosaics_;
  std::map<size_t, std::pair<size_t, size_t>> member_;  // input -> (mosaic, position in it)
};

}  // namespace

std::vector<std::string> expand_batch_inputs(const std::string& spec, const std::string& map_ext) {
  std::vector<std::string> files;
  if (!spec.empty() && spec[0] == '@') {
    std::ifstream list(spec.substr(1));
    if (!list) usage_error(spec.substr(1) + ": cannot open the input list");
    for (std::string line; std::getline(list, line);) {
      line = trim(line);
      if (!line.empty() && line[0] != '#') files.push_back(line);
    }
  } else {
    glob_t g;
    if (::glob(spec.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.push_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  if (files.empty()) usage_error("--inputs '" + spec + "' matches no file");
  std::map<std::string, std::string> first_with;
  for (const std::string& f : files) {
    const auto [at, fresh] = first_with.emplace(map_name(f, map_ext), f);
    if (!fresh) usage_error("--inputs: " + at->second + " and " + f + " would both be mapped to " + at->first + "; give them distinct file names");
  }
  return files;
}

BatchOutcome predict_batch(Checkpoint& ck, const std::vector<std::string>& files, const std::string& out_dir, const std::string& axis_order,
                           const PredictOptions& options, const ProcessTeam& team, std::ostream& log) {
  BatchOutcome outcome;
  outcome.inputs = files.size();
  const std::string who = team.size() > 1 ? "[rank " + std::to_string(team.rank()) + "] " : "";
  std::vector<BatchRow> rows;
  // Every rank builds the same mosaics from the input files: no messages between ranks.
  SeamlessInputs seamless(files, options.seamless, team.rank() == 0, log);
  const std::string ext = map_extension(options.format);
  for (size_t i = static_cast<size_t>(team.rank()); i < files.size() && !stop_requested(); i += static_cast<size_t>(team.size())) {
    const std::string& file = files[i];
    BatchRow row{i, file, (fs::path(out_dir) / map_name(file, ext)).string(), "", "", "", team.rank()};
    if (fs::exists(row.map)) {
      row.status = "done earlier";
      log << who << "[skip] " << file << " (" << row.map << " exists)" << std::endl;
    } else {
      try {
        // No PNG: the mosaic is the quick-look of a batch.
        const auto beside = [&](const std::string& suffix) { return (fs::path(out_dir) / (stem_of(file) + suffix + ext)).string(); };
        const MapOutputs outputs{row.map, beside("_confidence"), "", options.probabilities ? beside("_probabilities") : ""};
        PredictionStats r;
        if (!seamless.predict(i, ck, outputs, options, r)) r = predict_file(ck, file, axis_order, outputs, options);
        row.pixels = std::to_string(r.rows * r.cols);
        row.seconds = format_fixed(r.seconds, 3);
        row.status = "ok";
        log << who << file << ": " << r.rows << " x " << r.cols << " in " << row.seconds << " s" << std::endl;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::Interrupted) break;
        row.map.clear();
        row.status = std::string("failed: ") + e.what();
        std::cerr << "hsi predict: error: " << who << e.what() << "\n";
      }
    }
    rows.push_back(row);
  }
  int failed = 0;
  for (const BatchRow& r : rows) failed += r.status.rfind("failed", 0) == 0;
  outcome.failed = team.sum(failed);
  // Every rank reaches the gather, interrupted or not, so none waits for another forever.
  const std::vector<std::string> parts = team.gather(encode_rows(rows));
  if (team.rank() == 0) {
    std::vector<BatchRow> all;
    for (const std::string& part : parts) {
      const std::vector<BatchRow> some = decode_rows(part);
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end(), [](const BatchRow& a, const BatchRow& b) { return a.index < b.index; });
    outcome.classified = write_batch_description(all, out_dir);
    log << outcome.classified << " of " << files.size() << " inputs classified"
        << (team.size() > 1 ? " by " + std::to_string(team.size()) + " processes" : "") << "; " << out_dir << "/summary.csv, mosaic.vrt\n";
  }
  outcome.interrupted = stop_requested();
  return outcome;
}

}  // namespace hsi
