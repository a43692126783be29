#pragma once
// Adam whose update runs as a handful of operations over all parameters at once.
#include <torch/torch.h>

#include <vector>

namespace hsi {

// torch::optim::Adam's update, element for element, on one flat copy of the parameters, their
// gradients and the moment estimates. LibTorch's Adam issues about nine tensor operations per
// parameter tensor; for a network of 18 small tensors that dispatch cost was 5 % of an ms2d
// training step, more than the arithmetic. The parameters become views of the flat buffer; a
// parameter whose storage was replaced since (a checkpoint loaded into the module) is copied back
// in before the next step. Steps where some parameter has no gradient (a stage that leaves a
// head unused) take the per-tensor route with the same state, so they skip that parameter as
// LibTorch's Adam does. Saves and loads LibTorch's Adam state format, so checkpoints written by
// either resume with either.
class FlatAdam : public torch::optim::Adam {
 public:
  FlatAdam(const std::vector<torch::Tensor>& params, const torch::optim::AdamOptions& options);

  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  void bind_parameters();
  bool parameters_bound() const;
  void step_per_tensor();
  void sync_state_to_base() const;
  // Parameter i's part of a flat buffer, shaped like the parameter (a view).
  torch::Tensor slice(const torch::Tensor& flat, size_t i) const;

  std::vector<torch::Tensor> params_;
  std::vector<int64_t> offsets_;  // params_[i] is flat elements [offsets_[i], offsets_[i + 1])
  std::vector<const void*> bound_data_;
  torch::Tensor flat_, grad_, exp_avg_, exp_avg_sq_;
  std::vector<int64_t> steps_;
};

}  // namespace hsi
