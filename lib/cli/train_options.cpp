// mnist-train's option parser and banner; see train_options.h.
#include "cli/train_options.h"

#include <cxxopts.hpp>
#include <sstream>

#include "cli/command_line.h"
#include "core/errors.h"
#include "core/option_values.h"
#include "data/augmentation.h"

namespace mnist {

namespace {

Recipe parse_recipe(const std::string& text) {
  for (const Recipe recipe : {Recipe::kOriginal, Recipe::kDefault, Recipe::kBest, Recipe::kFast}) {
    if (text == to_string(recipe)) return recipe;
  }
  throw UsageError("--recipe " + text + ": must be original, default, best or fast");
}

std::string describe_augmentation(double strength) {
  if (strength == 0) return "0 (none)";
  const AugmentParams p = augment_params_for_strength(strength);
  return option_value_text(strength) + " (shift " + option_value_text(p.max_shift) + " px, rotation " +
         option_value_text(p.max_rotation) + " deg, scale " + option_value_text(p.min_scale) + "-" +
         option_value_text(p.max_scale) + ", elastic alpha " + option_value_text(p.elastic_alpha) + " sigma " +
         option_value_text(p.elastic_sigma) + ")";
}

cxxopts::Options train_option_spec() {
  // --help shows the default recipe's values; another --recipe changes the defaults, and options
  // given on the command line override the recipe.
  const TrainOptions d;
  cxxopts::Options spec("mnist-train", "Train the MNIST MLP (784-300-100-10 by default) with Adam "
                                       "and export it as TorchScript and Keras HDF5.");
  spec.add_options()
    ("recipe", "original, default, best or fast: sets the defaults of the training options below (see README)", cxxopts::value<std::string>()->default_value(to_string(d.recipe)))
    ("data-dir", "MNIST directory (IDX files, plain or .gz)", cxxopts::value<std::string>()->default_value(d.data_dir.string()))
    ("out-dir", "where models, log and checkpoint go", cxxopts::value<std::string>()->default_value(d.out_dir.string()))
    ("hidden", "hidden layer sizes, comma-separated", cxxopts::value<std::string>()->default_value(format_hidden_sizes(d.hidden)))
    ("dropout", "dropout after each hidden layer", cxxopts::value<std::string>()->default_value(option_value_text(d.dropout)))
    ("epochs", "number of epochs", cxxopts::value<std::string>()->default_value(std::to_string(d.epochs)))
    ("batch-size", "training batch size", cxxopts::value<std::string>()->default_value(std::to_string(d.batch_size)))
    ("lr", "Adam learning rate (the peak, under a schedule)", cxxopts::value<std::string>()->default_value(option_value_text(d.learning_rate)))
    ("lr-schedule", "constant (the original recipe) or cosine (decay to 0 over --epochs)", cxxopts::value<std::string>()->default_value(to_string(d.lr_schedule)))
    ("weight-decay", "decoupled weight decay (AdamW), 0 to 1", cxxopts::value<std::string>()->default_value(option_value_text(d.weight_decay)))
    ("label-smoothing", "label smoothing of the cross-entropy, 0 to below 1", cxxopts::value<std::string>()->default_value(option_value_text(d.label_smoothing)))
    ("augment", "augmentation strength, 0 (none) to 2: 1 is shifts up to 2 px, rotations up to 10 deg, scale 0.9-1.1, elastic alpha 34 sigma 4", cxxopts::value<std::string>()->default_value(option_value_text(d.augment)))
    ("drawn-styles", "fraction of the training images redrawn each epoch in a random style of people's digits (thicker or thinner strokes, blur, low resolution, slant, another pen, broken strokes), 0 (none) to 1", cxxopts::value<std::string>()->default_value(option_value_text(d.drawn_styles)))
    ("val-split", "fraction of training images held out for validation (the last ones)", cxxopts::value<std::string>()->default_value(option_value_text(d.val_split)))
    ("seed", "random seed for initialisation, shuffling, dropout and augmentation", cxxopts::value<std::string>()->default_value(std::to_string(d.seed)))
    ("device", "auto, cpu, cuda or cuda:N", cxxopts::value<std::string>()->default_value(d.device))
    ("threads", "CPU threads for LibTorch and OpenBLAS (0: their defaults)", cxxopts::value<std::string>()->default_value(std::to_string(d.threads)))
    ("calibrate", "on or off: fit a temperature on held-out images (the validation split, else the last 10% of the training images; with --drawn-styles, their drawn variants too) and fold it into the exports; the original recipe is off", cxxopts::value<std::string>()->default_value(d.calibrate ? "on" : "off"))
    ("resume", "continue from <out-dir>/checkpoint.pt up to --epochs")
    ("init-from", "start from the weights of FILE (a Keras .h5 or a TorchScript .pt of the same architecture) instead of a fresh initialisation", cxxopts::value<std::string>(), "FILE")
    ("keras-input-range", kKerasInputRangeHelp, cxxopts::value<std::string>()->default_value(to_string(d.keras_input_range)))
    ("train-limit", "use only the first N training images (0: all)", cxxopts::value<std::string>()->default_value(std::to_string(d.train_limit)))
    ("test-limit", "use only the first N test images (0: all)", cxxopts::value<std::string>()->default_value(std::to_string(d.test_limit)))
    ("h,help", "show this help");
  return spec;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe(const TrainOptions& o) {
  return {{"recipe", to_string(o.recipe)},
          {"data_dir", o.data_dir.string()},
          {"out_dir", o.out_dir.string()},
          {"hidden", format_hidden_sizes(o.hidden)},
          {"dropout", option_value_text(o.dropout)},
          {"epochs", std::to_string(o.epochs)},
          {"batch_size", std::to_string(o.batch_size)},
          {"lr", option_value_text(o.learning_rate)},
          {"lr_schedule", to_string(o.lr_schedule)},
          {"weight_decay", option_value_text(o.weight_decay)},
          {"label_smoothing", option_value_text(o.label_smoothing)},
          {"augment", describe_augmentation(o.augment)},
          {"drawn_styles", option_value_text(o.drawn_styles)},
          {"val_split", option_value_text(o.val_split)},
          {"seed", std::to_string(o.seed)},
          {"device", o.device},
          {"threads", std::to_string(o.threads)},
          {"calibrate", o.calibrate ? "on" : "off"},
          {"calibration_holdout", option_value_text(calibration_holdout(o))},
          {"resume", o.resume ? "true" : "false"},
          {"init_from", o.init_from.string()},
          {"keras_input_range", to_string(o.keras_input_range)},
          {"train_limit", std::to_string(o.train_limit)},
          {"test_limit", std::to_string(o.test_limit)}};
}

LrSchedule parse_lr_schedule(const std::string& text) {
  if (text == "constant") return LrSchedule::kConstant;
  if (text == "cosine") return LrSchedule::kCosine;
  throw UsageError("--lr-schedule " + text + ": expected constant or cosine");
}

std::optional<TrainOptions> parse_train_args(const std::vector<std::string>& args,
                                             std::ostream& help_out) {
  cxxopts::Options spec = train_option_spec();
  const auto parsed = parse_or_help(spec, args, help_out);
  if (!parsed) return std::nullopt;
  reject_unmatched(*parsed);
  const auto text = [&](const char* name) { return (*parsed)[name].as<std::string>(); };
  TrainOptions o = recipe_options(parse_recipe(text("recipe")));
  const auto real = [&](const char* name, double& field) {
    if (parsed->count(name)) field = parse_real_option(name, text(name));
  };
  const auto integer = [&](const char* name, int64_t& field) {
    if (parsed->count(name)) field = parse_integer_option(name, text(name));
  };
  o.data_dir = text("data-dir");
  o.out_dir = text("out-dir");
  real("dropout", o.dropout);
  integer("epochs", o.epochs);
  integer("batch-size", o.batch_size);
  real("lr", o.learning_rate);
  real("weight-decay", o.weight_decay);
  real("label-smoothing", o.label_smoothing);
  real("augment", o.augment);
  real("drawn-styles", o.drawn_styles);
  real("val-split", o.val_split);
  integer("seed", o.seed);
  o.device = text("device");
  integer("threads", o.threads);
  o.resume = parsed->count("resume") > 0;
  if (parsed->count("init-from")) {
    o.init_from = text("init-from");
    if (o.init_from.empty()) throw UsageError("--init-from '': must name a .h5 or .pt model file");
  }
  o.keras_input_range = parse_keras_input_range(text("keras-input-range"));
  integer("train-limit", o.train_limit);
  integer("test-limit", o.test_limit);
  o.hidden = parse_hidden_sizes(text("hidden"));
  if (parsed->count("calibrate")) {
    const std::string calibrate = text("calibrate");
    if (calibrate != "on" && calibrate != "off") {
      throw UsageError("--calibrate " + calibrate + ": expected on or off");
    }
    o.calibrate = calibrate == "on";
  }
  if (parsed->count("lr-schedule")) o.lr_schedule = parse_lr_schedule(text("lr-schedule"));
  validate(o);
  return o;
}

}  // namespace mnist
