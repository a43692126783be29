#include "pipeline/finetune.hpp"

#include <cstdio>

#include "metric/losses.hpp"
#include "pipeline/precision.hpp"
#include "pipeline/random.hpp"
#include "pipeline/sampler.hpp"

namespace hsi {

// The median Euclidean distance between training features of different classes: a margin on
// the scale the pretrained metric actually has.
static double auto_margin(HsiNet& net, const BatchMaker& batches, const Samples& train) {
  torch::NoGradGuard no_grad;
  net->eval();
  const size_t n = std::min<size_t>(train.size(), 512);
  const std::vector<int64_t> pixels(train.pixels.begin(), train.pixels.begin() + static_cast<int64_t>(n));
  const torch::Tensor z = net->project(net->embed(batches.make(pixels)));
  const torch::Tensor d = metric::pairwise_sq_dist(z).sqrt();
  const torch::Tensor y = torch::tensor(std::vector<int64_t>(train.targets.begin(), train.targets.begin() + static_cast<int64_t>(n)), torch::kLong);
  const torch::Tensor different = y.unsqueeze(0) != y.unsqueeze(1);
  const torch::Tensor values = d.index({different});
  return values.numel() ? values.median().item<double>() : 1.0;
}

namespace {

// One class-balanced batch: finetune.loss on z + beta * CE - lambda * log det K(B).
class FinetuneStage : public EpochStage {
 public:
  FinetuneStage(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                const FinetuneSettings& settings, bool augment, bool bf16, double sigma, double margin)
      : net_(net), optimizer_(optimizer), batches_(batches), train_(train), settings_(settings),
        augment_(augment), bf16_(bf16), kernel_(metric::parse_dpp_kernel(settings.kernel)), sigma_(sigma), metric_loss_(metric::make_loss(settings.loss, margin)),
        sampler_(train.targets, settings.classes_per_batch, settings.samples_per_class) {}

  int64_t batch_size() const { return sampler_.batch_size(); }

  void begin_epoch(Rng&) override {
    metric_sum_ = 0;
    steps_ = 0;
  }

  StepFigures step(Rng& rng) override {
    const std::vector<int64_t> picks = sampler_.next(rng);
    std::vector<int64_t> pixels, targets;
    for (int64_t i : picks) {
      pixels.push_back(train_.pixels[i]);
      targets.push_back(train_.targets[i]);
    }
    const torch::Tensor x = batches_.make(pixels, random_transforms(pixels.size(), augment_, rng.next()));
    const torch::Tensor y = torch::tensor(targets, torch::kLong);
    optimizer_.zero_grad();
    torch::Tensor features;
    {
      // The network in the chosen arithmetic; the metric factor, the losses and the DPP prior's
      // log-determinant in float32.
      const Bf16Scope scope(bf16_);
      features = net_->embed(x);
    }
    const torch::Tensor z = net_->project(features.to(torch::kFloat));
    const torch::Tensor logits = net_->classify(z);
    const torch::Tensor metric_term = (*metric_loss_)(z, y);
    torch::Tensor loss = metric_term;
    if (settings_.beta > 0) loss = loss + settings_.beta * torch::nn::functional::cross_entropy(logits, y);
    if (settings_.lambda > 0) loss = loss - settings_.lambda * metric::dpp_log_det(net_->metric_factor(), kernel_, sigma_);
    loss.backward();
    optimizer_.step();
    metric_sum_ += metric_term.item<double>();
    ++steps_;
    return {loss.item<double>(), (logits.argmax(1) == y).sum().item<int64_t>(), static_cast<int64_t>(targets.size())};
  }

  std::string epoch_extra() override {
    double logdet = 0;
    {
      torch::NoGradGuard no_grad;
      logdet = metric::dpp_log_det(net_->metric_factor(), kernel_, sigma_).item<double>();
    }
    char extra[160];
    std::snprintf(extra, sizeof extra, "%s %.4f  logdetK %.3f  mean|cos(B)| %.4f", settings_.loss.c_str(), metric_sum_ / std::max<int64_t>(steps_, 1), logdet,
                  metric::mean_abs_cosine(net_->metric_factor()));
    return extra;
  }

 private:
  HsiNet& net_;
  torch::optim::Optimizer& optimizer_;
  const BatchMaker& batches_;
  const Samples& train_;
  const FinetuneSettings& settings_;
  bool augment_, bf16_;
  metric::DppKernel kernel_;
  double sigma_;
  std::unique_ptr<metric::Loss> metric_loss_;
  BalancedBatchSampler sampler_;
  double metric_sum_ = 0;
  int64_t steps_ = 0;
};

}  // namespace

TrainOutcome finetune(HsiNet& net, torch::optim::Optimizer& optimizer, const BatchMaker& batches, const Samples& train,
                      const Samples& validation, const FinetuneSettings& s, const TrainSettings& train_settings, int seed,
                      StageProgress progress, const EpochCallback& on_epoch, bool verbose) {
  auto& constants = progress.constants;
  if (!constants.count("sigma")) constants["sigma"] = s.sigma > 0 ? s.sigma : metric::median_sq_distance(net->metric_factor());
  if (!constants.count("margin")) constants["margin"] = s.margin > 0 ? s.margin : auto_margin(net, batches, train);
  FinetuneStage stage(net, optimizer, batches, train, s, train_settings.augment, resolves_to_bf16(train_settings.precision), constants.at("sigma"),
                      constants.at("margin"));
  StageSchedule schedule;
  schedule.name = "finetune";
  schedule.label = "finetune";
  schedule.epochs = s.epochs;
  schedule.patience = s.patience;
  schedule.steps_per_epoch = std::max<int64_t>(4, (static_cast<int64_t>(train.size()) + stage.batch_size() - 1) / stage.batch_size());
  schedule.lr_schedule = "cosine";
  schedule.lr = s.lr;
  schedule.torch_seed_base = static_cast<uint64_t>(seed) * 1000033ULL + 77;
  schedule.rng_seed_base = static_cast<uint64_t>(seed) * 104729ULL + 5;
  if (verbose) {
    std::printf("fine-tuning: %s loss, lambda %.4g, %s kernel, sigma %.4g, margin %.4g, beta %.3g, batch %ld (balanced)%s\n", s.loss.c_str(),
                s.lambda, s.kernel.c_str(), constants.at("sigma"), constants.at("margin"), s.beta, static_cast<long>(stage.batch_size()),
                progress.epoch > 0 ? ", resumed" : "");
  }
  return run_epochs(net, optimizer, schedule, stage, batches, train, validation, progress, on_epoch, verbose);
}

}  // namespace hsi
