#include "pipeline/trainer.hpp"

#include <cmath>

#include "pipeline/flat_adam.hpp"
#include "pipeline/precision.hpp"
#include "pipeline/random.hpp"

namespace hsi {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(HsiNet& net, const std::string& kind, double lr, double momentum,
                                                        double weight_decay) {
  if (kind == "sgd") {
    return std::make_unique<torch::optim::SGD>(net->parameters(),
                                               torch::optim::SGDOptions(lr).momentum(momentum).weight_decay(weight_decay).nesterov(true));
  }
  return std::make_unique<FlatAdam>(net->parameters(), torch::optim::AdamOptions(lr).weight_decay(weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double scheduled_lr(const std::string& schedule, double base, int64_t step, int64_t total) {
  if (schedule == "cosine") return base * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1))));
  if (schedule == "step") {
    const double t = static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total, 1));
    return base * (t < 0.5 ? 1.0 : t < 0.75 ? 0.1 : 0.01);
  }
  return base;
}

std::vector<uint8_t> random_transforms(size_t n, bool enabled, uint64_t seed) {
  if (!enabled) return {};
  Rng rng(seed);
  std::vector<uint8_t> t(n);
  for (auto& v : t) v = static_cast<uint8_t>(rng.below(8));
  return t;
}

std::vector<int64_t> predict_samples(HsiNet& net, const BatchMaker& batches, const std::vector<int64_t>& pixels, int batch_size) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<int64_t> out;
  out.reserve(pixels.size());
  for (size_t start = 0; start < pixels.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(pixels.size(), start + static_cast<size_t>(batch_size));
    const std::vector<int64_t> chunk(pixels.begin() + static_cast<int64_t>(start), pixels.begin() + static_cast<int64_t>(end));
    const torch::Tensor predicted = net->forward(batches.make(chunk)).argmax(1).contiguous();
    out.insert(out.end(), predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + predicted.numel());
  }
  return out;
}

double accuracy_of(const std::vector<int64_t>& predicted, const std::vector<int64_t>& targets) {
  if (targets.empty()) return -1;
  int64_t hit = 0;
  for (size_t i = 0; i < targets.size(); ++i) hit += predicted[i] == targets[i];
  return static_cast<double>(hit) / static_cast<double>(targets.size());
}

namespace {

// Cross-entropy on shuffled batches; tiny training sets repeat within an epoch.
class PretrainStage : public EpochStage {
 public:
  PretrainStage(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                const TrainSettings& settings, int64_t batch)
      : net_(net), optimizer_(optimizer), batches_(batches), train_(train), settings_(settings), batch_(batch), order_(train.size()),
        bf16_(resolves_to_bf16(settings.precision)) {}

  void begin_epoch(Rng& rng) override {
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int64_t>(i);
    rng.shuffle(order_);
    cursor_ = 0;
  }

  StepFigures step(Rng& rng) override {
    std::vector<int64_t> pixels, targets;
    for (int64_t k = 0; k < batch_; ++k) {
      if (cursor_ == order_.size()) {
        rng.shuffle(order_);
        cursor_ = 0;
      }
      const int64_t i = order_[cursor_++];
      pixels.push_back(train_.pixels[i]);
      targets.push_back(train_.targets[i]);
    }
    torch::Tensor x = batches_.make(pixels, random_transforms(pixels.size(), settings_.augment, rng.next()));
    if (settings_.spectral_noise > 0) x.add_(torch::randn_like(x) * settings_.spectral_noise);
    const torch::Tensor y = torch::tensor(targets, torch::kLong);
    optimizer_.zero_grad();
    torch::Tensor logits;
    {
      const Bf16Scope scope(bf16_);
      logits = net_->forward(x);
    }
    logits = logits.to(torch::kFloat);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    optimizer_.step();
    return {loss.item<double>(), (logits.argmax(1) == y).sum().item<int64_t>(), batch_};
  }

 private:
  HsiNet& net_;
  torch::optim::Optimizer& optimizer_;
  const BatchMaker& batches_;
  const Samples& train_;
  const TrainSettings& settings_;
  int64_t batch_;
  std::vector<int64_t> order_;
  size_t cursor_ = 0;
  bool bf16_;
};

}  // namespace

TrainOutcome pretrain(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const TrainSettings& s, int seed, const StageProgress& progress,
                      const EpochCallback& on_epoch, bool verbose) {
  const int64_t n = static_cast<int64_t>(train.size());
  // At least two samples a batch, repeating when the set is smaller: BatchNorm needs two.
  const int64_t batch = std::max<int64_t>(2, std::min<int64_t>(s.batch_size, n));
  StageSchedule schedule;
  schedule.name = "pretrain";
  schedule.label = "epoch";
  schedule.epochs = s.epochs;
  schedule.patience = s.patience;
  // Tiny training sets (5 pixels per class) would get a handful of steps per epoch: repeat the
  // set within each epoch so the whole run makes at least min_steps optimiser steps.
  schedule.steps_per_epoch = std::max<int64_t>((n + batch - 1) / batch, (s.min_steps + s.epochs - 1) / std::max(1, s.epochs));
  schedule.lr_schedule = s.schedule;
  schedule.lr = s.lr;
  schedule.torch_seed_base = static_cast<uint64_t>(seed) * 1000003ULL;
  schedule.rng_seed_base = static_cast<uint64_t>(seed) * 7919ULL + 1;
  PretrainStage stage(net, optimizer, batches, train, s, batch);
  return run_epochs(net, optimizer, schedule, stage, batches, train, validation, progress, on_epoch, verbose);
}

}  // namespace hsi
