// What the command-line tools share at their edge: reading argv with cxxopts into UsageErrors
// that name the option, and running a command so that every failure becomes one line and an
// exit code (2 for usage, 1 for runtime failures, never a trace).
// Not for: the options of any one tool (train_options.h, evaluate_options.h, predict_options.h).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "export/keras_h5.h"

namespace cxxopts {
class Options;
class ParseResult;
}  // namespace cxxopts

namespace mnist {

// Where a tool writes, and whether its standard output is a terminal (live progress).
struct Console {
  std::ostream& out;
  std::ostream& err;
  bool out_is_terminal = false;
};

// A request to stop at the next safe point: whether one came, and the signal that sent it
// (the exit code is 128 + signal, as a shell reports a process the signal ended).
struct StopSource {
  std::function<bool()> requested;
  std::function<int()> signal;
};

// argv as strings, for the parsers and for tests that call them in-process.
std::vector<std::string> arguments_of(int argc, const char* const* argv);

// Parses `args` (args[0] is the program) with `spec`. --help prints the help to help_out and
// gives nullopt. cxxopts' own errors become UsageErrors; an option given twice with different
// values is a UsageError unless `lists` names it as meant to repeat.
std::optional<cxxopts::ParseResult> parse_or_help(cxxopts::Options& spec,
                                                  const std::vector<std::string>& args,
                                                  std::ostream& help_out,
                                                  const std::set<std::string>& lists = {});

// Throws UsageError for the first positional argument nobody asked for.
void reject_unmatched(const cxxopts::ParseResult& parsed);

// --keras-input-range, which every tool that reads a model takes: "255" or "1" (to_string is
// export/keras_h5.h's). Throws UsageError naming the option.
KerasInputRange parse_keras_input_range(const std::string& text);
inline constexpr const char* kKerasInputRangeHelp =
    "pixel range a Keras .h5 model was trained on: 255 (raw 0-255 pixels, as the Keras script) or 1";

// Runs body and turns what it throws into "<program>: <one line>" on err with exit code 2
// (UsageError, followed by "Try '<program> --help'.") or 1 (anything else).
int run_cli(const std::string& program, std::ostream& err, const std::function<int()>& body);

// The resolved options as `key=value` lines, what every command prints at start.
void print_options(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& options);

}  // namespace mnist
