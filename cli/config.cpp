#include "cli/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"

namespace po = boost::program_options;

namespace hsi::cli {

po::options_description settings_options(RunSettings& s) {
  po::options_description data("[data]");
  data.add_options()
      ("data.cube", po::value(&s.data.cube), "hyperspectral cube, FILE or FILE:VARIABLE")
      ("data.labels", po::value(&s.data.labels), "ground-truth label map, FILE or FILE:VARIABLE")
      ("data.name", po::value(&s.data.name), "scene name for reports")
      ("data.axis_order", po::value(&s.data.axis_order)->default_value("rcb"), "roles of the variable's dims (MATLAB size()/HDF5 dims order)")
      ("data.unlabelled", po::value(&s.data.unlabelled)->default_value(0), "label value meaning 'no label'")
      ("data.drop_bands", po::value(&s.data.drop_bands)->default_value(""), "1-based band ranges to drop, e.g. 108-112,154-167,224")
      ("data.nan_policy", po::value(&s.data.nan_policy)->default_value("error"), "NaN/Inf in the cube: error | nodata");
  po::options_description classes("[classes]");
  classes.add_options()("classes.class", po::value(&s.classes)->composing(), "class entry 'ID NAME [#RRGGBB]' (repeat)");
  po::options_description split("[split]");
  split.add_options()
      ("split.mode", po::value(&s.split.mode)->default_value("fixed"), "fixed | fraction | external | blocks")
      ("split.per_class", po::value(&s.split.per_class)->default_value(10), "training pixels per class (fixed; cap in blocks)")
      ("split.fraction", po::value(&s.split.fraction)->default_value(0.1), "training share per class (fraction)")
      ("split.max_class_fraction", po::value(&s.split.max_class_fraction)->default_value(0.5), "most of a small class that may go to training")
      ("split.train_map", po::value(&s.split.train_map), "external training map")
      ("split.test_map", po::value(&s.split.test_map), "external test map")
      ("split.block_size", po::value(&s.split.block_size)->default_value(12), "block side in pixels (blocks)")
      ("split.block_train_fraction", po::value(&s.split.block_train_fraction)->default_value(0.3), "share of each class's blocks used for training")
      ("split.validation_fraction", po::value(&s.split.validation_fraction)->default_value(0.0), "training pixels held out for early stopping")
      ("split.load", po::value(&s.split.load), "reuse a saved split folder");
  po::options_description pre("[preprocess]");
  pre.add_options()
      ("preprocess.standardize", po::value(&s.preprocess.standardize)->default_value(true), "per-band standardisation fitted on training pixels")
      ("preprocess.pca", po::value(&s.preprocess.pca)->default_value(0), "PCA components fitted on training pixels (0 = off)");
  po::options_description model("[model]");
  model.add_options()
      ("model.name", po::value(&s.model.name)->default_value("ms2d"), "ms1d | ms2d | ms3d | cnn1d | cnn2d | cnn3d")
      ("model.patch", po::value(&s.model.patch)->default_value(9), "odd window side")
      ("model.width", po::value(&s.model.width)->default_value(32), "channels per branch")
      ("model.embedding", po::value(&s.model.embedding)->default_value(64), "feature dimension D")
      ("model.metric_dim", po::value(&s.model.metric_dim)->default_value(32), "rows K of the metric factor B")
      ("model.dropout", po::value(&s.model.dropout)->default_value(0.2), "dropout before the metric layer");
  po::options_description train("[train]");
  train.add_options()
      ("train.epochs", po::value(&s.train.epochs)->default_value(60), "epochs")
      ("train.batch_size", po::value(&s.train.batch_size)->default_value(32), "batch size")
      ("train.optimizer", po::value(&s.train.optimizer)->default_value("adam"), "adam | sgd")
      ("train.lr", po::value(&s.train.lr)->default_value(1e-3), "learning rate")
      ("train.momentum", po::value(&s.train.momentum)->default_value(0.9), "SGD momentum")
      ("train.weight_decay", po::value(&s.train.weight_decay)->default_value(1e-4), "weight decay")
      ("train.schedule", po::value(&s.train.schedule)->default_value("cosine"), "cosine | step | none")
      ("train.patience", po::value(&s.train.patience)->default_value(0), "early-stopping patience in epochs (0 = off)")
      ("train.augment", po::value(&s.train.augment)->default_value(true), "random flips/rotations of the window")
      ("train.spectral_noise", po::value(&s.train.spectral_noise)->default_value(0.0), "std of additive noise on standardised spectra")
      ("train.min_steps", po::value(&s.train.min_steps)->default_value(300), "least optimiser steps over the whole training");
  po::options_description fine("[finetune]");
  fine.add_options()
      ("finetune.enabled", po::value(&s.finetune.enabled)->default_value(false), "run the metric fine-tuning stage after pretraining")
      ("finetune.epochs", po::value(&s.finetune.epochs)->default_value(30), "epochs")
      ("finetune.lr", po::value(&s.finetune.lr)->default_value(2e-4), "learning rate")
      ("finetune.lambda", po::value(&s.finetune.lambda)->default_value(0.1), "weight of -log det K(B) (0 = plain DML)")
      ("finetune.sigma", po::value(&s.finetune.sigma)->default_value(0.0), "RBF bandwidth (0 = median pairwise squared distance)")
      ("finetune.kernel", po::value(&s.finetune.kernel)->default_value("rbf"), "rbf | cosine")
      ("finetune.beta", po::value(&s.finetune.beta)->default_value(1.0), "weight of the cross-entropy term")
      ("finetune.patience", po::value(&s.finetune.patience)->default_value(0), "early-stopping patience of fine-tuning in epochs (0 = off)")
      ("finetune.margin", po::value(&s.finetune.margin)->default_value(0.0), "contrastive margin on d_B (0 = median distance between classes at the start)")
      ("finetune.classes_per_batch", po::value(&s.finetune.classes_per_batch)->default_value(0), "classes per balanced batch (0 = all)")
      ("finetune.samples_per_class", po::value(&s.finetune.samples_per_class)->default_value(4), "samples per class per batch")
      ("finetune.classifier", po::value(&s.finetune.classifier)->default_value("softmax"), "softmax | prototype");
  po::options_description predict("[predict]");
  predict.add_options()
      ("predict.batch_size", po::value(&s.predict.batch_size)->default_value(256), "patches per batch (patch route)")
      ("predict.route", po::value(&s.predict.route)->default_value("auto"), "auto | dense | patch")
      ("predict.tile", po::value(&s.predict.tile)->default_value(0), "tile side (0 = from predict.ram_mb)")
      ("predict.ram_mb", po::value(&s.predict.ram_mb)->default_value(512), "memory budget in MB of the prediction tiles");
  po::options_description general("general");
  general.add_options()
      ("seed", po::value(&s.seed)->default_value(0), "random seed (split, initialisation, batches)")
      ("threads", po::value(&s.threads)->default_value(0), "threads (0 = all cores)");
  po::options_description all;
  all.add(general).add(data).add(classes).add(split).add(pre).add(model).add(train).add(fine).add(predict);
  return all;
}

namespace {

// Boost.Program_options builds its error messages by substituting "%name%" placeholders and
// loops forever when the offending text itself contains one (found by fuzzing): such text is
// refused before Boost sees it.
bool has_placeholder(const std::string& text) {
  for (size_t a = text.find('%'); a != std::string::npos; a = text.find('%', a + 1)) {
    size_t b = a + 1;
    while (b < text.size() && (std::isalpha(static_cast<unsigned char>(text[b])) || text[b] == '_')) ++b;
    if (b < text.size() && b > a + 1 && text[b] == '%') return true;
  }
  return false;
}

// Checks the INI syntax line by line so that every error names the line: [section] with a
// plain name, or key = value with a plain key; comments and blank lines.
std::string checked_ini_text(std::istream& in, const std::string& name) {
  std::string text, line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string t = trim(line);
    const std::string where = name + ": line " + std::to_string(number) + ": ";
    if (t.empty() || t[0] == '#' || t[0] == ';') {
      text += "\n";
      continue;
    }
    if (has_placeholder(t)) throw Error(ErrorKind::Usage, where + "'%...%' sequences are not allowed");
    auto plain = [](const std::string& key) {
      return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
    };
    if (t[0] == '[') {
      if (t.back() != ']' || !plain(trim(t.substr(1, t.size() - 2)))) throw Error(ErrorKind::Usage, where + "bad section header");
    } else {
      const size_t eq = t.find('=');
      if (eq == std::string::npos) throw Error(ErrorKind::Usage, where + "expected 'key = value'");
      if (!plain(trim(t.substr(0, eq)))) throw Error(ErrorKind::Usage, where + "bad key '" + trim(t.substr(0, eq)).substr(0, 40) + "'");
    }
    text += line + "\n";
  }
  return text;
}

}  // namespace

