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
  mnist::TrainOptions o;
  cxxopts::Options spec("mnist-train", "Train the MNIST MLP (784-300-100-10 by default) with Adam "
                                       "and export it as TorchScript and Keras HDF5.");
  spec.add_options()
    ("data-dir", "MNIST directory (IDX files, plain or .gz)", cxxopts::value<std::string>()->default_value(o.data_dir.string()))
    ("out-dir", "where models, log and checkpoint go", cxxopts::value<std::string>()->default_value(o.out_dir.string()))
    ("hidden", "hidden layer sizes, comma-separated", cxxopts::value<std::string>()->default_value(o.hidden))
    ("dropout", "dropout after each hidden layer", cxxopts::value<std::string>()->default_value("0"))
    ("epochs", "number of epochs", cxxopts::value<std::string>()->default_value(std::to_string(o.epochs)))
    ("batch-size", "training batch size", cxxopts::value<std::string>()->default_value(std::to_string(o.batch_size)))
    ("lr", "Adam learning rate (the peak, under a schedule)", cxxopts::value<std::string>()->default_value("0.001"))
    ("lr-schedule", "constant (the original recipe) or cosine (decay to 0 over --epochs)", cxxopts::value<std::string>()->default_value(o.lr_schedule))
    ("val-split", "fraction of training images held out for validation (the last ones)", cxxopts::value<std::string>()->default_value("0"))
    ("seed", "random seed for initialisation, shuffling and dropout", cxxopts::value<std::string>()->default_value(std::to_string(o.seed)))
    ("device", "auto, cpu, cuda or cuda:N", cxxopts::value<std::string>()->default_value(o.device))
    ("threads", "CPU threads for LibTorch and OpenBLAS (0: their defaults)", cxxopts::value<std::string>()->default_value("0"))
    ("resume", "continue from <out-dir>/checkpoint.pt up to --epochs")
    ("train-limit", "use only the first N training images (0: all)", cxxopts::value<std::string>()->default_value("0"))
    ("test-limit", "use only the first N test images (0: all)", cxxopts::value<std::string>()->default_value("0"))
    ("h,help", "show this help");
  const auto args = spec.parse(argc, argv);
  if (args.count("help")) {
    std::cout << spec.help() << std::endl;
    help_shown = true;
    return o;
  }
  if (!args.unmatched().empty()) throw mnist::UsageError("unexpected argument '" + args.unmatched().front() + "'");
  o.data_dir = args["data-dir"].as<std::string>();
  o.out_dir = args["out-dir"].as<std::string>();
  o.hidden = args["hidden"].as<std::string>();
  o.dropout = mnist::parse_real_option("dropout", args["dropout"].as<std::string>());
  o.epochs = mnist::parse_integer_option("epochs", args["epochs"].as<std::string>());
  o.batch_size = mnist::parse_integer_option("batch-size", args["batch-size"].as<std::string>());
  o.learning_rate = mnist::parse_real_option("lr", args["lr"].as<std::string>());
  o.lr_schedule = args["lr-schedule"].as<std::string>();
  o.val_split = mnist::parse_real_option("val-split", args["val-split"].as<std::string>());
  o.seed = mnist::parse_integer_option("seed", args["seed"].as<std::string>());
  o.device = args["device"].as<std::string>();
  o.threads = mnist::parse_integer_option("threads", args["threads"].as<std::string>());
  o.resume = args.count("resume") > 0;
  o.train_limit = mnist::parse_integer_option("train-limit", args["train-limit"].as<std::string>());
  o.test_limit = mnist::parse_integer_option("test-limit", args["test-limit"].as<std::string>());
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
    for (const auto& file : summary.files_written) std::cout << "wrote " << file.string() << "\n";
    return 0;
  });
}
