// mnist-serve's service in this process, through a real HTTP client on an ephemeral port: every
// endpoint, every refusal with its status and message, concurrent requests answered as
// sequential ones are and batched together, a full queue, a stop with requests in flight (also
// those still waiting for an HTTP thread), and a listening socket that fails. Tests that need
// requests to be somewhere (in the model's queue, behind a busy HTTP thread) wait until the
// service says they are, with batch windows long enough that nothing leaves before the test lets it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "data/mnist_dataset.h"
#include "export/torchscript.h"
#include "image/image_preprocess.h"
#include "inference/digit_classifier.h"
#include "model/model.h"
#include "raw_http.h"
#include "serve/digit_service.h"
#include "test_support.h"

using json = nlohmann::json;

namespace {

torch::jit::Module untrained_model() {
  torch::manual_seed(11);
  mnist::ModelSpec spec;
  spec.hidden = {64};
  return mnist::to_torchscript(mnist::build_mlp(spec));
}

// The first `count` MNIST test images as PNG files' bytes.
std::vector<std::string> mnist_pngs(int count) {
  const auto test = mnist::load_mnist(MNIST_TEST_DATA_DIR, mnist::MnistSplit::kTest, count);
  std::vector<std::string> pngs;
  for (int i = 0; i < count; ++i) {
    const auto pixels = test.images[i].reshape({-1}).contiguous();
    const std::vector<float> field(pixels.data_ptr<float>(), pixels.data_ptr<float>() + pixels.numel());
    const auto png = mnist::encode_digit_png(field);
    pngs.emplace_back(png.begin(), png.end());
  }
  return pngs;
}

// A 1x1 PNG header claiming width x height, no pixel data.
std::string png_claiming(uint32_t width, uint32_t height) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (const uint32_t value : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  bytes += std::string("\x08\x00\x00\x00\x00", 5);
  bytes += std::string(4, '\0');  // CRC, unchecked by the header reader
  return bytes;
}

// A service on 127.0.0.1 and a free port, serving on a thread of its own until destroyed.
class RunningService {
 public:
  explicit RunningService(mnist::ServiceOptions options = {}, torch::jit::Module model = untrained_model())
      : service_(std::move(model), "test-model.pt", R"({"name":"mnist_mlp","architecture":"784-64-10"})",
                 torch::kCPU, options) {
    port_ = service_.bind("127.0.0.1", 0);
    thread_ = std::thread([this] { service_.run(); });
  }
  ~RunningService() { stop(); }
  void stop() {
    service_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(std::chrono::seconds(20));
    return client;
  }
  mnist::DigitService& service() { return service_; }
  int port() const { return port_; }

 private:
  mnist::DigitService service_;
  int port_ = 0;
  std::thread thread_;
};

void expect_error(const httplib::Result& result, int status, const std::string& phrase) {
  ASSERT_TRUE(result) << "no response: " << httplib::to_string(result.error());
  EXPECT_EQ(result->status, status) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << result->body;
  EXPECT_NE(body["error"].get<std::string>().find(phrase), std::string::npos) << result->body;
}

// The listening socket of this process on `port`; -1 when there is none.
int listening_socket_on(int port) {
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int listening = 0;
    socklen_t flag_length = sizeof listening;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 && address.sin_family == AF_INET &&
        ntohs(address.sin_port) == port &&
        ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_length) == 0 && listening) {
      return fd;
    }
  }
  return -1;
}

// The sockets of connections this process accepted on `port` (not the listening one).
std::vector<int> accepted_sockets_on(int port) {
  std::vector<int> sockets;
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int listening = 1;
    socklen_t flag_length = sizeof listening;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 && address.sin_family == AF_INET &&
        ntohs(address.sin_port) == port &&
        ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_length) == 0 && !listening) {
      sockets.push_back(fd);
    }
  }
  return sockets;
}

// A batch window no test outlasts: requests stay in the queue until the test stops the service.
constexpr auto kForever = std::chrono::hours(1);

}  // namespace