void refuse_placeholders(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (has_placeholder(a)) throw Error(ErrorKind::Usage, "argument '" + a.substr(0, 60) + "': '%...%' sequences are not allowed");
  }
}

void store_ini(std::istream& in, const std::string& name, const po::options_description& settings, po::variables_map& vm) {
  std::istringstream checked(checked_ini_text(in, name));
  try {
    po::store(po::parse_config_file(checked, settings, /*allow_unregistered=*/false), vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, name + ": " + e.what());
  }
}

RunSettings settings_from_ini(std::istream& in, const std::string& name) {
  RunSettings s;
  po::variables_map vm;
  store_ini(in, name, settings_options(s), vm);
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, name + ": " + e.what());
  }
  s.config_file = name;
  s.validate();
  s.config_text = describe_settings(vm);
  return s;
}

bool parse_settings(const std::vector<std::string>& args, const std::string& usage,
                    const po::options_description& verb_options, const po::positional_options_description& positional,
                    RunSettings& s, po::variables_map& vm) {
  po::options_description config_opt;
  config_opt.add_options()("config", po::value(&s.config_file), "INI file with the settings below");
  po::options_description settings = settings_options(s);
  po::options_description cmdline(usage);
  cmdline.add(verb_options).add(config_opt).add(settings);
  refuse_placeholders(args);
  try {
    po::store(po::command_line_parser(args).options(cmdline).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << cmdline << "\n";
      return false;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) throw Error(ErrorKind::Usage, path + ": cannot open the config file");
      // Stored after the command line, so command-line values win.
      store_ini(in, path, settings, vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(ErrorKind::Usage, e.what());
  }
  s.validate();
  s.config_text = describe_settings(vm);
  return true;
}

std::string describe_settings(const po::variables_map& vm) {
  std::ostringstream out;
  for (const auto& [key, value] : vm) {
    if (key == "help" || key == "config") continue;
    const boost::any& v = value.value();
    out << key << " = ";
    if (auto p = boost::any_cast<std::string>(&v)) out << *p;
    else if (auto p = boost::any_cast<int>(&v)) out << *p;
    else if (auto p = boost::any_cast<int64_t>(&v)) out << *p;
    else if (auto p = boost::any_cast<double>(&v)) out << *p;
    else if (auto p = boost::any_cast<bool>(&v)) out << (*p ? "true" : "false");
    else if (auto p = boost::any_cast<std::vector<std::string>>(&v)) {
      for (size_t i = 0; i < p->size(); ++i) out << (i ? " ; " : "") << (*p)[i];
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace hsi::cli
