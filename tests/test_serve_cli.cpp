// mnist-serve as a process: it prints the address it listens on, answers there, and SIGTERM
// stops it cleanly (exit 0, a last line saying what it did); bad options and models are one
// line with exit 2 or 1 before anything listens.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <regex>
#include <string>

#include "cli_expectations.h"
#include "export/torchscript.h"
#include "model/model.h"
#include "test_support.h"

namespace fs = std::filesystem;
using mnist::test::ChildProcess;
using mnist::test::ChildResult;

namespace {

const std::string kServeBinary = MNIST_SERVE_BINARY;

fs::path small_model(const fs::path& dir) {
  torch::manual_seed(3);
  mnist::ModelSpec spec;
  spec.hidden = {16};
  const fs::path path = dir / "mnist_mlp.pt";
  mnist::export_torchscript(mnist::build_mlp(spec), path, R"({"name": "mnist_mlp"})");
  return path;
}

}  // namespace

TEST(ServeCli, ListensOnTheAddressItPrintsAndStopsOnSigterm) {
  mnist::test::TempDir dir;
  ChildProcess server({kServeBinary, "--port", "0", "--model", small_model(dir.path()).string()});
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  ASSERT_TRUE(server.wait_for_line(listening, 60)) << server.output();
  std::smatch match;
  const std::string out = server.output();
  ASSERT_TRUE(std::regex_search(out, match, listening)) << out;
  httplib::Client client("127.0.0.1", std::stoi(match[1]));
  const auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(client.Get("/v1/model")->body, R"({"name": "mnist_mlp"})");

  server.send_signal(SIGTERM);
  const ChildResult result = server.finish();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_NE(result.out.find("model=" + (dir.path() / "mnist_mlp.pt").string()), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("stopped: 0 digits classified in 0 batches"), std::string::npos) << result.out;
}

TEST(ServeCli, BadOptionsAndModelsFailBeforeListening) {
  mnist::test::TempDir dir;
  mnist::test::expect_usage_error(mnist::test::run_command({kServeBinary, "--port", "70000"}), "mnist-serve",
                                  "--port 70000: must be from 0 (any free port) to 65535");
  mnist::test::expect_usage_error(mnist::test::run_command({kServeBinary, "--max-batch", "0"}), "mnist-serve",
                                  "--max-batch 0: must be an integer from 1 (no batching) to 4096");
  mnist::test::expect_usage_error(mnist::test::run_command({kServeBinary, "--batch-window", "abc"}), "mnist-serve",
                                  "--batch-window abc: not a number");
  const auto missing = mnist::test::run_command({kServeBinary, "--port", "0", "--model", (dir.path() / "none.pt").string()});
  mnist::test::expect_one_line_failure(missing, "mnist-serve", (dir.path() / "none.pt").string(), "missing");
  EXPECT_EQ(missing.out.find("listening"), std::string::npos);
  const auto help = mnist::test::run_command({kServeBinary, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  mnist::test::expect_help_defaults(help.out, {{"--model", "models/mnist_mlp.pt"}, {"--keras-input-range", "255"}, {"--host", "127.0.0.1"},
                                               {"--port", "8080"}, {"--max-batch", "32"}, {"--batch-window", "2"},
                                               {"--max-queue", "1024"}, {"--max-body", "4194304"},
                                               {"--max-pixels", "16000000"}, {"--http-threads", "64"},
                                               {"--timeout", "5"}, {"--device", "cpu"}, {"--threads", "1"},
                                               {"--uncertain-below", "0.8"}});
}

TEST(ServeCli, AnAddressInUseIsOneLine) {
  mnist::test::TempDir dir;
  httplib::Server occupant;  // with httplib's default SO_REUSEPORT, which mnist-serve does not share
  const int port = occupant.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  const auto result = mnist::test::run_command(
      {kServeBinary, "--port", std::to_string(port), "--model", small_model(dir.path()).string()});
  mnist::test::expect_one_line_failure(result, "mnist-serve", "127.0.0.1:" + std::to_string(port), "cannot listen there");
}
