// mnist-train: trains the MNIST MLP and exports it (TorchScript and Keras HDF5).
// Parses options, prints them, calls the library, maps failures to exit codes; SIGINT or
// SIGTERM stops it after the current step with a checkpoint, exiting 130 or 143.
#include <cxxopts.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli_errors.h"
#include "device.h"
#include "option_values.h"
#include "progress_display.h"
#include "runtime_info.h"
#include "stop_signals.h"
#include "train_command.h"

namespace {

mnist::TrainOptions parse_options(int argc, char** argv, bool& help_shown) {
  // --help shows the default recipe's values; another --recipe changes the defaults, and options
  // given on the command line override the recipe.
  const mnist::TrainOptions d;
  cxxopts::Options spec("mnist-train", "Train the MNIST MLP (784-300-100-10 by default) with Adam "
                                       "and export it as TorchScript and Keras HDF5.");
  spec.add_options()
    ("recipe", "original, default, best or fast: sets the defaults of the training options below (see README)", cxxopts::value<std::string>()->default_value(d.recipe))
    ("data-dir", "MNIST directory (IDX files, plain or .gz)", cxxopts::value<std::string>()->default_value(d.data_dir.string()))
    ("out-dir", "where models, log and checkpoint go", cxxopts::value<std::string>()->default_value(d.out_dir.string()))
    ("hidden", "hidden layer sizes, comma-separated", cxxopts::value<std::string>()->default_value(d.hidden))
    ("dropout", "dropout after each hidden layer", cxxopts::value<std::string>()->default_value("0"))
    ("epochs", "number of epochs", cxxopts::value<std::string>()->default_value(std::to_string(d.epochs)))
    ("batch-size", "training batch size", cxxopts::value<std::string>()->default_value(std::to_string(d.batch_size)))
    ("lr", "Adam learning rate (the peak, under a schedule)", cxxopts::value<std::string>()->default_value("0.001"))
    ("lr-schedule", "constant (the original recipe) or cosine (decay to 0 over --epochs)", cxxopts::value<std::string>()->default_value(d.lr_schedule))
    ("weight-decay", "decoupled weight decay (AdamW), 0 to 1", cxxopts::value<std::string>()->default_value("0"))
    ("label-smoothing", "label smoothing of the cross-entropy, 0 to below 1", cxxopts::value<std::string>()->default_value("0"))
    ("augment", "augmentation strength, 0 (none) to 2: 1 is shifts up to 2 px, rotations up to 10 deg, scale 0.9-1.1, elastic alpha 34 sigma 4", cxxopts::value<std::string>()->default_value("0"))
    ("val-split", "fraction of training images held out for validation (the last ones)", cxxopts::value<std::string>()->default_value("0"))
    ("seed", "random seed for initialisation, shuffling, dropout and augmentation", cxxopts::value<std::string>()->default_value(std::to_string(d.seed)))
    ("device", "auto, cpu, cuda or cuda:N", cxxopts::value<std::string>()->default_value(d.device))
    ("threads", "CPU threads for LibTorch and OpenBLAS (0: their defaults)", cxxopts::value<std::string>()->default_value("0"))
    ("resume", "continue from <out-dir>/checkpoint.pt up to --epochs")
    ("train-limit", "use only the first N training images (0: all)", cxxopts::value<std::string>()->default_value("0"))
    ("test-limit", "use only the first N test images (0: all)", cxxopts::value<std::string>()->default_value("0"))
    ("h,help", "show this help");
  const auto args = spec.parse(argc, argv);
  if (args.count("help")) {
    std::cout << spec.help() << std::endl;
    help_shown = true;
    return d;
  }
  if (!args.unmatched().empty()) throw mnist::UsageError("unexpected argument '" + args.unmatched().front() + "'");
  mnist::reject_conflicting_repeats(args);
  mnist::TrainOptions o = mnist::recipe_options(args["recipe"].as<std::string>());
  const auto text = [&](const char* name) { return args[name].as<std::string>(); };
  const auto real = [&](const char* name, double& field) {
    if (args.count(name)) field = mnist::parse_real_option(name, text(name));
  };
  const auto integer = [&](const char* name, int64_t& field) {
    if (args.count(name)) field = mnist::parse_integer_option(name, text(name));
  };
  o.data_dir = text("data-dir");
  o.out_dir = text("out-dir");
  o.hidden = text("hidden");
  real("dropout", o.dropout);
  integer("epochs", o.epochs);
  integer("batch-size", o.batch_size);
  real("lr", o.learning_rate);
  if (args.count("lr-schedule")) o.lr_schedule = text("lr-schedule");
  real("weight-decay", o.weight_decay);
  real("label-smoothing", o.label_smoothing);
  real("augment", o.augment);
  real("val-split", o.val_split);
  integer("seed", o.seed);
  o.device = text("device");
  integer("threads", o.threads);
  o.resume = args.count("resume") > 0;
  integer("train-limit", o.train_limit);
  integer("test-limit", o.test_limit);
  mnist::validate(o);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  mnist::install_stop_signal_handlers();
  return mnist::run_cli("mnist-train", [&]() {
    bool help_shown = false;
    const auto options = parse_options(argc, argv, help_shown);
    if (help_shown) return 0;
    for (const auto& [key, value] : mnist::describe(options)) std::cout << key << "=" << value << "\n";

    const auto device = mnist::resolve_device(options.device);
    mnist::set_thread_count(static_cast<int>(options.threads));
    std::cout << "using device=" << device.str() << "\n"
              << "torch_threads=" << mnist::torch_thread_count() << "\n"
              << "blas=" << mnist::describe_blas() << std::endl;

    mnist::ProgressDisplay progress(std::cout, mnist::stdout_is_terminal());
    const auto summary = mnist::run_training(options, device, progress, mnist::stop_requested);
    if (summary.interrupted) {
      if (mnist::stdout_is_terminal()) std::cout << std::endl;  // ends the live progress line
      const std::vector<std::string> command_line(argv, argv + argc);
      std::cerr << "mnist-train: " << mnist::describe_interruption(*summary.interrupted, command_line)
                << std::endl;
      return 128 + mnist::stop_signal();
    }

    std::printf("done: %lld epochs in this run, train accuracy %.4f, test accuracy %.4f, "
                "%.1f s wall, %.0f samples/s\n",
                static_cast<long long>(summary.epochs_trained), summary.train_accuracy,
                summary.test_accuracy, summary.wall_seconds, summary.samples_per_second);
    if (summary.augmented) {
      std::printf("augmentation: %.1f s of work in the background; training waited %.1f s for "
                  "epochs prepared ahead (%.1f s in all, with the first epoch)\n",
                  summary.augment_work_seconds, summary.augment_wait_ahead_seconds,
                  summary.augment_wait_seconds);
    }
    for (const auto& file : summary.files_written) std::cout << "wrote " << file.string() << "\n";
    return 0;
  });
}
