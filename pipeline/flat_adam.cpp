#include "pipeline/flat_adam.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace hsi {

namespace {

std::string state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// LibTorch's Adam update (no amsgrad) of one parameter tensor, or of the flat buffer of all.
void adam_update(torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq, int64_t step,
                 const torch::optim::AdamOptions& options) {
  const auto [beta1, beta2] = options.betas();
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  torch::Tensor g = grad;
  if (options.weight_decay() != 0) g = g.add(param, options.weight_decay());
  exp_avg.mul_(beta1).add_(g, 1 - beta1);
  exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2);
  const torch::Tensor denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(options.eps());
  param.addcdiv_(exp_avg, denom, -options.lr() / bias_correction1);
}

}  // namespace

FlatAdam::FlatAdam(const std::vector<torch::Tensor>& params, const torch::optim::AdamOptions& options)
    : torch::optim::Adam(params, options), params_(params), steps_(params.size(), 0) {
  if (options.amsgrad()) throw Error(ErrorKind::Usage, "FlatAdam does not implement amsgrad");
  offsets_.push_back(0);
  for (const torch::Tensor& p : params_) offsets_.push_back(offsets_.back() + p.numel());
  const torch::TensorOptions f32 = torch::TensorOptions().dtype(torch::kFloat32);
  flat_ = torch::empty({offsets_.back()}, f32);
  grad_ = torch::empty({offsets_.back()}, f32);
  exp_avg_ = torch::zeros({offsets_.back()}, f32);
  exp_avg_sq_ = torch::zeros({offsets_.back()}, f32);
  for (const torch::Tensor& p : params_) {
    if (p.scalar_type() != torch::kFloat32 || !p.is_contiguous()) throw Error(ErrorKind::Usage, "FlatAdam needs contiguous float32 parameters");
  }
  bind_parameters();
}

torch::Tensor FlatAdam::slice(const torch::Tensor& flat, size_t i) const {
  return flat.narrow(0, offsets_[i], offsets_[i + 1] - offsets_[i]).view(params_[i].sizes());
}

void FlatAdam::bind_parameters() {
  torch::NoGradGuard no_grad;
  bound_data_.clear();
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor view = slice(flat_, i);
    view.copy_(params_[i]);
    params_[i].set_data(view);
    bound_data_.push_back(params_[i].data_ptr());
  }
}

bool FlatAdam::parameters_bound() const {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].data_ptr() != bound_data_[i]) return false;
  }
  return true;
}

torch::Tensor FlatAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  if (!parameters_bound()) bind_parameters();
  const bool all_have_grads = std::all_of(params_.begin(), params_.end(), [](const torch::Tensor& p) { return p.grad().defined(); });
  const bool in_step = std::all_of(steps_.begin(), steps_.end(), [&](int64_t s) { return s == steps_.front(); });
  if (!all_have_grads || !in_step) {
    step_per_tensor();
    return loss;
  }
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : params_) grads.push_back(p.grad().reshape({-1}));
  torch::cat_out(grad_, grads);
  for (int64_t& s : steps_) ++s;
  adam_update(flat_, grad_, exp_avg_, exp_avg_sq_, steps_.front(), static_cast<const torch::optim::AdamOptions&>(param_groups().front().options()));
  return loss;
}

// LibTorch's Adam step for each parameter with a gradient, on its slice of the flat state.
void FlatAdam::step_per_tensor() {
  const auto& options = static_cast<const torch::optim::AdamOptions&>(param_groups().front().options());
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor exp_avg = slice(exp_avg_, i), exp_avg_sq = slice(exp_avg_sq_, i);
    adam_update(p, p.grad(), exp_avg, exp_avg_sq, ++steps_[i], options);
  }
}

// The base class's state map, which its save() writes: one entry per parameter that has taken
// a step, in LibTorch's own format.
void FlatAdam::sync_state_to_base() const {
  auto& state = const_cast<FlatAdam*>(this)->state_;
  state.clear();
  for (size_t i = 0; i < params_.size(); ++i) {
    if (steps_[i] == 0) continue;
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(steps_[i]);
    s->exp_avg(slice(exp_avg_, i).clone());
    s->exp_avg_sq(slice(exp_avg_sq_, i).clone());
    state[state_key(params_[i])] = std::move(s);
  }
}

void FlatAdam::save(torch::serialize::OutputArchive& archive) const {
  sync_state_to_base();
  torch::optim::Adam::save(archive);
}

void FlatAdam::load(torch::serialize::InputArchive& archive) {
  torch::optim::Adam::load(archive);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto it = state_.find(state_key(params_[i]));
    if (it == state_.end()) {
      steps_[i] = 0;
      slice(exp_avg_, i).zero_();
      slice(exp_avg_sq_, i).zero_();
      continue;
    }
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
    steps_[i] = s.step();
    slice(exp_avg_, i).copy_(s.exp_avg());
    slice(exp_avg_sq_, i).copy_(s.exp_avg_sq());
  }
  state_.clear();
}

}  // namespace hsi
