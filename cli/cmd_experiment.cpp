// hsi experiment: split -> train -> predict -> evaluate repeated over seeds, models and split
// protocols, aggregated into one table per protocol (Markdown, LaTeX, CSV). Each finished run
// leaves a result line in its folder, so an interrupted experiment resumes where it stopped.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/runtime.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/text.hpp"
#include "eval/aggregate.hpp"
#include "pipeline/run.hpp"
#include "pipeline/scene.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hsi::cli {
namespace {

// "ms2d", "ms2d+dml" (metric fine-tuning, lambda = 0), "ms2d+dpp" (with the DPP prior).
RunSettings settings_for_model(RunSettings s, const std::string& spec) {
  const size_t plus = spec.find('+');
  s.model.name = spec.substr(0, plus);
  if (plus != std::string::npos) {
    const std::string variant = spec.substr(plus + 1);
    s.finetune.enabled = true;
    if (variant == "dml") s.finetune.lambda = 0.0;
    else if (variant == "dpp") s.finetune.lambda = s.finetune.lambda > 0 ? s.finetune.lambda : 0.1;
    else usage_error("--models: unknown variant '+" + variant + "' in '" + spec + "' (use +dml or +dpp)");
  } else {
    s.finetune.enabled = false;
  }
  s.validate();
  return s;
}

// "fixed:5", "fixed:10", "fraction:0.05", "blocks", "blocks:10" (at most 10 per class).
RunSettings settings_for_split(RunSettings s, const std::string& spec) {
  const size_t colon = spec.find(':');
  s.split.mode = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  try {
    if (s.split.mode == "fixed" || s.split.mode == "blocks") {
      if (!arg.empty()) s.split.per_class = std::stoi(arg);
    } else if (s.split.mode == "fraction") {
      if (!arg.empty()) s.split.fraction = std::stod(arg);
    } else if (s.split.mode != "external") {
      usage_error("--splits: unknown protocol '" + spec + "'");
    }
  } catch (const std::logic_error&) {
    usage_error("--splits: bad number in '" + spec + "'");
  }
  s.validate();
  return s;
}

std::string safe_name(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  }
  return s;
}

}  // namespace

int run_experiment(const std::vector<std::string>& args) {
  RunSettings base;
  std::string models_text, splits_text, out;
  int runs = 5, first_seed = 0;
  po::options_description verb("experiment");
  verb.add_options()("help,h", "show this help")("out", po::value(&out), "experiment folder")(
      "runs", po::value(&runs)->default_value(5), "seeds per model and protocol")(
      "first-seed", po::value(&first_seed)->default_value(0), "seeds are first-seed .. first-seed + runs - 1")(
      "models", po::value(&models_text)->default_value("ms2d"), "comma list: ms1d, ms2d, cnn2d, ms2d+dml, ms2d+dpp, ...")(
      "splits", po::value(&splits_text)->default_value("fixed:10"), "comma list: fixed:N, fraction:P, blocks[:N], external");
  po::variables_map vm;
  if (!parse_settings(args, "hsi experiment --config SCENE.ini --runs N --models a,b --splits fixed:5,blocks --out DIR", verb, {}, base, vm)) return 0;
  if (out.empty()) usage_error("--out DIR is required");
  if (runs < 1) usage_error("--runs must be at least 1");
  const std::vector<std::string> models = split(models_text, ',');
  const std::vector<std::string> splits = split(splits_text, ',');
  // Every combination is validated before any data is read.
  for (const auto& m : models) settings_for_model(base, m);
  for (const auto& sp : splits) settings_for_split(base, sp);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) output_error(out, "cannot create the experiment folder");
  check_writable_target((fs::path(out) / "probe").string());
  configure_threads(base.threads);
  const Scene scene = load_scene(base);
  std::map<int32_t, std::string> names;
  for (const auto& c : scene.classes.classes()) names[c.id] = c.name;

  std::vector<RunSummary> summaries;
  for (const auto& sp : splits) {
    for (const auto& m : models) {
      for (int seed = first_seed; seed < first_seed + runs; ++seed) {
        const fs::path dir = fs::path(out) / "runs" / safe_name(m + "_" + sp + "_seed" + std::to_string(seed));
        const fs::path done = dir / "result.tsv";
        if (fs::exists(done)) {
          std::ifstream in(done);
          std::string line;
          std::getline(in, line);
          summaries.push_back(RunSummary::from_line(line, done.string()));
          std::cout << "[skip] " << m << " " << sp << " seed " << seed << " (done: OA " << format_fixed(summaries.back().overall, 4) << ")\n";
          continue;
        }
        RunSettings s = settings_for_split(settings_for_model(base, m), sp);
        s.seed = seed;
        s.out = dir.string();
        fs::create_directories(dir, ec);
        const auto t0 = std::chrono::steady_clock::now();
        RunOptions options;
        options.verbose = false;
        const RunResult result = run_training(scene, s, options);
        if (result.interrupted || stop_requested()) {
          std::cerr << "hsi experiment: interrupted; rerun the same command to continue\n";
          return 130;
        }
        RunSummary summary;
        summary.model = m;
        summary.split = sp;
        summary.seed = seed;
        summary.overall = result.accuracy.overall;
        summary.average = result.accuracy.average;
        summary.kappa = result.accuracy.kappa;
        summary.diversity = s.finetune.enabled ? result.diversity : -1;
        summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (const auto& c : result.accuracy.per_class) {
          if (c.reference > 0) summary.class_accuracy[c.id] = c.producer;
        }
        write_text_file(done.string(), summary.to_line() + "\n");
        summaries.push_back(summary);
        std::cout << m << " " << sp << " seed " << seed << ": OA " << format_fixed(summary.overall, 4) << " AA "
                  << format_fixed(summary.average, 4) << " kappa " << format_fixed(summary.kappa, 4) << " ("
                  << format_fixed(summary.seconds, 1) << " s)" << std::endl;
      }
    }
  }
  std::ostringstream md, tex, csv;
  md << "# " << scene.name << ": " << runs << " runs per cell (seeds " << first_seed << ".." << first_seed + runs - 1
     << "), mean ± std\n\n";
  for (const auto& sp : splits) {
    const AggregateTable table = aggregate(summaries, sp, models, names);
    md << "## " << sp << "\n\n" << table_markdown(table) << "\n";
    tex << table_latex(table) << "\n";
    csv << "# " << sp << "\n" << table_csv(table) << "\n";
  }
  write_text_file((fs::path(out) / "table.md").string(), md.str());
  write_text_file((fs::path(out) / "table.tex").string(), tex.str());
  write_text_file((fs::path(out) / "table.csv").string(), csv.str());
  std::cout << "\n" << md.str() << "tables written to " << out << "/table.{md,tex,csv}\n";
  return 0;
}

}  // namespace hsi::cli
