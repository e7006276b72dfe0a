// Writing files so that no reader ever sees a half-written file under its final name:
// everything is written to a temporary file beside the target and renamed over it at the end.
// Not for: choosing file names or formats; the callers do that.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

namespace mnist {

// Calls write_to(temp_path), flushes the result to disk and renames it to final_path.
// Creates missing parent directories. On any failure the temporary file is removed, a previous
// file at final_path stays as it was, and the error is rethrown (as RuntimeError when it is ours).
void write_atomically(const std::filesystem::path& final_path,
                      const std::function<void(const std::filesystem::path& temp_path)>& write_to);

// Writes bytes (text, PNG, HDF5 or LibTorch archives alike) through write_atomically, checking
// every stream operation: the one way the project writes a finished file. Also the way to write
// LibTorch archives: serialise them into memory first, because LibTorch's own file writing
// aborts the process when a write fails part of the way (a full disk) and does not check its
// last write at all.
void write_file_atomically(const std::filesystem::path& final_path, std::string_view bytes);

// Fails with a RuntimeError naming the directory when files cannot be created in it
// (it is created first if missing). Lets a long run fail before its work, not after.
void ensure_writable_directory(const std::filesystem::path& directory);

}  // namespace mnist
