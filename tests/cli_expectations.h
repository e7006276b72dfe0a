// Running a command-line tool from a test and checking how it failed: a runtime failure is one
// clean line (exit 1), a usage error one line plus the --help hint (exit 2), and nothing of a
// crash or of LibTorch's internals reaches the user.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"

namespace mnist::test {

inline ChildResult run_command(const std::vector<std::string>& argv,
                               std::optional<rlim_t> file_size_limit = std::nullopt) {
  ChildProcess child(argv, file_size_limit);
  return child.finish();
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
