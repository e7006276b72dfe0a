// Temporary-file-and-rename writing; see atomic_file.h.
#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/errors.h"

namespace mnist {
namespace fs = std::filesystem;

namespace {

fs::path temporary_path_for(const fs::path& final_path) {
  static std::atomic<unsigned> counter{0};
  return final_path.parent_path() / ("." + final_path.filename().string() + ".tmp-" +
                                     std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

// Without fsync a full disk can surface only after the rename, leaving a truncated file
// under the final name.
void flush_to_disk(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    throw RuntimeError(path.string() + ": cannot reopen to flush: " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int saved_errno = errno;
  ::close(fd);
  if (rc != 0) {
    throw RuntimeError(path.string() + ": cannot flush to disk: " + std::strerror(saved_errno));
  }
}

void create_parent_directories(const fs::path& path) {
  const fs::path parent = path.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    throw RuntimeError(parent.string() + ": cannot create directory: " + ec.message());
  }
}

}  // namespace

void write_atomically(const fs::path& final_path,
                      const std::function<void(const fs::path& temp_path)>& write_to) {
  create_parent_directories(final_path);
  const fs::path temp_path = temporary_path_for(final_path);
  try {
    write_to(temp_path);
    flush_to_disk(temp_path);
    std::error_code ec;
    fs::rename(temp_path, final_path, ec);
    if (ec) {
      throw RuntimeError(final_path.string() + ": cannot move the finished file into place: " +
                         ec.message());
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp_path, ignored);
    throw;
  }
}

void write_file_atomically(const fs::path& final_path, std::string_view bytes) {
  write_atomically(final_path, [&](const fs::path& temp_path) {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw RuntimeError(final_path.string() + ": cannot open for writing: " + std::strerror(errno));
    }
    errno = 0;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      const int saved_errno = errno;
      throw RuntimeError(final_path.string() + ": write failed (" +
                         (saved_errno != 0 ? std::string(std::strerror(saved_errno)) + "; " : "") +
                         "disk full?)");
    }
  });
}

void ensure_writable_directory(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    throw RuntimeError(directory.string() + ": cannot create output directory: " + ec.message());
  }
  if (!fs::is_directory(directory)) {
    throw RuntimeError(directory.string() + ": not a directory");
  }
  const fs::path probe = temporary_path_for(directory / "write-probe");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    throw RuntimeError(directory.string() + ": output directory is not writable: " +
                       std::strerror(errno));
  }
  ::close(fd);
  fs::remove(probe, ec);
}

}  // namespace mnist