TEST(Serve, PageHealthModelCardAndMetrics) {
  RunningService running;
  auto client = running.client();
  const auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<canvas"), std::string::npos);
  EXPECT_EQ(page->body, mnist::draw_digit_page());

  const auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  const auto card = client.Get("/v1/model");
  ASSERT_TRUE(card);
  EXPECT_EQ(json::parse(card->body)["architecture"], "784-64-10");

  const auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_NE(metrics->body.find("mnist_http_requests_total{route=\"/healthz\",status=\"200\"} 1"),
            std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("mnist_model_batch_size_count 0"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("mnist_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"),
            std::string::npos) << metrics->body;
}

TEST(Serve, AnImageAnswersLikeTheModelDoes) {
  RunningService running;
  auto client = running.client();
  const auto png = mnist_pngs(1).front();
  const auto result = client.Post("/v1/predict", png, "image/png");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json answer = json::parse(result->body);

  auto model = untrained_model();
  const auto prepared = mnist::prepare_digit(std::vector<uint8_t>(png.begin(), png.end()));
  const auto expected = mnist::classify_digits(model, "direct", {prepared.pixels}, torch::kCPU).front();
  EXPECT_EQ(answer["digit"], expected.digit);
  EXPECT_NEAR(answer["probability"].get<double>(), expected.probability, 1e-5);
  ASSERT_EQ(answer["probabilities"].size(), 10u);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(answer["probabilities"][k].get<double>(), expected.probabilities[k], 1e-5);
  ASSERT_EQ(answer["top"].size(), 3u);
  EXPECT_EQ(answer["top"][0]["digit"], expected.digit);
  EXPECT_EQ(answer["inverted"], false);
  EXPECT_EQ(answer["already_mnist"], true);
  EXPECT_EQ(answer["source"]["format"], "PNG");
  EXPECT_EQ(answer["input"]["width"], 28);
  EXPECT_EQ(answer["input"]["png_base64"], mnist::base64(mnist::encode_digit_png(prepared.pixels)));
  for (const char* part : {"prepare", "queue", "model", "total"}) EXPECT_GE(answer["timing_ms"][part].get<double>(), 0);
}

TEST(Serve, AnswersOnAKeptAliveConnectionDoNotWaitForDelayedAcks) {
  // With Nagle's algorithm on, each answer's body waited for the client's delayed ACK (40 ms on
  // Linux): 20 answers took over 800 ms on one connection. A time limit would also catch a busy
  // machine, so the test checks the cause: every accepted connection has TCP_NODELAY.
  RunningService running;
  auto client = running.client();
  client.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    const auto health = client.Get("/healthz");
    ASSERT_TRUE(health);
    ASSERT_EQ(health->status, 200);
  }
  const std::vector<int> accepted = accepted_sockets_on(running.port());
  ASSERT_EQ(accepted.size(), 1u) << "the kept-alive connection is not the only one accepted";
  int no_delay = 0;
  socklen_t length = sizeof no_delay;
  ASSERT_EQ(::getsockopt(accepted[0], IPPROTO_TCP, TCP_NODELAY, &no_delay, &length), 0);
  EXPECT_NE(no_delay, 0) << "answers wait for the client's delayed ACK (Nagle's algorithm is on)";
}

TEST(Serve, MultipartAndJsonPixelsGiveTheSameAnswer) {
  RunningService running;
  auto client = running.client();
  const auto png = mnist_pngs(1).front();
  const auto direct = client.Post("/v1/predict", png, "application/octet-stream");
  httplib::MultipartFormDataItems items = {{"image", png, "digit.png", "image/png"}};
  const auto multipart = client.Post("/v1/predict", items);
  const auto prepared = mnist::prepare_digit(std::vector<uint8_t>(png.begin(), png.end()));
  const auto flat = client.Post("/v1/predict", json{{"pixels", prepared.pixels}}.dump(), "application/json");
  json rows = json::array();
  for (int r = 0; r < 28; ++r) rows.push_back(std::vector<float>(prepared.pixels.begin() + r * 28, prepared.pixels.begin() + (r + 1) * 28));
  const auto nested = client.Post("/v1/predict", json{{"pixels", rows}}.dump(), "application/json; charset=utf-8");
  for (const auto* result : {&direct, &multipart, &flat, &nested}) {
    ASSERT_TRUE(*result);
    ASSERT_EQ((*result)->status, 200) << (*result)->body;
  }
  const auto probabilities = [](const httplib::Result& r) { return json::parse(r->body)["probabilities"]; };
  EXPECT_EQ(probabilities(direct), probabilities(multipart));
  EXPECT_EQ(probabilities(direct), probabilities(flat));
  EXPECT_EQ(probabilities(direct), probabilities(nested));
  EXPECT_EQ(json::parse(flat->body)["source"]["format"], "pixels");
}

