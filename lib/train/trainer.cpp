// The training loop and its checkpoints; see trainer.h.
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/seed.h"
#include "data/mnist_bytes_dataset.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

// LibTorch takes some seeds as signed: keep them positive.
uint64_t torch_seed(uint64_t seed, SeedPurpose purpose, int64_t epoch) {
  return derive_seed(seed, purpose, epoch) >> 1;
}

// Where a checkpoint keeps the position and running figures of an epoch stopped early.
constexpr const char* kEpochInProgressKey = "epoch_in_progress";

// The global generator dropout draws from on `device` (LibTorch's default for that device).
at::Generator dropout_generator(const c10::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

at::Tensor rng_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(at::Generator generator, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

double learning_rate_for_epoch(const TrainSettings& settings, int64_t epoch) {
  if (settings.schedule == LrSchedule::kConstant || settings.total_epochs <= 1) {
    return settings.learning_rate;
  }
  const double progress = static_cast<double>(epoch - 1) / static_cast<double>(settings.total_epochs);
  return settings.learning_rate * 0.5 * (1.0 + std::cos(M_PI * progress));
}

Trainer::Trainer(const ModelSpec& spec, const TrainSettings& settings, const c10::Device& device)
    : settings_(settings), device_(device) {
  torch::manual_seed(settings.seed);
  model_ = build_mlp(spec);
  model_->to(device_);
  flatten_parameters();
  optimizer_ = std::make_unique<torch::optim::Adam>(
      std::vector<at::Tensor>{flat_parameters_}, torch::optim::AdamOptions(settings.learning_rate));
}

void Trainer::flatten_parameters() {
  // Each parameter starts on a 64-byte boundary, as the BLAS kernels prefer; the padding
  // between them has zero gradient and stays zero.
  constexpr int64_t kAlignment = 16;
  const auto parameters = model_->parameters();
  const auto aligned = [](int64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; };
  int64_t total = 0;
  for (const auto& parameter : parameters) total += aligned(parameter.numel());
  torch::NoGradGuard no_grad;
  if (!flat_parameters_.defined()) {
    const auto options = parameters.front().options().requires_grad(false);
    flat_parameters_ = torch::zeros({total}, options);
    flat_gradients_ = torch::zeros({total}, options);
    flat_parameters_.mutable_grad() = flat_gradients_;
  }
  int64_t offset = 0;
  for (auto parameter : parameters) {
    const int64_t count = parameter.numel();
    auto values = flat_parameters_.slice(0, offset, offset + count).view(parameter.sizes());
    values.copy_(parameter.detach());
    parameter.set_data(values);
    // Autograd adds into an existing gradient in place, so backward writes into the flat buffer.
    parameter.mutable_grad() = flat_gradients_.slice(0, offset, offset + count).view(parameter.sizes());
    offset += aligned(count);
  }
}

// The epoch being trained: its data on the device in shuffled order, and running figures kept
// on the device too, read only when someone asks (no sync per step).
struct Trainer::EpochRun {
  int64_t epoch = 0;
  int64_t count = 0;
  int64_t batches = 0;
  double learning_rate = 0;
  at::Tensor order;
  at::Tensor images;
  at::Tensor labels;
  at::Tensor loss_sum;  // per-sample loss summed over the steps taken, float64
  at::Tensor correct;   // int64
  double seconds_before = 0;  // trained before a resume
  std::chrono::steady_clock::time_point start;
  bool stop_requested = false;
};

EpochTrainStats Trainer::train_epoch(int64_t epoch, const MnistTensors& train,
                                     TrainingObserver& observer) {
  if (in_progress_.epoch != 0 && in_progress_.epoch != epoch) {
    throw std::logic_error("Trainer::train_epoch: epoch " + std::to_string(in_progress_.epoch) +
                           " is in progress, asked for epoch " + std::to_string(epoch));
  }
  const EpochInProgress resumed = std::exchange(in_progress_, EpochInProgress{});
  EpochRun run = begin_epoch(epoch, train, resumed);
  observer.on_epoch_begin(epoch, 0, run.batches);
  prepare_randomness(epoch, resumed);
  run.order = shuffled_order(epoch, run.count);
  run.images = train.images.to(device_);
  run.labels = train.labels.to(device_);
  const auto on_device = torch::TensorOptions().device(device_);
  run.loss_sum = torch::full({}, resumed.loss_sum, on_device.dtype(torch::kFloat64));
  run.correct = torch::full({}, resumed.correct, on_device.dtype(torch::kInt64));

  for (int64_t batch = resumed.batches_done; batch < run.batches; ++batch) {
    train_step(run, batch);
    report_progress(run, batch + 1, observer);
    if (!settings_.should_stop || !settings_.should_stop()) continue;
    run.stop_requested = true;
    if (batch + 1 < run.batches) return keep_in_progress(run, batch + 1);
  }
  return stats_after(run, run.batches);
}

Trainer::EpochRun Trainer::begin_epoch(int64_t epoch, const MnistTensors& train,
                                       const EpochInProgress& resumed) {
  EpochRun run;
  run.start = std::chrono::steady_clock::now();
  run.epoch = epoch;
  run.count = train.size();
  run.batches = (run.count + settings_.batch_size - 1) / settings_.batch_size;
  run.seconds_before = resumed.seconds;
  run.learning_rate = learning_rate_for_epoch(settings_, epoch);
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(run.learning_rate);
  }
  model_->train();
  return run;
}

void Trainer::prepare_randomness(int64_t epoch, const EpochInProgress& resumed) {
  torch::manual_seed(torch_seed(settings_.seed, SeedPurpose::kDropout, epoch));
  if (resumed.epoch == 0) return;
  // Dropout goes on from where the stopped run left its generators. (A run stopped on the CPU
  // and resumed on CUDA has no CUDA state to restore; like any change of device, it then
  // trains on, but not bit-identically.)
  set_rng_state(dropout_generator(c10::kCPU), resumed.cpu_rng_state);
  if (device_.is_cuda() && resumed.cuda_rng_state.defined()) {
    set_rng_state(dropout_generator(device_), resumed.cuda_rng_state);
  }
}

at::Tensor Trainer::shuffled_order(int64_t epoch, int64_t count) const {
  auto shuffle_generator =
      at::make_generator<at::CPUGeneratorImpl>(torch_seed(settings_.seed, SeedPurpose::kShuffle, epoch));
  return torch::randperm(count, shuffle_generator, torch::kLong).to(device_);
}

void Trainer::train_step(EpochRun& run, int64_t batch) {
  const int64_t begin = batch * settings_.batch_size;
  const int64_t end = std::min(begin + settings_.batch_size, run.count);
  const auto indices = run.order.slice(/*dim=*/0, begin, end);
  const auto batch_images = pixels_in_unit_range(run.images.index_select(0, indices));
  const auto batch_labels = run.labels.index_select(0, indices);

  flat_gradients_.zero_();
  const auto logits = model_->forward(batch_images);
  const auto loss = torch::nn::functional::cross_entropy(
      logits, batch_labels,
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(settings_.label_smoothing));
  loss.backward();
  torch::NoGradGuard no_grad;
  if (settings_.weight_decay > 0) flat_parameters_.mul_(1.0 - run.learning_rate * settings_.weight_decay);
  optimizer_->step();

  run.loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(end - begin);
  run.correct += logits.argmax(/*dim=*/1).eq(batch_labels).sum();
}

void Trainer::report_progress(const EpochRun& run, int64_t batches_done, TrainingObserver& observer) const {
  // About ten progress updates a second at the default batch size, without a sync per step.
  constexpr int64_t kBatchesPerUpdate = 50;
  if (!observer.wants_batch_updates()) return;
  if (batches_done % kBatchesPerUpdate != 0 && batches_done != run.batches) return;
  const int64_t samples = std::min(batches_done * settings_.batch_size, run.count);
  const double done = static_cast<double>(samples);
  observer.on_batch(batches_done, samples, run.loss_sum.item<double>() / done,
                    static_cast<double>(run.correct.item<int64_t>()) / done,
                    run.seconds_before + seconds_since(run.start));
}

EpochTrainStats Trainer::keep_in_progress(const EpochRun& run, int64_t batches_done) {
  const EpochTrainStats stats = stats_after(run, batches_done);
  in_progress_.epoch = run.epoch;
  in_progress_.batches_done = batches_done;
  in_progress_.loss_sum = run.loss_sum.item<double>();
  in_progress_.correct = run.correct.item<int64_t>();
  in_progress_.seconds = stats.seconds;
  in_progress_.cpu_rng_state = rng_state(dropout_generator(c10::kCPU));
  if (device_.is_cuda()) in_progress_.cuda_rng_state = rng_state(dropout_generator(device_));
  return stats;
}

EpochTrainStats Trainer::stats_after(const EpochRun& run, int64_t batches_done) const {
  EpochTrainStats stats;
  stats.samples = std::min(batches_done * settings_.batch_size, run.count);
  if (stats.samples > 0) {
    const double samples = static_cast<double>(stats.samples);
    stats.loss = run.loss_sum.item<double>() / samples;
    stats.accuracy = static_cast<double>(run.correct.item<int64_t>()) / samples;
  }
  stats.seconds = run.seconds_before + seconds_since(run.start);
  stats.learning_rate = run.learning_rate;
  stats.finished = batches_done == run.batches;
  stats.batches_done = batches_done;
  stats.batches = run.batches;
  stats.stop_requested = run.stop_requested;
  return stats;
}

void Trainer::save_checkpoint(const fs::path& path, int64_t epochs_done,
                              const std::string& metadata) const {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model_->save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer_->save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("epochs_done", c10::IValue(epochs_done));
  archive.write("metadata", c10::IValue(metadata));
  if (in_progress_.epoch != 0) {
    if (in_progress_.epoch != epochs_done + 1) {
      throw std::logic_error("Trainer::save_checkpoint: epoch " + std::to_string(in_progress_.epoch) +
                             " is in progress, but " + std::to_string(epochs_done) +
                             " epochs are said to be done");
    }
    torch::serialize::OutputArchive progress;
    progress.write("batches_done", c10::IValue(in_progress_.batches_done));
    progress.write("loss_sum", c10::IValue(in_progress_.loss_sum));
    progress.write("correct", c10::IValue(in_progress_.correct));
    progress.write("seconds", c10::IValue(in_progress_.seconds));
    progress.write("cpu_rng_state", in_progress_.cpu_rng_state);
    if (in_progress_.cuda_rng_state.defined()) {
      progress.write("cuda_rng_state", in_progress_.cuda_rng_state);
    }
    archive.write(kEpochInProgressKey, progress);
  }
  // Serialised in memory, then written by us: see write_file_atomically.
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": cannot serialise the checkpoint: " +
                       one_line(e.what_without_backtrace()));
  }
  write_file_atomically(path, bytes.str());
}

