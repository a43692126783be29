#include "pipeline/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/version.hpp"
#include "pipeline/prototypes.hpp"
#include "pipeline/settings.hpp"

namespace hsi {
namespace {

constexpr const char* kMagic = "hsi-checkpoint 1";

torch::Tensor to_tensor(const std::vector<double>& v) {
  return torch::tensor(torch::ArrayRef<double>(v.data(), v.size()), torch::kDouble).clone();
}

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Full precision: a resumed loop compares validation OA against the stored best exactly.
std::string exact(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

void encode_progress(std::ostream& m, const StageProgress& p) {
  m << "best_epoch=" << p.best_epoch << "\nbest_validation_oa=" << exact(p.best_validation_oa)
    << "\nepochs_without_gain=" << p.epochs_without_gain << "\nstage_done=" << (p.done ? 1 : 0) << "\n";
  for (const auto& [name, value] : p.constants) m << "stage_constant=" << name << ":" << exact(value) << "\n";
}

// Checkpoints written before the loop's state was stored resume with a fresh best and patience.
StageProgress decode_progress(const std::map<std::string, std::string>& kv, const std::vector<std::string>& constants,
                              const CheckpointInfo& info) {
  StageProgress p;
  p.stage = info.stage;
  p.epoch = info.epoch;
  p.done = info.stage_done;
  if (kv.count("best_epoch")) p.best_epoch = std::stoi(kv.at("best_epoch"));
  if (kv.count("best_validation_oa")) p.best_validation_oa = std::stod(kv.at("best_validation_oa"));
  if (kv.count("epochs_without_gain")) p.epochs_without_gain = std::stoi(kv.at("epochs_without_gain"));
  for (const std::string& entry : constants) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("stage constant without a value");
    p.constants[entry.substr(0, colon)] = std::stod(entry.substr(colon + 1));
  }
  return p;
}

std::string encode_meta(const Checkpoint& c) {
  std::ostringstream m;
  const NetOptions& n = c.net_options;
  m << kMagic << "\n"
    << "hsi_version=" << kVersion << " " << git_hash() << "\n"
    << "torch_version=" << TORCH_VERSION << "\n"
    << "scene=" << c.scene << "\n"
    << "model=" << n.name << "\nin_bands=" << n.in_bands << "\npatch=" << n.patch << "\nwidth=" << n.width
    << "\nembedding=" << n.embedding << "\nmetric_dim=" << n.metric_dim << "\nclasses=" << n.classes
    << "\ndropout=" << n.dropout << "\n"
    << "stage=" << c.progress.stage << "\nclassifier=" << c.classifier << "\nepoch=" << c.progress.epoch
    << "\nvalidation_oa=" << c.validation_oa << "\n"
    << "pre_input_bands=" << c.preprocessor.input_bands() << "\npre_pca=" << (c.preprocessor.pca_basis().empty() ? 0 : c.preprocessor.output_bands()) << "\n";
  encode_progress(m, c.progress);
  if (c.svm) m << "svm_c=" << exact(c.svm->c()) << "\nsvm_gamma=" << exact(c.svm->gamma()) << "\n";
  for (const auto& line : c.selection) m << "selection=" << line << "\n";
  m << "open_set=" << c.open_set << "\nopen_set_accept=" << exact(c.open_set_accept) << "\n";
  for (const auto& [rule, threshold] : c.open_set_thresholds) m << "open_set_threshold=" << rule << ":" << exact(threshold) << "\n";
  for (const auto& cls : c.classes.classes()) m << "class=" << cls.id << "|" << cls.name << "|" << colour_hex(cls.rgb) << "\n";
  std::istringstream settings(c.settings_text);
  for (std::string line; std::getline(settings, line);) m << "setting=" << line << "\n";
  return m.str();
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c, torch::optim::Optimizer* optimizer) {
  AtomicOutput out(path);
  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(encode_meta(c)));
  const Preprocessor& p = c.preprocessor;
  const std::vector<int> kept_bands = p.kept_bands();
  const std::vector<double> kept(kept_bands.begin(), kept_bands.end());
  archive.write("pre.kept", to_tensor(kept));
  archive.write("pre.mean", to_tensor(p.mean()));
  archive.write("pre.scale", to_tensor(p.scale()));
  archive.write("pre.basis", to_tensor(p.pca_basis()));
  if (c.prototypes.defined()) archive.write("prototypes", c.prototypes.detach().clone());
  if (c.prototype_counts.defined()) archive.write("prototype_counts", c.prototype_counts.detach().clone());
  if (c.metric_precision.defined()) archive.write("metric_precision", c.metric_precision.detach().clone());
  if (c.exemplars.defined()) {
    archive.write("exemplars", c.exemplars.detach().clone());
    archive.write("exemplar_classes", c.exemplar_classes.detach().clone());
  }
  if (c.svm) {
    const SvmModel::State st = c.svm->state();
    const auto as_double = [](const std::vector<int64_t>& v) { return to_tensor(std::vector<double>(v.begin(), v.end())); };
    archive.write("svm.trained_classes", as_double(st.trained_classes));
    archive.write("svm.sv_counts", as_double(st.sv_counts));
    archive.write("svm.support_vectors", st.support_vectors);
    archive.write("svm.coefficients", st.coefficients);
    archive.write("svm.rho", st.rho);
  } else if (c.unmixing) {
    const UnmixingModel::State st = c.unmixing->state();
    archive.write("unmix.trained_classes", to_tensor(std::vector<double>(st.trained_classes.begin(), st.trained_classes.end())));
    archive.write("unmix.counts", to_tensor(std::vector<double>(st.counts.begin(), st.counts.end())));
    archive.write("unmix.endmembers", st.endmembers);
    archive.write("unmix.origin", st.origin);
  } else {
    torch::serialize::OutputArchive model;
    c.net->save(model);
    archive.write("model", model);
  }
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
  }
  // Serialised in memory first: LibTorch's file writer reports a failed write (a full disk) from
  // a destructor, which ends the process; here every write is checked and fails as one line,
  // with the previous checkpoint left intact under its name.
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    output_error(path, std::string("cannot serialise the checkpoint: ") + e.what_without_backtrace());
  }
  write_bytes_checked(out.temp_path(), bytes.str(), path);
  out.commit();
}

