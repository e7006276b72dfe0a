// Running a command-line tool from a test and checking how it failed: a runtime failure is one
// clean line (exit 1), a usage error one line plus the --help hint (exit 2), and nothing of a
// crash or of LibTorch's internals reaches the user.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <ATen/Parallel.h>

#include <filesystem>
#include <sstream>

#include "child_process.h"
#include "cli/convert_command.h"
#include "cli/evaluate_command.h"
#include "cli/predict_command.h"
#include "cli/train_command.h"

namespace mnist::test {

// The tools as built with this test (their paths come from tests/CMakeLists.txt), and the
// option that points them at the real MNIST files.
inline const std::string kTrainBinary = MNIST_TRAIN_BINARY;
inline const std::string kEvaluateBinary = MNIST_EVALUATE_BINARY;
inline const std::string kPredictBinary = MNIST_PREDICT_BINARY;
inline const std::string kDataDirOption = std::string("--data-dir ") + MNIST_TEST_DATA_DIR;

inline ChildResult run_command(const std::vector<std::string>& argv,
                               std::optional<rlim_t> file_size_limit = std::nullopt) {
  ChildProcess child(argv, file_size_limit);
  return child.finish();
}

// Runs a tool in this process, as its main would (argv[0] names the tool: mnist-train,
// mnist-evaluate or mnist-predict, by path or by name), capturing what it prints: the code a
// main runs, at the cost of a function call instead of a process start (mnist-convert too). What only a process
// shows (signals, resource limits, another user) stays with run_command.
inline ChildResult run_tool(const std::vector<std::string>& argv) {
  std::ostringstream out;
  std::ostringstream err;
  const Console console{out, err, /*out_is_terminal=*/false};
  // --threads changes the process-wide thread count; the next test must start from the default.
  const int threads = at::get_num_threads();
  const std::string tool = std::filesystem::path(argv.at(0)).filename().string();
  ChildResult result;
  if (tool == "mnist-train") {
    result.exit_code = run_train_cli(argv, console);
  } else if (tool == "mnist-evaluate") {
    result.exit_code = run_evaluate_cli(argv, console);
  } else if (tool == "mnist-predict") {
    result.exit_code = run_predict_cli(argv, console);
  } else if (tool == "mnist-convert") {
    result.exit_code = run_convert_cli(argv, console);
  } else {
    ADD_FAILURE() << "run_tool: not a tool: " << argv.at(0);
  }
  at::set_num_threads(threads);
  result.out = out.str();
  result.err = err.str();
  return result;
}

// A command line as a user types it, through /bin/sh: quoting works ('' is an empty argument).
inline ChildResult run_shell(const std::string& command_line) {
  return run_command({"/bin/sh", "-c", command_line});
}

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline size_t line_count(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The entry of `option` (e.g. "--epochs") in a tool's --help text, its lines joined and its
// whitespace collapsed; empty when the help has no such entry.
inline std::string option_help(const std::string& help, const std::string& option) {
  std::istringstream lines(help);
  std::string entry;
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    // An option starts at the left margin (cxxopts indents it by 2, or by 6 without a short
    // name); a wrapped description line is indented further and may begin with "--" too.
    const size_t first = line.find_first_not_of(' ');
    const bool starts_entry = first != std::string::npos && first <= 6 && line[first] == '-';
    if (starts_entry) {
      if (inside) break;
      const std::string head = line.substr(first, line.find(' ', first) - first);
      inside = head == option || head == option.substr(0, 2) + "," || line.find(", " + option + " ") != std::string::npos;
    }
    if (inside) entry += line + " ";
  }
  std::string collapsed;
  for (const char c : entry) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  return collapsed;
}

// Every option in `defaults` has an entry in the help, showing "(default: <value>)" when a value
// is given (an empty value: a flag without a default).
inline void expect_help_defaults(const std::string& help,
                                 const std::vector<std::pair<std::string, std::string>>& defaults) {
  for (const auto& [option, value] : defaults) {
    const std::string entry = option_help(help, option);
    EXPECT_FALSE(entry.empty()) << option << " missing from the help:\n" << help;
    if (!value.empty()) {
      EXPECT_NE(entry.find("(default: " + value + ")"), std::string::npos) << option << ": " << entry;
    }
  }
}

// Nothing of a crash or of LibTorch's internals reached the user.
inline void expect_no_trace(const ChildResult& run) {
  EXPECT_EQ(run.term_signal, 0) << "killed by signal " << run.term_signal << ": " << run.err;
  for (const char* trace : {"Exception raised from", "terminate called", "frame #", "Traceback", "Aborted"}) {
    EXPECT_EQ(run.err.find(trace), std::string::npos) << "'" << trace << "' in: " << run.err;
  }
}

// "<program>: ...<phrase>..." and "Try '<program> --help'.", exit 2.
inline void expect_usage_error(const ChildResult& run, const std::string& program, const std::string& phrase) {
  expect_no_trace(run);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.err.rfind(program + ": ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find(phrase), std::string::npos) << "lacks '" << phrase << "': " << run.err;
  EXPECT_EQ(line_count(run.err), 2u) << run.err;
  const std::string hint = "\nTry '" + program + " --help'.\n";
  EXPECT_TRUE(run.err.size() > hint.size() && run.err.compare(run.err.size() - hint.size(), hint.size(), hint) == 0)
      << run.err;
}

// A usage error (exit 2, as above), or a runtime failure (exit 1): "<program>: ...<phrase>...",
// one line.
inline void expect_one_line_error(const ChildResult& run, const std::string& program, int exit_code,
                                  const std::string& phrase) {
  if (exit_code == 2) return expect_usage_error(run, program, phrase);
  expect_no_trace(run);
  EXPECT_EQ(run.exit_code, exit_code) << run.err;
  EXPECT_EQ(run.err.rfind(program + ": ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find(phrase), std::string::npos) << "lacks '" << phrase << "': " << run.err;
  EXPECT_EQ(line_count(run.err), 1u) << run.err;
}

// "<program>: <subject>: ...<problem>...", one line, exit 1.
inline void expect_one_line_failure(const ChildResult& run, const std::string& program,
                                    const std::string& subject, const std::string& problem) {
  expect_one_line_error(run, program, 1, problem);
  EXPECT_EQ(run.err.rfind(program + ": " + subject + ": ", 0), 0u) << run.err;
}

}  // namespace mnist::test
