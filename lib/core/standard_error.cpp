// Capturing standard error around library calls; see standard_error.h.
#include "core/standard_error.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <iostream>

#include "core/errors.h"

namespace mnist {

namespace {

// One in-memory file for every capture of the process, emptied before each: captures take turns.
int capture_file() {
  static const int fd = ::memfd_create("mnist-standard-error", MFD_CLOEXEC);
  return fd;
}

std::string first_line_of(int fd) {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const ssize_t got = ::pread(fd, buffer, sizeof buffer, offset);
    if (got <= 0) break;
    text.append(buffer, static_cast<size_t>(got));
    offset += got;
    if (text.size() > 65536) break;  // the first line is all we keep
  }
  std::string line = one_line(text);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// Points descriptor 2 at `target` until destroyed.
class Redirection {
 public:
  explicit Redirection(int target) {
    std::cerr.flush();
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    if (saved_ >= 0 && ::dup2(target, STDERR_FILENO) < 0) {
      ::close(saved_);
      saved_ = -1;
    }
  }
  ~Redirection() {
    if (saved_ < 0) return;
    std::cerr.flush();
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  Redirection(const Redirection&) = delete;
  Redirection& operator=(const Redirection&) = delete;
  bool active() const { return saved_ >= 0; }

 private:
  int saved_ = -1;
};

}  // namespace

std::mutex& standard_error_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::string capture_standard_error(const std::function<void()>& action) {
  const std::lock_guard<std::mutex> lock(standard_error_mutex());
  const int fd = capture_file();
  // Emptied, and written from its start again (descriptor 2 will share this file offset); when
  // that fails there is no capture and the messages go where they always went.
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    action();
    return "";
  }
  {
    const Redirection redirection(fd);
    if (!redirection.active()) {
      action();
      return "";
    }
    action();
  }
  return first_line_of(fd);
}

void write_error_line(const std::string& line) {
  const std::lock_guard<std::mutex> lock(standard_error_mutex());
  std::cerr << line << std::endl;
}

}  // namespace mnist