namespace {

struct RawMeta {
  std::map<std::string, std::string> kv;
  std::vector<std::string> classes, settings, constants, selection, thresholds;
};

RawMeta read_meta(const std::string& path, torch::serialize::InputArchive& archive) {
  if (!std::filesystem::exists(path)) data_error(path, "checkpoint not found");
  c10::IValue meta_value;
  try {
    archive.load_from(path);
    archive.read("meta", meta_value);
  } catch (const c10::Error&) {
    data_error(path, "not an hsi checkpoint (unreadable, truncated or another kind of file)");
  }
  if (!meta_value.isString()) data_error(path, "not an hsi checkpoint (no metadata)");
  std::istringstream meta(meta_value.toStringRef());
  std::string first;
  std::getline(meta, first);
  if (first != kMagic) data_error(path, "not an hsi checkpoint (found '" + first.substr(0, 40) + "')");
  RawMeta raw;
  for (std::string line; std::getline(meta, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "class") raw.classes.push_back(value);
    else if (key == "setting") raw.settings.push_back(value);
    else if (key == "stage_constant") raw.constants.push_back(value);
    else if (key == "selection") raw.selection.push_back(value);
    else if (key == "open_set_threshold") raw.thresholds.push_back(value);
    else raw.kv[key] = value;
  }
  return raw;
}

// The fields peek_checkpoint and load_checkpoint both read.
CheckpointInfo info_from(const RawMeta& raw, const std::string& path) {
  CheckpointInfo info;
  try {
    info.model = raw.kv.at("model");
    info.stage = raw.kv.at("stage");
    info.classifier = raw.kv.at("classifier");
    info.epoch = std::stoi(raw.kv.at("epoch"));
    info.stage_done = raw.kv.count("stage_done") && raw.kv.at("stage_done") == "1";
    info.validation_oa = std::stod(raw.kv.at("validation_oa"));
  } catch (const std::exception&) {
    data_error(path, "checkpoint metadata is incomplete");
  }
  auto optional = [&](const char* key) { return raw.kv.count(key) ? raw.kv.at(key) : std::string(); };
  info.scene = optional("scene");
  info.hsi_version = optional("hsi_version");
  return info;
}

SvmModel read_svm(torch::serialize::InputArchive& archive, const std::map<std::string, std::string>& kv, const NetOptions& n) {
  SvmModel::State st;
  st.classes = n.classes;
  st.dims = n.in_bands;
  st.c = std::stod(kv.at("svm_c"));
  st.gamma = std::stod(kv.at("svm_gamma"));
  torch::Tensor trained, counts;
  archive.read("svm.trained_classes", trained);
  archive.read("svm.sv_counts", counts);
  archive.read("svm.support_vectors", st.support_vectors);
  archive.read("svm.coefficients", st.coefficients);
  archive.read("svm.rho", st.rho);
  for (double v : to_vector(trained)) st.trained_classes.push_back(static_cast<int64_t>(v));
  for (double v : to_vector(counts)) st.sv_counts.push_back(static_cast<int64_t>(v));
  return SvmModel::restore(st);  // std::invalid_argument on an inconsistent state: "damaged"
}

UnmixingModel read_unmixing(torch::serialize::InputArchive& archive, const NetOptions& n) {
  UnmixingModel::State st;
  st.classes = n.classes;
  st.dims = n.in_bands;
  torch::Tensor trained, counts;
  archive.read("unmix.trained_classes", trained);
  archive.read("unmix.counts", counts);
  archive.read("unmix.endmembers", st.endmembers);
  archive.read("unmix.origin", st.origin);
  for (double v : to_vector(trained)) st.trained_classes.push_back(static_cast<int64_t>(v));
  for (double v : to_vector(counts)) st.counts.push_back(static_cast<int64_t>(v));
  return UnmixingModel::restore(st);  // std::invalid_argument on an inconsistent state: "damaged"
}

}  // namespace

