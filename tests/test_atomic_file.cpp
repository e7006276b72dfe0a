// Atomic writing: the final name holds either the old file or the complete new one.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST(AtomicFile, WritesTextAndCreatesParents) {
  mnist::test::TempDir dir;
  const fs::path target = dir.path() / "a" / "b" / "file.txt";
  mnist::write_file_atomically(target, "hello\n");
  EXPECT_EQ(read_all(target), "hello\n");
  EXPECT_EQ(mnist::test::count_files(dir.path() / "a" / "b"), 1) << "temporary file left behind";
}

TEST(AtomicFile, FailedWriteKeepsOldFileAndLeavesNoTemporary) {
  mnist::test::TempDir dir;
  const fs::path target = dir.path() / "model.bin";
  mnist::write_file_atomically(target, "good");
  EXPECT_THROW(mnist::write_atomically(target,
                                       [](const fs::path& temp) {
                                         std::ofstream(temp) << "half";
                                         throw mnist::RuntimeError("simulated failure");
                                       }),
               mnist::RuntimeError);
  EXPECT_EQ(read_all(target), "good");
  EXPECT_EQ(mnist::test::count_files(dir.path()), 1);
}

TEST(AtomicFile, WriterThatWritesNothingIsAnError) {
  mnist::test::TempDir dir;
  EXPECT_THROW(mnist::write_atomically(dir.path() / "x", [](const fs::path&) {}),
               mnist::RuntimeError);
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
}

TEST(AtomicFile, UnwritableDirectoryIsReportedUpFront) {
  mnist::test::TempDir dir;
  const fs::path file_in_the_way = dir.path() / "not-a-dir";
  std::ofstream(file_in_the_way) << "x";
  try {
    mnist::ensure_writable_directory(file_in_the_way / "sub");
    FAIL() << "expected an error";
  } catch (const mnist::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("not-a-dir"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(mnist::ensure_writable_directory(dir.path() / "new" / "dir"));
  EXPECT_TRUE(fs::is_directory(dir.path() / "new" / "dir"));
}
