#include "pipeline/open_set_experiment.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "eval/open_set.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/run.hpp"

namespace fs = std::filesystem;

namespace hsi {
namespace {

const std::vector<std::string> kRules = {"softmax", "distance", "mahalanobis"};

// One rule's figures for one model, seed and left-out class.
struct RuleFigures {
  double auroc = 0, known_oa = 0, unseen_flagged = 0;
};

struct LeaveOneOut {
  std::string model, split;
  int seed = 0;
  int32_t left_out = 0;
  std::map<std::string, RuleFigures> rules;

  std::string to_lines() const {
    std::ostringstream o;
    for (const auto& [rule, f] : rules)
      o << model << "\t" << split << "\t" << seed << "\t" << left_out << "\t" << rule << "\t" << format_fixed(f.auroc, 6) << "\t"
        << format_fixed(f.known_oa, 6) << "\t" << format_fixed(f.unseen_flagged, 6) << "\n";
    return o.str();
  }
  static LeaveOneOut from_file(const std::string& path) {
    std::ifstream in(path);
    LeaveOneOut r;
    for (std::string line; std::getline(in, line);) {
      const std::vector<std::string> f = hsi::split(line, '\t');
      if (f.size() != 8) data_error(path, "not an open-set result file (delete it to rerun that run)");
      r.model = f[0];
      r.split = f[1];
      r.seed = std::stoi(f[2]);
      r.left_out = std::stoi(f[3]);
      r.rules[f[4]] = {std::stod(f[5]), std::stod(f[6]), std::stod(f[7])};
    }
    if (r.rules.size() != kRules.size()) data_error(path, "open-set result file is incomplete (delete it to rerun that run)");
    return r;
  }
};

// The scene without one class: its pixels unlabelled, the class out of the table.
Scene without_class(const Scene& scene, int32_t id) {
  Scene reduced = scene;
  for (int32_t& label : reduced.labels.labels)
    if (label == id) label = 0;
  std::vector<ClassInfo> kept;
  for (const auto& c : scene.classes.classes())
    if (c.id != id) kept.push_back(c);
  reduced.classes = ClassTable(kept);
  return reduced;
}

LeaveOneOut run_one(const Scene& scene, const RunSettings& base, const std::string& model, const std::string& split_entry, int seed,
                    int32_t left_out, const std::string& out, std::ostream& log, bool& interrupted) {
  const fs::path dir = run_folder(out, "open_" + model + "_" + split_entry + "_without" + std::to_string(left_out) + "_seed" + std::to_string(seed));
  const fs::path done = dir / "open_set.tsv";
  if (fs::exists(done)) return LeaveOneOut::from_file(done.string());
  RunSettings s = settings_for_split(open_set_settings(base, model), split_entry);
  s.seed = seed;
  s.out = dir.string();
  s.open_set.rule = "none";
  std::error_code ec;
  fs::create_directories(dir, ec);
  RunOptions options;
  options.verbose = false;
  options.write_maps = false;
  const Scene reduced = without_class(scene, left_out);
  const RunResult trained = run_training(reduced, s, options);
  LeaveOneOut r{model, split_entry, seed, left_out, {}};
  if (trained.interrupted || stop_requested()) {
    interrupted = true;
    return r;
  }
  Checkpoint ck = load_checkpoint((dir / "best.ckpt").string());
  const int32_t unknown = unknown_class_id(ck.classes);
  for (const std::string& rule : kRules) {
    PredictOptions po;
    static_cast<PredictSettings&>(po) = s.predict;
    po.nan_policy = s.data.nan_policy;
    po.progress = false;
    po.unknown = rule;
    const ScenePrediction p = predict_cube(ck, scene.cube, &scene.nodata, po);
    std::vector<float> known, unseen;
    int64_t known_right = 0, unseen_flagged = 0;
    for (size_t i = 0; i < p.ids.size(); ++i) {
      if (scene.nodata.size() && scene.nodata[i]) continue;
      if (trained.split.test[i] != 0) {
        known.push_back(p.novelty[i]);
        known_right += p.ids[i] == trained.split.test[i];
      } else if (scene.labels.labels[i] == left_out) {
        unseen.push_back(p.novelty[i]);
        unseen_flagged += p.ids[i] == unknown;
      }
    }
    RuleFigures& f = r.rules[rule];
    f.auroc = auroc(known, unseen);
    f.known_oa = known.empty() ? 0 : static_cast<double>(known_right) / static_cast<double>(known.size());
    f.unseen_flagged = unseen.empty() ? 0 : static_cast<double>(unseen_flagged) / static_cast<double>(unseen.size());
  }
  write_text_file(done.string(), r.to_lines());
  // The figures as the file keeps them (6 decimals), so a rerun that reads them back makes the
  // same table to the last digit.
  r = LeaveOneOut::from_file(done.string());
  log << model << " " << split_entry << " seed " << seed << " without " << left_out << ": AUROC softmax " << format_fixed(r.rules["softmax"].auroc, 4)
      << ", distance " << format_fixed(r.rules["distance"].auroc, 4) << ", mahalanobis " << format_fixed(r.rules["mahalanobis"].auroc, 4) << std::endl;
  return r;
}

}  // namespace

RunSettings open_set_settings(const RunSettings& base, const std::string& model_entry) {
  RunSettings s = settings_for_model(base, model_entry);
  if (learns_no_metric(s.model.name)) usage_error("--open-set: '" + model_entry + "': " + s.model.name + " has no rejection rule; list networks");
  if (s.model.name == "auto") s.select.candidates = network_candidates(s.select.candidates, s.select.fallback, "--open-set: '" + model_entry + "'");
  return s;
}

ExperimentResult run_open_set_experiment(const Scene& scene, const RunSettings& base, const ExperimentPlan& plan, std::ostream& log) {
  ExperimentResult result;
  for (const auto& m : plan.models) {
    const RunSettings s = open_set_settings(base, m);
    if (s.model.name == "auto")
      log << m << ": chooses among the networks of select.candidates (" << s.select.candidates << "), the models with rejection rules\n";
  }
  if (scene.classes.size() < 3) usage_error("--open-set needs at least three classes (two stay known when one is left out)");
  std::vector<LeaveOneOut> runs;
  for (const auto& sp : plan.splits)
    for (const auto& m : plan.models)
      for (int seed = plan.first_seed; seed < plan.first_seed + plan.runs; ++seed)
        for (const auto& c : scene.classes.classes()) {
          runs.push_back(run_one(scene, base, m, sp, seed, c.id, plan.out, log, result.interrupted));
          if (result.interrupted) return result;
        }

  std::ostringstream md, csv;
  md << "# " << scene.name << ": open set, leave one class out (" << seeds_text(plan) << ")\n\n"
     << "AUROC: telling the left-out class's pixels from the known test pixels by the rule's novelty score. Known OA: the known test "
        "pixels after rejection (rejected = wrong). Unseen flagged: share of the left-out class mapped unknown at the threshold "
        "calibrated to accept "
     << format_fixed(100 * base.open_set.accept, 1) << " % of held-out known pixels. Mean ± std over seeds of the mean over left-out classes.\n\n";
  csv << "split,model,rule,left_out,seed,auroc,known_oa,unseen_flagged\n";
  for (const auto& sp : plan.splits) {
    md << "## " << sp << "\n\n| model | rule | mean AUROC | weakest class AUROC | known OA | unseen flagged |\n|---|---|---|---|---|---|\n";
    std::ostringstream per_class;
    per_class << "\n| left-out class |";
    for (const auto& m : plan.models)
      for (const auto& rule : kRules) per_class << " " << m << " " << rule << " |";
    per_class << "\n|---|";
    for (size_t k = 0; k < plan.models.size() * kRules.size(); ++k) per_class << "---|";
    per_class << "\n";
    std::map<std::pair<std::string, std::string>, std::map<int32_t, MeanStd>> class_auroc;
    for (const auto& m : plan.models) {
      for (const auto& rule : kRules) {
        std::map<int, std::vector<double>> auroc_by_seed, oa_by_seed, flagged_by_seed;
        std::map<int32_t, std::vector<double>> by_class;
        for (const auto& r : runs) {
          if (r.model != m || r.split != sp) continue;
          const RuleFigures& f = r.rules.at(rule);
          auroc_by_seed[r.seed].push_back(f.auroc);
          oa_by_seed[r.seed].push_back(f.known_oa);
          flagged_by_seed[r.seed].push_back(f.unseen_flagged);
          by_class[r.left_out].push_back(f.auroc);
          csv << sp << "," << m << "," << rule << "," << r.left_out << "," << r.seed << "," << format_fixed(f.auroc, 4) << ","
              << format_fixed(f.known_oa, 4) << "," << format_fixed(f.unseen_flagged, 4) << "\n";
        }
        const auto over_seeds = [](const std::map<int, std::vector<double>>& by_seed) {
          std::vector<double> means;
          for (const auto& [seed, values] : by_seed) means.push_back(mean_std(values).mean);
          return mean_std(means);
        };
        double weakest = 1;
        int32_t weakest_id = 0;
        for (const auto& [id, values] : by_class) {
          class_auroc[{m, rule}][id] = mean_std(values);
          if (mean_std(values).mean <= weakest) weakest = mean_std(values).mean, weakest_id = id;
        }
        const int at = scene.classes.index_of(weakest_id);
        md << "| " << m << " | " << rule << " | " << mean_std_text(over_seeds(auroc_by_seed)) << " | " << format_fixed(weakest, 4) << " ("
           << (at >= 0 ? scene.classes.at(static_cast<size_t>(at)).name : std::to_string(weakest_id)) << ") | " << mean_std_text(over_seeds(oa_by_seed))
           << " | " << mean_std_text(over_seeds(flagged_by_seed)) << " |\n";
      }
    }
    for (const auto& c : scene.classes.classes()) {
      per_class << "| " << c.name << " |";
      for (const auto& m : plan.models)
        for (const auto& rule : kRules) per_class << " " << mean_std_text(class_auroc[{m, rule}][c.id]) << " |";
      per_class << "\n";
    }
    md << "\nAUROC per left-out class (mean ± std over seeds):\n" << per_class.str() << "\n";
  }
  write_text_file((fs::path(plan.out) / "open_set.md").string(), md.str());
  write_text_file((fs::path(plan.out) / "open_set.csv").string(), csv.str());
  result.markdown = md.str();
  return result;
}

}  // namespace hsi
