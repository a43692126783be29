#pragma once
// Everything a run is made of, as plain values. The CLI fills these from the INI file and the
// command line (sections [data] [classes] [split] [preprocess] [model] [train] [finetune]
// [predict] [output], keys as `--section.key`); validate() checks them before any I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "models/net_options.hpp"

namespace hsi {

struct DataSettings {
  std::string cube;    // FILE[:VARIABLE]
  std::string labels;  // FILE[:VARIABLE]
  std::string axis_order = "rcb";
  int unlabelled = 0;
  // Class ids whose pixels count as unlabelled ("99, 200-255"): a ground truth's background or
  // mixed class, or a class too small to be both trained and tested.
  std::string ignore_classes;
  std::string drop_bands;     // 1-based ranges, "108-112,154-167,224"
  std::string drop_wavelengths;  // "1340-1450, 1790-1960 nm" (pipeline/bands.hpp)
  std::string nan_policy = "error";  // error | nodata
  std::string name;           // scene name for reports
  // Labels given as vector features (io/vector_labels.hpp): the attribute holding the class
  // (empty: the layer's one integer attribute), and whether a polygon labels every pixel it
  // touches instead of those whose centre it covers.
  std::string label_field;
  bool all_touched = false;
};

struct SplitSettings {
  std::string mode = "fixed";  // fixed | fraction | external | blocks
  int per_class = 10;          // fixed, and the cap per class inside training blocks
  double fraction = 0.1;       // fraction mode
  double max_class_fraction = 0.5;  // a small class gives at most this share to training
  std::string train_map, test_map;  // external mode
  int block_size = 12;
  double block_train_fraction = 0.3;
  double validation_fraction = 0.0;  // share of training pixels held out for early stopping
  std::string load;  // a saved split folder to reuse (train.tif/test.tif)
};

struct PreprocessSettings {
  bool standardize = true;
  int pca = 0;  // 0 = no PCA
  // The pixels band statistics and PCA are fitted on: "training" (the labelled training pixels),
  // "windows" (every pixel the training windows cover: what the network reads in training, no
  // label), "auto" (windows when the training pixels are too few for the PCA, else training).
  std::string fit_on = "auto";
};

struct ModelSettings {
  std::string name = "ms2d";  // ms1d ms2d ms3d ms1d2d cnn1d cnn2d cnn3d svm, or auto ([select])
  int patch = 9;
  int width = 32;       // channels per multiscale branch
  int embedding = 64;   // D, the feature dimension
  int metric_dim = 32;  // K, rows of the metric factor B
  double dropout = 0.2;

