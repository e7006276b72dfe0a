// Running a command-line program from a test as a child process that the test can watch and
// signal: its stdout and stderr are captured, it can be signalled after a given line appears,
// and it can be started with a file-size limit, so that its writes fail as on a full disk, or
// with few file descriptors, so that it runs out of them.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace mnist::test {

struct ChildResult {
  int exit_code = -1;   // -1 when a signal ended the child
  int term_signal = 0;  // the signal that ended it; 0 when it exited
  std::string out;      // stdout
  std::string err;      // stderr
};

class ChildProcess {
 public:
  // Starts argv[0] (a path) with the rest as arguments. A file_size_limit makes every write past
  // that many bytes of a file fail with EFBIG (SIGXFSZ is ignored in the child), as a full disk
  // does. An open_files_limit sets RLIMIT_NOFILE (soft and hard). SIGINT and SIGTERM start at
  // their defaults whatever the test runner inherited.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        std::optional<rlim_t> file_size_limit = std::nullopt,
                        std::optional<rlim_t> open_files_limit = std::nullopt) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed: errno " << errno;
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec: the test process may have threads.
      ::dup2(out_pipe[1], STDOUT_FILENO);
      ::dup2(err_pipe[1], STDERR_FILENO);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      if (file_size_limit) {
        ::signal(SIGXFSZ, SIG_IGN);
        const struct rlimit limit {*file_size_limit, *file_size_limit};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      if (open_files_limit) {
        const struct rlimit limit {*open_files_limit, *open_files_limit};
        ::setrlimit(RLIMIT_NOFILE, &limit);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
    if (pid_ < 0) ADD_FAILURE() << "fork failed: errno " << errno;
  }

  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    close_fd(out_fd_);
    close_fd(err_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads the child's output until its stdout holds `text`. False when the child closed stdout
  // first or nothing came for timeout_seconds.
  bool wait_for_output(const std::string& text, int timeout_seconds = 120) {
    return wait_until([&] { return out_.find(text) != std::string::npos; }, timeout_seconds);
  }

  // The same, until a line of stdout matches `line` (a whole line, without its newline).
  bool wait_for_line(const std::regex& line, int timeout_seconds = 120) {
    return wait_until(
        [&] {
          std::istringstream lines(out_.substr(0, out_.rfind('\n') + 1));
          for (std::string text; std::getline(lines, text);) {
            if (std::regex_match(text, line)) return true;
          }
          return false;
        },
        timeout_seconds);
  }

  // What the child has printed on stdout so far.
  const std::string& output() const { return out_; }

  void send_signal(int signal_number) { ::kill(pid_, signal_number); }

  pid_t pid() const { return pid_; }

  // Reads both streams to their end and waits for the child to exit.
  ChildResult finish() {
    while (out_fd_ >= 0 || err_fd_ >= 0) pump(/*timeout_ms=*/-1);
    ChildResult result;
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
    }
    result.out = out_;
    result.err = err_;
    return result;
  }

 private:
  template <typename Done>
  bool wait_until(const Done& done, int timeout_seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (!done()) {
      if (out_fd_ < 0 || std::chrono::steady_clock::now() > deadline) return false;
      pump(/*timeout_ms=*/1000);
    }
    return true;
  }

  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  // Waits up to timeout_ms for output on either stream and appends what came; a stream at its
  // end is closed. Reading both keeps a child that fills one pipe from blocking.
  void pump(int timeout_ms) {
    std::array<pollfd, 2> fds{{{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
    std::array<char, 4096> buffer{};
    const auto drain = [&](const pollfd& polled, int& fd, std::string& sink) {
      if (fd < 0 || (polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
      const ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n > 0) {
        sink.append(buffer.data(), static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close_fd(fd);
      }
    };
    drain(fds[0], out_fd_, out_);
    drain(fds[1], err_fd_, err_);
  }

  pid_t pid_ = -1;
  bool reaped_ = false;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

}  // namespace mnist::test