Trainer::Checkpoint Trainer::read_checkpoint_header(const fs::path& path) {
  if (!fs::exists(path)) {
    throw RuntimeError(path.string() +
                       ": no checkpoint to resume from. Run without --resume to start training.");
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    c10::IValue epochs_done;
    c10::IValue metadata;
    archive.read("epochs_done", epochs_done);
    archive.read("metadata", metadata);
    Checkpoint header{epochs_done.toInt(), metadata.toStringRef()};
    torch::serialize::InputArchive progress;
    if (archive.try_read(kEpochInProgressKey, progress)) {
      c10::IValue batches_done;
      progress.read("batches_done", batches_done);
      header.batches_done = batches_done.toInt();
    }
    return header;
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": not a readable checkpoint: " + one_line(e.what_without_backtrace()));
  }
}

Trainer::Checkpoint Trainer::load_checkpoint(const fs::path& path) {
  Checkpoint header = read_checkpoint_header(path);
  EpochInProgress restored;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string(), device_);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model_->load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer_->load(optimizer_archive);
    torch::serialize::InputArchive progress;
    if (archive.try_read(kEpochInProgressKey, progress)) {
      c10::IValue value;
      restored.epoch = header.epochs_done + 1;
      progress.read("batches_done", value);
      restored.batches_done = value.toInt();
      progress.read("loss_sum", value);
      restored.loss_sum = value.toDouble();
      progress.read("correct", value);
      restored.correct = value.toInt();
      progress.read("seconds", value);
      restored.seconds = value.toDouble();
      // The archive maps tensors to the training device; generator states live on the CPU.
      progress.read("cpu_rng_state", restored.cpu_rng_state);
      restored.cpu_rng_state = restored.cpu_rng_state.to(torch::kCPU);
      at::Tensor cuda_rng_state;
      if (progress.try_read("cuda_rng_state", cuda_rng_state)) {
        restored.cuda_rng_state = cuda_rng_state.to(torch::kCPU);
      }
    }
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": checkpoint does not fit this model: " +
                       one_line(e.what_without_backtrace()));
  }
  flatten_parameters();
  in_progress_ = restored;
  return header;
}

}  // namespace mnist