TEST(Serve, EveryRefusalIsJsonWithItsStatus) {
  mnist::ServiceOptions options;
  options.limits.max_body_bytes = 64 * 1024;
  options.limits.max_pixels = 1'000'000;
  RunningService running(options);
  auto client = running.client();
  const auto png = mnist_pngs(1).front();

  expect_error(client.Post("/v1/predict", "hello, not an image", "image/png"), 400, "not an image in a supported format");
  expect_error(client.Post("/v1/predict", png.substr(0, png.size() / 2), "image/png"), 400, "cannot decode the PNG data");
  const std::vector<float> blank(784, 0.0f);
  const auto blank_png = mnist::encode_digit_png(blank);
  expect_error(client.Post("/v1/predict", std::string(blank_png.begin(), blank_png.end()), "image/png"), 400,
               "no digit found");
  expect_error(client.Post("/v1/predict", "{\"pixels\": [1, 2", "application/json"), 400, "malformed JSON");
  expect_error(client.Post("/v1/predict", R"({"pixels": [0.5, 0.5]})", "application/json"), 400,
               "must hold 784 values");
  expect_error(client.Post("/v1/predict", json{{"pixels", std::vector<double>(784, 1.5)}}.dump(), "application/json"),
               400, "values must be in [0, 1]");
  expect_error(client.Post("/v1/predict", R"({"image": []})", "application/json"), 400, "array \"pixels\"");
  expect_error(client.Post("/v1/predict", std::string(70 * 1024, 'x'), "image/png"), 413, "above the limit of 65536 bytes");
  expect_error(client.Post("/v1/predict", png_claiming(2000, 2000), "image/png"), 413,
               "2000x2000 pixels is above the limit of 1000000 pixels");
  // width x height beyond int64 (found by tests/fuzz): still 413, not a wrapped product let through
  expect_error(client.Post("/v1/predict", png_claiming(4'000'000'000u, 4'000'000'000u), "image/png"), 413,
               "4000000000x4000000000 pixels is above the limit");
  expect_error(client.Post("/v1/predict", png, "text/plain"), 415, "Content-Type 'text/plain' is not accepted");
  httplib::MultipartFormDataItems no_file = {{"note", "hello", "", ""}};
  expect_error(client.Post("/v1/predict", no_file), 400, "without a file field");
  expect_error(client.Get("/nowhere"), 404, "no such route: GET /nowhere");
  const auto wrong_method = client.Get("/v1/predict");
  expect_error(wrong_method, 405, "GET /v1/predict is not allowed; use POST");
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST");
  expect_error(client.Delete("/healthz"), 405, "use GET");

  // The service is unharmed.
  const auto after = client.Post("/v1/predict", png, "image/png");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(Serve, ConcurrentRequestsAreBatchedAndAnsweredAsSequentialOnes) {
  const auto pngs = mnist_pngs(48);
  std::vector<json> sequential;
  {
    mnist::ServiceOptions alone;
    alone.batching.max_batch = 1;
    RunningService running(alone);
    auto client = running.client();
    for (const auto& png : pngs) sequential.push_back(json::parse(client.Post("/v1/predict", png, "image/png")->body));
  }
  // Batches of 8 that wait as long as it takes to fill: 48 requests are 6 forward passes
  // however slowly they arrive.
  mnist::ServiceOptions options;
  options.batching.max_batch = 8;
  options.batching.window = kForever;
  RunningService running(options);
  std::vector<std::future<json>> answers;
  for (const auto& png : pngs) {
    answers.push_back(std::async(std::launch::async, [&running, &png] {
      auto client = running.client();
      const auto result = client.Post("/v1/predict", png, "image/png");
      return result && result->status == 200 ? json::parse(result->body) : json();
    }));
  }
  for (size_t i = 0; i < pngs.size(); ++i) {
    const json answer = answers[i].get();
    ASSERT_TRUE(answer.is_object()) << "request " << i << " failed";
    ASSERT_EQ(answer["probabilities"].size(), 10u);
    EXPECT_EQ(answer["batch_size"], 8);
    for (int k = 0; k < 10; ++k) {
      EXPECT_NEAR(answer["probabilities"][k].get<double>(), sequential[i]["probabilities"][k].get<double>(), 1e-5);
    }
  }
  EXPECT_EQ(running.service().metrics().batches(), 6);
  EXPECT_EQ(running.service().metrics().batched_requests(), 48);
  const auto metrics = running.client().Get("/metrics")->body;
  EXPECT_NE(metrics.find("mnist_model_batch_size_bucket{le=\"8\"} 6\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("mnist_model_queue_length 0\n"), std::string::npos) << metrics;
}

TEST(Serve, AFullQueueAnswers503AndTheWaitingRequestStillSucceeds) {
  mnist::ServiceOptions options;
  options.batching.max_queue = 1;
  options.batching.max_batch = 64;
  options.batching.window = kForever;  // the first request stays in the queue until the stop
  RunningService running(options);
  const auto png = mnist_pngs(1).front();
  auto waiting = std::async(std::launch::async, [&] { return running.client().Post("/v1/predict", png, "image/png"); });
  ASSERT_TRUE(mnist::test::eventually([&] { return running.service().waiting_for_model() == 1; }));
  EXPECT_NE(running.client().Get("/metrics")->body.find("mnist_model_queue_length 1\n"), std::string::npos);
  const auto refused = running.client().Post("/v1/predict", png, "image/png");
  expect_error(refused, 503, "busy");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  running.stop();
  const auto waited = waiting.get();
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->status, 200);
}

TEST(Serve, StoppingFinishesTheRequestsInFlightWithoutWaitingForTheirWindow) {
  mnist::ServiceOptions options;
  options.batching.max_batch = 64;
  options.batching.window = kForever;
  auto running = std::make_unique<RunningService>(options);
  const auto pngs = mnist_pngs(4);
  std::vector<std::future<int>> statuses;
  for (const auto& png : pngs) {
    statuses.push_back(std::async(std::launch::async, [&running, &png] {
      const auto result = running->client().Post("/v1/predict", png, "image/png");
      return result ? result->status : -1;
    }));
  }
  ASSERT_TRUE(mnist::test::eventually([&] { return running->service().waiting_for_model() == 4; }));
  // Their window would hold them for an hour; the stop runs them now. Five seconds is ample for
  // one forward pass and four answers, and far below the window.
  const auto stop_start = std::chrono::steady_clock::now();
  running->stop();
  for (auto& status : statuses) EXPECT_EQ(status.get(), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::seconds(5));
  EXPECT_EQ(running->service().metrics().batches(), 1);
  // Nothing is accepted any more.
  EXPECT_FALSE(running->client().Get("/healthz"));
}

TEST(Serve, StoppingAnswersTheConnectionsStillWaitingForAThread) {
  // One HTTP thread, held by the first request while it waits in the model's queue: the other
  // five are connected and sent, and wait for the thread (accepted into httplib's queue, or in
  // the listen backlog). httplib's own stop() closed those unanswered; every one must get its 200.
  mnist::ServiceOptions options;
  options.http_threads = 1;
  options.batching.window = kForever;
  auto running = std::make_unique<RunningService>(options);
  const auto pngs = mnist_pngs(6);
  std::vector<std::unique_ptr<mnist::test::SentRequest>> requests;
  for (const auto& png : pngs) {
    requests.push_back(std::make_unique<mnist::test::SentRequest>(running->port(), "/v1/predict", "image/png", png));
    ASSERT_TRUE(requests.back()->connected()) << requests.back()->error();
  }
  ASSERT_TRUE(mnist::test::eventually([&] { return running->service().waiting_for_model() == 1; }));
  running->stop();
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(requests[i]->status(), 200) << "request " << i;
  EXPECT_EQ(running->service().metrics().batched_requests(), 6);
}

TEST(Serve, AStopBeforeRunStillAnswersWhatTheKernelAccepted) {
  // mnist-serve prints "listening on" after bind(), before run() starts the accept loop: a
  // SIGTERM in between (a busy machine) shut the socket down and reset the connections the
  // kernel had already accepted. Here stop() comes first, deterministically.
  mnist::DigitService service(untrained_model(), "test-model.pt", "{}", torch::kCPU, {});
  const int port = service.bind("127.0.0.1", 0);
  const auto pngs = mnist_pngs(3);
  std::vector<std::unique_ptr<mnist::test::SentRequest>> requests;
  for (const auto& png : pngs) {
    requests.push_back(std::make_unique<mnist::test::SentRequest>(port, "/v1/predict", "image/png", png));
    ASSERT_TRUE(requests.back()->connected()) << requests.back()->error();
  }
  service.stop();
  service.run();  // returns once the backlog is answered
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(requests[i]->status(), 200) << "request " << i;
  EXPECT_EQ(service.metrics().batched_requests(), 3);
  EXPECT_FALSE(httplib::Client("127.0.0.1", port).Get("/healthz"));
}

TEST(Serve, AFailedListeningSocketIsAnErrorNotAStop) {
  // httplib's accept loop ends on any accept() error but EMFILE, EINTR and EAGAIN, and
  // listen_after_bind() returned as if stopped: mnist-serve printed "stopped" and exited 0 with
  // nothing listening any more. Shutting the socket down from outside makes accept() fail so.
  mnist::DigitService service(untrained_model(), "test-model.pt", "{}", torch::kCPU, {});
  const int port = service.bind("127.0.0.1", 0);
  auto served = std::async(std::launch::async, [&service] { service.run(); });
  ASSERT_EQ(httplib::Client("127.0.0.1", port).Get("/healthz")->status, 200);
  const int listening = listening_socket_on(port);
  ASSERT_GE(listening, 0);
  ::shutdown(listening, SHUT_RDWR);
  try {
    served.get();
    ADD_FAILURE() << "run() returned as if stopped";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port) + ": the listening socket failed"),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Restart mnist-serve"), std::string::npos) << e.what();
  }
}

