// Small helpers shared by the tests: the message of an expected error, a self-removing temporary
// directory, file counting, reading a whole file, the figures of a training log, and waiting for
// a condition.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

namespace mnist::test {

// The message of the Error (mnist::UsageError, mnist::RuntimeError, or std::runtime_error for
// either) that action throws, or "(no error)" when it throws none; any other exception escapes
// and fails the test.
template <class Error>
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mnist-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A train_log.csv without its timing column: what two runs of the same training must share.
inline std::string log_figures(const std::filesystem::path& log) {
  std::string kept;
  std::istringstream rows(read_file(log));
  for (std::string row; std::getline(rows, row);) kept += row.substr(0, row.rfind(',')) + "\n";
  return kept;
}

inline int count_files(const std::filesystem::path& directory) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
  return count;
}

// Polls `condition` until it holds (true) or `limit` has passed (false). For what a test must
// wait for and has no notification of, such as a server's queue reaching a length; the limit is
// generous, so that a slow machine makes the test slower, never red.
template <class Condition>
bool eventually(const Condition& condition, std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mnist::test