  // The one place settings become a network's options.
  NetOptions net_options(int in_bands, int classes) const;
};

// Model selection by cross-validation on the training pixels (model.name = auto, hsi select).
struct SelectSettings {
  // NAME or NAME:PATCH. A time budget cuts the list from the end: cheap, small windows first.
  // Ties between networks go by tie_break; a tie with unmixing or the SVM (no probabilities)
  // goes to the one listed first. Unmixing leads: it costs nothing, and where it ties with a
  // network (scenes labelled by dominant endmember) it is the simpler model; where classes are
  // not one spectrum each its CV OA falls far behind. The SVM, weakest of the rest on the
  // scenes measured, comes last, so it wins only by being strictly better.
  std::string candidates = "unmix, ms2d:5, ms1d2d:5, ms2d:9, ms2d:13, svm";
  int folds = 3;            // at most; fewer when the smallest class has fewer training pixels
  double train_share = 0.5;  // of the configured pretraining epochs and steps, per fold
  double budget_s = 0;      // seconds for the whole selection (the first candidate always runs); 0 = no limit
  // When no class has two training pixels to cross-validate: the middle window, the choice
  // that lost least on both measured scenes at one pixel a class (README, "Few labels").
  std::string fallback = "ms2d:9";
  // Among candidates tied on CV OA: `log-loss` = the network with the lowest held-out log-loss
  // (a candidate without probabilities, unmixing or the SVM, keeps a tie when listed before
  // the tied networks); `order` = the one listed first.
  std::string tie_break = "log-loss";
};

struct TrainSettings {
  int epochs = 60;
  int batch_size = 32;
  std::string optimizer = "adam";  // adam | sgd
  double lr = 1e-3;
  double momentum = 0.9;
  double weight_decay = 1e-4;
  std::string schedule = "cosine";  // cosine | step | none
  int patience = 0;  // epochs without validation gain before stopping (0 = off)
  bool augment = true;
  double spectral_noise = 0.0;
  int min_steps = 300;  // small training sets repeat within an epoch to reach this many steps
  std::string precision = "fp32";  // network arithmetic of both training stages: fp32 | bf16 | auto (pipeline/precision.hpp)
};

struct FinetuneSettings {
  bool enabled = false;
  int epochs = 30;
  int patience = 0;  // epochs without validation gain before stopping (0 = off)
  double lr = 2e-4;
  double lambda = 0.1;   // weight of the DPP log-det prior (0 = plain DML)
  double sigma = 0.0;    // RBF bandwidth; 0 = median pairwise squared distance at the start
  std::string kernel = "rbf";  // rbf | cosine
  std::string loss = "structural";  // metric loss on z (metric/loss_names.hpp)
  double beta = 1.0;     // weight of the cross-entropy term
  double margin = 0.0;   // contrastive margin on d_B; 0 = median distance between classes at the start
  int classes_per_batch = 0;  // 0 = all classes
  int samples_per_class = 4;
  std::string classifier = "softmax";  // one of classifier_names()
  // Where a network's class prototypes (prototype / mahalanobis classifiers, open-set rules,
  // enrolment; with or without fine-tuning, as z = B e is trained in both stages) come from:
  // "labelled" = the training pixels' mean metric features; "scene" = those means refined by
  // k-means over the scene's unlabelled pixels (pipeline/prototypes.hpp: refine_prototypes;
  // transductive: the pixels' features, never their labels); "propagated" = the means and
  // covariance of the training pixels and the unlabelled pixels their labels reach by label
  // propagation over the metric's nearest-neighbour graph (propagate_labels).
  std::string prototypes = "labelled";
  // With prototypes = scene (propagated): centres (seeds) free of any class that take the unlabelled pixels of
  // materials the class table lacks, so those do not drag a class's prototype (-1 = as many as
  // classes; 0 when every pixel of the scene belongs to a class of the table).
  int free_centres = -1;
};

// How a network's maps turn metric features into classes (pipeline/predict.hpp:
// class_probabilities): softmax | prototype | mahalanobis | neighbour.
const std::vector<std::string>& classifier_names();

// Open-set rejection: pixels unlike every known class become "unknown" (pipeline/prototypes.hpp).
// The rule names ("none" switches rejection off).
const std::vector<std::string>& open_set_rules();

struct OpenSetSettings {
  std::string rule = "none";  // none | mahalanobis | distance | softmax: the rule the trained model's maps use
  double accept = 0.95;       // share of held-out known pixels each rule's threshold keeps
};

struct PredictSettings {
  int batch_size = 256;        // windows per batch on the patch route
  std::string route = "auto";  // auto | dense | patch
  int tile = 0;                // tile side; 0 = the largest that fits ram_mb
  int64_t ram_mb = 512;        // memory budget of the prediction tiles
  std::string format = "GTiff";  // map files: GTiff | COG | ENVI (io/writer.hpp)
  std::string precision = "auto";  // network arithmetic: auto (bf16 where the CPU has it natively) | fp32 | bf16

  // Option names as `hsi predict` spells them (--tile) or as settings keys (predict.tile).
  void validate(bool predict_verb_names) const;
};

struct RunSettings {
  DataSettings data;
  std::vector<std::string> classes;  // "ID NAME [#RRGGBB]" entries
  SplitSettings split;
  PreprocessSettings preprocess;
  ModelSettings model;
  SelectSettings select;
  TrainSettings train;
  FinetuneSettings finetune;
  OpenSetSettings open_set;
  PredictSettings predict;
  int seed = 0;
  int threads = 0;
  std::string out;
  std::string config_file;
  std::string config_text;  // the merged settings, written beside every result

  void validate() const;
};

}  // namespace hsi