TEST(Serve, AnswersBelowTheThresholdAreMarkedUncertainWithTheRunnerUp) {
  const auto pngs = mnist_pngs(12);
  const auto ask_all = [&](RunningService& running) {
    auto client = running.client();
    std::vector<json> answers;
    for (const auto& png : pngs) {
      const auto result = client.Post("/v1/predict", png, "image/png");
      EXPECT_TRUE(result && result->status == 200);
      answers.push_back(result ? json::parse(result->body) : json());
    }
    return answers;
  };
  mnist::ServiceOptions never;
  never.uncertain_below = 0;
  std::vector<double> sorted;
  {
    RunningService running(never);
    for (const auto& answer : ask_all(running)) {
      EXPECT_FALSE(answer["uncertain"].get<bool>());
      sorted.push_back(answer["probability"].get<double>());
    }
  }
  ASSERT_EQ(sorted.size(), pngs.size());
  std::sort(sorted.begin(), sorted.end());
  const size_t below = sorted.size() / 2;
  ASSERT_LT(sorted[below - 1], sorted[below]);
  mnist::ServiceOptions options;
  options.uncertain_below = (sorted[below - 1] + sorted[below]) / 2;
  RunningService running(options);
  size_t uncertain = 0;
  for (const auto& answer : ask_all(running)) {
    const bool expected = answer["probability"].get<double>() < options.uncertain_below;
    const auto digit = answer["digit"].get<int64_t>();
    const auto runner_up = answer["top"][1]["digit"].get<int64_t>();
    EXPECT_EQ(answer["uncertain"].get<bool>(), expected) << answer.dump();
    EXPECT_EQ(answer["runner_up"].get<int64_t>(), runner_up);
    EXPECT_EQ(answer["answer"], expected ? std::to_string(digit) + " or " + std::to_string(runner_up) + "?"
                                         : std::to_string(digit));
    uncertain += expected ? 1 : 0;
  }
  EXPECT_EQ(uncertain, below);
}
