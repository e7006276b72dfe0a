// The training loop and its checkpoints; see trainer.h.
#include "trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "atomic_file.h"
#include "errors.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

// Distinct, reproducible seeds per epoch and purpose (splitmix64 finaliser).
uint64_t derive_seed(uint64_t seed, int64_t epoch, uint64_t purpose) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(epoch) * 4 + purpose + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) >> 1;  // torch seeds are taken as signed in places; stay positive
}

constexpr uint64_t kShufflePurpose = 0;
constexpr uint64_t kDropoutPurpose = 1;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double learning_rate_for_epoch(const TrainSettings& settings, int64_t epoch) {
  if (settings.schedule == LrSchedule::kConstant || settings.total_epochs <= 1) {
    return settings.learning_rate;
  }
  const double progress = static_cast<double>(epoch - 1) / static_cast<double>(settings.total_epochs);
  return settings.learning_rate * 0.5 * (1.0 + std::cos(M_PI * progress));
}

LrSchedule parse_lr_schedule(const std::string& text) {
  if (text == "constant") return LrSchedule::kConstant;
  if (text == "cosine") return LrSchedule::kCosine;
  throw UsageError("--lr-schedule " + text + ": expected constant or cosine");
}

Trainer::Trainer(const ModelSpec& spec, const TrainSettings& settings, const c10::Device& device)
    : settings_(settings), device_(device) {
  torch::manual_seed(settings.seed);
  model_ = build_mlp(spec);
  model_->to(device_);
  optimizer_ = std::make_unique<torch::optim::Adam>(
      model_->parameters(), torch::optim::AdamOptions(settings.learning_rate));
}

EpochTrainStats Trainer::train_epoch(int64_t epoch, const MnistTensors& train,
                                     TrainingObserver& observer) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t count = train.size();
  const int64_t batch_size = settings_.batch_size;
  const int64_t batches = (count + batch_size - 1) / batch_size;
  observer.on_epoch_begin(epoch, 0, batches);

  const double learning_rate = learning_rate_for_epoch(settings_, epoch);
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate);
  }
  model_->train();
  torch::manual_seed(derive_seed(settings_.seed, epoch, kDropoutPurpose));
  auto shuffle_generator =
      at::make_generator<at::CPUGeneratorImpl>(derive_seed(settings_.seed, epoch, kShufflePurpose));
  const auto order = torch::randperm(count, shuffle_generator, torch::kLong).to(device_);
  const auto images = train.images.to(device_);
  const auto labels = train.labels.to(device_);

  const auto on_device = torch::TensorOptions().device(device_);
  auto loss_sum = torch::zeros({}, on_device.dtype(torch::kFloat64));
  auto correct = torch::zeros({}, on_device.dtype(torch::kInt64));
  // About ten progress updates a second at the default batch size, without a sync per step.
  constexpr int64_t kBatchesPerUpdate = 50;

  for (int64_t batch = 0; batch < batches; ++batch) {
    const int64_t begin = batch * batch_size;
    const int64_t end = std::min(begin + batch_size, count);
    const auto indices = order.slice(/*dim=*/0, begin, end);
    const auto batch_images = images.index_select(0, indices);
    const auto batch_labels = labels.index_select(0, indices);

    optimizer_->zero_grad();
    const auto logits = model_->forward(batch_images);
    const auto loss = torch::nn::functional::cross_entropy(logits, batch_labels);
    loss.backward();
    optimizer_->step();

    torch::NoGradGuard no_grad;
    loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(end - begin);
    correct += logits.argmax(/*dim=*/1).eq(batch_labels).sum();
    if (observer.wants_batch_updates() && ((batch + 1) % kBatchesPerUpdate == 0 || batch + 1 == batches)) {
      const double done = static_cast<double>(end);
      observer.on_batch(batch + 1, end, loss_sum.item<double>() / done,
                        static_cast<double>(correct.item<int64_t>()) / done, seconds_since(start));
    }
  }

  EpochTrainStats stats;
  stats.samples = count;
  if (count > 0) {
    stats.loss = loss_sum.item<double>() / static_cast<double>(count);
    stats.accuracy = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(count);
  }
  stats.seconds = seconds_since(start);
  stats.learning_rate = learning_rate;
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
  write_atomically(path, [&](const fs::path& temp_path) {
    try {
      archive.save_to(temp_path.string());
    } catch (const c10::Error& e) {
      throw RuntimeError(path.string() + ": cannot write checkpoint: " + one_line(e.what_without_backtrace()));
    }
  });
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
    return {epochs_done.toInt(), metadata.toStringRef()};
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": not a readable checkpoint: " + one_line(e.what_without_backtrace()));
  }
}

Trainer::Checkpoint Trainer::load_checkpoint(const fs::path& path) {
  Checkpoint header = read_checkpoint_header(path);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string(), device_);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model_->load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer_->load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw RuntimeError(path.string() + ": checkpoint does not fit this model: " +
                       one_line(e.what_without_backtrace()));
  }
  return header;
}

}  // namespace mnist
