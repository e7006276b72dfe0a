// The two kinds of failure the library reports. The CLI edge (cli/command_line.h) turns them
// into one-line messages and exit codes; the library itself never prints or exits.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mnist {

// Something the user asked for is malformed or impossible (an option, a value): exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Doing what was asked failed (a file, the data, the device): exit code 1.
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The first non-blank line of a message: LibTorch's errors carry source excerpts and traces
// after it, and our messages are one line.
inline std::string one_line(const std::string& text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    if (text.find_first_not_of(" \t\r", begin) < end) return text.substr(begin, end - begin);
    begin = end + 1;
  }
  return text;
}

}  // namespace mnist
