// A Keras model read in a child process; see keras_h5_isolated.h.
#include "export/keras_h5_isolated.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "core/errors.h"

namespace mnist::keras_h5_detail {

namespace {

// The child's answer: a status byte, then the model or the error message.
enum class Answer : char { kModel = 'M', kError = 'E' };

void put_size(std::string& out, uint64_t size) { out.append(reinterpret_cast<const char*>(&size), sizeof size); }

void put_text(std::string& out, const std::string& text) {
  put_size(out, text.size());
  out += text;
}

void put_floats(std::string& out, const std::vector<float>& values) {
  put_size(out, values.size());
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

std::string encode(const KerasModel& model) {
  std::string out(1, static_cast<char>(Answer::kModel));
  put_text(out, model.keras_version);
  put_text(out, model.backend);
  out += model.weights_only ? '1' : '0';
  put_size(out, model.layers.size());
  for (const DenseLayerWeights& layer : model.layers) {
    put_size(out, static_cast<uint64_t>(layer.inputs));
    put_size(out, static_cast<uint64_t>(layer.units));
    put_floats(out, layer.kernel);
    put_floats(out, layer.bias);
    put_text(out, layer.activation);
  }
  return out;
}

// Reads back what encode() wrote; the bytes come from our own child, so a short read means it died.
class Decoder {
 public:
  Decoder(std::string_view bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {}

  uint64_t size() {
    uint64_t value = 0;
    std::memcpy(&value, take(sizeof value).data(), sizeof value);
    return value;
  }
  std::string text() { return std::string(take(size())); }
  std::vector<float> floats() {
    const uint64_t count = size();
    if (count > bytes_.size() / sizeof(float)) truncated();
    std::vector<float> values(count);
    std::memcpy(values.data(), take(count * sizeof(float)).data(), count * sizeof(float));
    return values;
  }
  char byte() { return take(1)[0]; }

 private:
  std::string_view take(uint64_t count) {
    if (count > bytes_.size() - at_) truncated();
    const std::string_view part = bytes_.substr(at_, count);
    at_ += count;
    return part;
  }
  [[noreturn]] void truncated() const {
    throw RuntimeError(name_ + ": the process reading it ended before its answer was complete");
  }

  std::string_view bytes_;
  std::string name_;
  size_t at_ = 0;
};

KerasModel decode(std::string_view bytes, const std::string& name) {
  Decoder in(bytes, name);
  KerasModel model;
  model.keras_version = in.text();
  model.backend = in.text();
  model.weights_only = in.byte() == '1';
  const uint64_t layers = in.size();
  for (uint64_t i = 0; i < layers; ++i) {
    DenseLayerWeights layer;
    layer.inputs = static_cast<int64_t>(in.size());
    layer.units = static_cast<int64_t>(in.size());
    layer.kernel = in.floats();
    layer.bias = in.floats();
    layer.activation = in.text();
    model.layers.push_back(std::move(layer));
  }
  return model;
}

bool write_all(int fd, const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

std::string read_all(int fd) {
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return bytes;
    bytes.append(buffer, static_cast<size_t>(n));
  }
}

// HDF5 trusting a damaged length also allocates without end (tests/fuzz found files that took
// 1.5 GB in 5 s): the child may map kReadMemoryBytes more than it inherited, after which malloc
// fails. RLIMIT_DATA (private writable mappings, since Linux 4.7) rather than RLIMIT_AS, which
// AddressSanitizer's shadow memory would exceed at once; relative, for the same reason.
constexpr uint64_t kReadMemoryBytes = uint64_t{2} << 30;

void limit_memory_growth() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    uint64_t kilobytes = 0;
    if (std::sscanf(line.c_str(), "VmData: %" SCNu64 " kB", &kilobytes) == 1) {
      const rlim_t bytes = static_cast<rlim_t>(kilobytes * 1024 + kReadMemoryBytes);
      const rlimit limit{bytes, bytes};
      ::setrlimit(RLIMIT_DATA, &limit);  // best effort: without it the deadline still ends the child
      return;
    }
  }
}

// In the child: read, answer, and leave without running the parent's exit handlers. Signals that
// end a process end the child itself, whatever the parent installed for them; a file HDF5 loops
// on ends it after `deadline`.
[[noreturn]] void answer_and_exit(int fd, const std::string& name, std::chrono::seconds deadline,
                                  const std::function<KerasModel()>& read) {
  for (const int signal_number : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM}) std::signal(signal_number, SIG_DFL);
  ::alarm(static_cast<unsigned>(deadline.count()));
  limit_memory_growth();
  std::string answer;
  try {
    answer = encode(read());
  } catch (const std::bad_alloc&) {
    answer = std::string(1, static_cast<char>(Answer::kError)) + name + ": reading it needed more than " +
             std::to_string(kReadMemoryBytes >> 30) + " GB of memory: a damaged or hostile .h5 file";
  } catch (const std::exception& e) {
    answer = std::string(1, static_cast<char>(Answer::kError)) + e.what();
  }
  _exit(write_all(fd, answer) ? 0 : 1);
}

std::string system_error(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

KerasModel read_in_child_process(const std::string& name, std::chrono::seconds deadline,
                                 const std::function<KerasModel()>& read) {
  if (deadline.count() < 1) throw std::invalid_argument("read_in_child_process: a deadline of at least 1 s");
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw RuntimeError(name + ": " + system_error("cannot create a pipe to read it"));
  const pid_t child = ::fork();
  if (child < 0) {
    const std::string message = system_error("cannot start a process to read it");
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw RuntimeError(name + ": " + message);
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    answer_and_exit(pipe_fds[1], name, deadline, read);
  }
  ::close(pipe_fds[1]);
  const std::string answer = read_all(pipe_fds[0]);
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    throw RuntimeError(name + ": HDF5 did not finish reading it in " + std::to_string(deadline.count()) +
                       " s: a damaged or hostile .h5 file");
  }
  // Killed by a signal, or (under a sanitizer, which reports and exits) ended without answering.
  if (WIFSIGNALED(status) || answer.empty()) {
    throw RuntimeError(name + ": HDF5 crashed reading it: a damaged or hostile .h5 file");
  }
  if (answer[0] == static_cast<char>(Answer::kError)) throw RuntimeError(answer.substr(1));
  return decode(std::string_view(answer).substr(1), name);
}

}  // namespace mnist::keras_h5_detail