std::map<std::string, std::string> stored_settings(const std::string& settings_text) {
  std::map<std::string, std::string> out;
  std::istringstream lines(settings_text);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

CheckpointInfo peek_checkpoint(const std::string& path) {
  torch::serialize::InputArchive archive;
  return info_from(read_meta(path, archive), path);
}

Checkpoint load_checkpoint(const std::string& path) {
  torch::serialize::InputArchive archive;
  const RawMeta raw = read_meta(path, archive);
  const std::map<std::string, std::string>& kv = raw.kv;
  const CheckpointInfo info = info_from(raw, path);
  Checkpoint c;
  c.classifier = info.classifier;
  c.validation_oa = info.validation_oa;
  c.scene = info.scene;
  c.hsi_version = info.hsi_version;
  try {
    c.progress = decode_progress(kv, raw.constants, info);
    ModelSettings model_settings;
    model_settings.name = info.model;
    model_settings.patch = std::stoi(kv.at("patch"));
    model_settings.width = std::stoi(kv.at("width"));
    model_settings.embedding = std::stoi(kv.at("embedding"));
    model_settings.metric_dim = std::stoi(kv.at("metric_dim"));
    model_settings.dropout = std::stod(kv.at("dropout"));
    const NetOptions& n = c.net_options = model_settings.net_options(std::stoi(kv.at("in_bands")), std::stoi(kv.at("classes")));
    c.classes = ClassTable::parse(raw.classes, path);
    for (const auto& s : raw.settings) c.settings_text += s + "\n";
    torch::Tensor kept, mean, scale, basis;
    archive.read("pre.kept", kept);
    archive.read("pre.mean", mean);
    archive.read("pre.scale", scale);
    archive.read("pre.basis", basis);
    std::vector<int> kept_bands;
    for (double v : to_vector(kept)) kept_bands.push_back(static_cast<int>(v));
    c.preprocessor = Preprocessor::restore(std::stoi(kv.at("pre_input_bands")), kept_bands, to_vector(mean), to_vector(scale),
                                           std::stoi(kv.at("pre_pca")), to_vector(basis));
    // Enrolled classes (hsi enrol) lengthen the class table past the softmax head.
    if (c.preprocessor.output_bands() != n.in_bands || static_cast<int>(c.classes.size()) < n.classes ||
        (c.enrolled_classes() > 0 && (!n.network() || c.classifier == "softmax"))) {
      data_error(path, "checkpoint is inconsistent (preprocessing, model and class table disagree)");
    }
    c.selection = raw.selection;
    if (kv.count("open_set")) c.open_set = kv.at("open_set");
    if (std::find(open_set_rules().begin(), open_set_rules().end(), c.open_set) == open_set_rules().end()) {
      data_error(path, "checkpoint names an unknown open-set rule '" + c.open_set + "'");
    }
    if (kv.count("open_set_accept")) c.open_set_accept = std::stod(kv.at("open_set_accept"));
    for (const std::string& entry : raw.thresholds) {
      const size_t colon = entry.find(':');
      if (colon == std::string::npos) throw std::invalid_argument("open-set threshold without a value");
      c.open_set_thresholds[entry.substr(0, colon)] = std::stod(entry.substr(colon + 1));
    }
    if (n.network()) {
      c.net = make_hsi_net(n);
      torch::serialize::InputArchive model;
      archive.read("model", model);
      c.net->load(model);
    } else if (n.form() == NetForm::Unmixing) {
      c.unmixing = std::make_shared<const UnmixingModel>(read_unmixing(archive, n));
    } else {
      c.svm = std::make_shared<const SvmModel>(read_svm(archive, kv, n));
    }
    torch::Tensor prototypes;
    if (archive.try_read("prototypes", prototypes)) c.prototypes = prototypes;
    torch::Tensor counts;
    if (archive.try_read("prototype_counts", counts)) c.prototype_counts = counts;
    torch::Tensor precision;
    if (archive.try_read("metric_precision", precision)) {
      if (precision.dim() != 2 || precision.size(0) != n.metric_dim || precision.size(1) != n.metric_dim) {
        data_error(path, "checkpoint is inconsistent (metric precision and metric size disagree)");
      }
      c.metric_precision = precision;
    }
    if (c.prototypes.defined() && (c.prototypes.dim() != 2 || c.prototypes.size(0) != static_cast<int64_t>(c.classes.size()) ||
                                   c.prototypes.size(1) != n.metric_dim ||
                                   (counts.defined() && counts.numel() != c.prototypes.size(0)))) {
      data_error(path, "checkpoint is inconsistent (prototypes and class table disagree)");
    }
    torch::Tensor exemplars, exemplar_classes;
    if (archive.try_read("exemplars", exemplars) && archive.try_read("exemplar_classes", exemplar_classes)) {
      const torch::Tensor owners = exemplar_classes.to(torch::kLong).contiguous();
      const bool consistent = exemplars.dim() == 2 && exemplars.size(1) == n.metric_dim && owners.dim() == 1 && owners.size(0) == exemplars.size(0) &&
                              (owners.numel() == 0 ||
                               (owners.min().item<int64_t>() >= 0 && owners.max().item<int64_t>() < static_cast<int64_t>(c.classes.size())));
      if (!consistent) data_error(path, "checkpoint is inconsistent (exemplars, metric size and class table disagree)");
      c.exemplars = exemplars.to(torch::kFloat).contiguous();
      c.exemplar_classes = owners;
    }
    if (c.enrolled_classes() > 0 && !c.prototypes.defined()) data_error(path, "checkpoint is inconsistent (enrolled classes without prototypes)");
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    data_error(path, std::string("checkpoint is damaged: ") + e.what_without_backtrace());
  } catch (const std::out_of_range&) {
    data_error(path, "checkpoint metadata is incomplete");
  } catch (const std::exception& e) {
    data_error(path, std::string("checkpoint is damaged: ") + e.what());
  }
  return c;
}

bool load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt)) return false;
    optimizer.load(opt);
    return true;
  } catch (const c10::Error& e) {
    data_error(path, std::string("cannot restore the optimiser state: ") + e.what_without_backtrace());
  }
}

}  // namespace hsi
