// The HTTP service; see digit_service.h.
#include "serve/digit_service.h"

#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/errors.h"

namespace mnist {

namespace {

constexpr int kListenBacklog = 1024;

// How long stop() waits for httplib to accept the connections already in the listen backlog:
// milliseconds when it can, so only a process out of file descriptors waits it out. It was 2 s,
// and on a machine loaded far beyond its cores (two test suites beside eight stress-ng workers
// on two cores) httplib's accept thread did not run within it: six connected requests were reset.
constexpr auto kBacklogDrainLimit = std::chrono::seconds(10);

constexpr const char* kJson = "application/json";

const char* const kRoutes[] = {"/", "/healthz", "/v1/model", "/v1/predict", "/metrics"};

void answer_error(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(error_json(message), kJson);
}

// When a request began on this thread; unset before routing (a request refused while it was
// read, such as one above the body limit, is counted with no duration).
thread_local std::chrono::steady_clock::time_point request_start{};

std::string route_of(const httplib::Request& request) {
  for (const char* route : kRoutes) {
    if (request.path == route) return route;
  }
  return "other";
}

// The fields of a multipart body, in the order httplib keeps them (by name).
std::vector<MultipartField> multipart_fields(const httplib::Request& request) {
  std::vector<MultipartField> fields;
  for (const auto& [name, field] : request.files) {
    fields.push_back({name, field.filename, field.content_type, field.content});
  }
  return fields;
}

}  // namespace

struct DigitService::Impl {
  Impl(torch::jit::Module model, const std::string& model_label, std::string card,
       const c10::Device& device, const ServiceOptions& service_options)
      : options(service_options),
        model_card(std::move(card)),
        classifier(std::move(model), model_label, device, options.batching,
                   [this](int64_t size) { metrics.record_batch(size); }) {
    configure();
    add_routes();
  }

  void configure() {
    const int threads = options.http_threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    // SO_REUSEADDR for quick restarts, but not httplib's default SO_REUSEPORT, with which a second
    // server on the same port would start silently and take half the requests.
    server.set_socket_options([this](socket_t socket) {
      int yes = 1;
      ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listening_socket = socket;
    });
    // httplib writes a response's header and body separately: with Nagle's algorithm on, the body
    // waits for the client's delayed ACK (40 ms on Linux), and every answer took 45 ms instead of 3.
    server.set_tcp_nodelay(true);
    server.set_payload_max_length(static_cast<size_t>(options.limits.max_body_bytes));
    server.set_read_timeout(options.read_timeout);
    server.set_write_timeout(options.write_timeout);
    server.set_keep_alive_max_count(static_cast<size_t>(options.keep_alive_requests));
    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
      if (!response.body.empty()) return;  // a handler's own JSON error
      answer_error(response, response.status, default_message(request, response.status));
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
      std::string message = "internal error";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        message += ": " + one_line(e.what());
      } catch (...) {
      }
      answer_error(response, 500, message);
    });
    // Counted just before the answer is written (httplib's logger runs after it is sent), so a
    // client that asks /metrics next always finds its previous request there.
    server.set_post_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
      if (stopping) response.set_header("Connection", "close");  // kept-alive clients go, so run() can end
      const bool timed = request_start != std::chrono::steady_clock::time_point{};
      metrics.record_request(route_of(request), response.status, timed ? seconds_since(request_start) : 0.0);
      request_start = {};
    });
  }

  std::string default_message(const httplib::Request& request, int status) const {
    switch (status) {
      case 404: return "no such route: " + request.method + " " + request.path;
      case 413: return "body above the limit of " + std::to_string(options.limits.max_body_bytes) + " bytes";
      case 400: return "malformed request";
      default: return "request refused with status " + std::to_string(status);
    }
  }

  void add_routes() {
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(draw_digit_page(), "text/html; charset=utf-8");
    });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(R"({"status":"ok"})", kJson);
    });
    server.Get("/v1/model", [this](const httplib::Request&, httplib::Response& response) {
      response.set_content(model_card, kJson);
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
      response.set_content(metrics.prometheus_text(classifier.waiting()), "text/plain; version=0.0.4");
    });
    server.Post("/v1/predict", [this](const httplib::Request& request, httplib::Response& response) {
      predict(request, response);
    });
    add_method_not_allowed();
  }

  // A known route asked with a method it does not take: 405 with the methods it does.
  void add_method_not_allowed() {
    for (const char* route : kRoutes) {
      const bool post = std::string(route) == "/v1/predict";
      const std::string allowed = post ? "POST" : "GET";
      const auto refuse = [allowed](const httplib::Request& request, httplib::Response& response) {
        response.set_header("Allow", allowed);
        answer_error(response, 405, request.method + " " + request.path + " is not allowed; use " + allowed);
      };
      if (post) {
        server.Get(route, refuse);
      } else {
        server.Post(route, refuse);
      }
      server.Put(route, refuse);
      server.Delete(route, refuse);
      server.Patch(route, refuse);
    }
  }

  void predict(const httplib::Request& request, httplib::Response& response) {
    const auto start = std::chrono::steady_clock::now();
    try {
      const PreparedRequest prepared =
          request.is_multipart_form_data()
              ? prepare_multipart_fields(multipart_fields(request), options.limits)
              : prepare_request_body(request.get_header_value("Content-Type"), request.body, options.limits);
      const double prepare_seconds = seconds_since(start);
      TimedAnswer answer = classifier.classify(prepared.pixels);
      mark_uncertain(answer.answer, options.uncertain_below);
      response.set_content(answer_json(prepared, answer, prepare_seconds, seconds_since(start)), kJson);
    } catch (const HttpError& e) {
      answer_error(response, e.status, e.what());
    } catch (const QueueFullError& e) {
      response.set_header("Retry-After", "1");
      answer_error(response, 503, std::string("busy: ") + e.what() + "; try again");
    }
  }

  // Stops accepting without dropping what was accepted. httplib's own Server::stop() marks its
  // socket invalid, and every connection then still waiting for a free HTTP thread is closed
  // unanswered (process_server_socket checks the socket before reading a request): a SIGTERM
  // under load lost requests. Instead: let httplib accept what is already in the listen backlog,
  // then shut the listening socket down, so its accept() fails and listen_after_bind() returns
  // after its thread pool has served every connection it holds.
  // A stop that comes after bind() but before run() has started the accept loop (a SIGTERM right
  // after "listening on", on a busy machine) must not reset the connections the kernel already
  // took into the backlog: then run() does this when it starts, beside its accept loop.
  void stop_accepting() {
    classifier.stop_waiting_for_company();
    {
      const std::lock_guard<std::mutex> lock(listening_mutex);
      if (stopping.exchange(true) || !running) return;
    }
    drain_backlog_and_shut_down();
  }

  void drain_backlog_and_shut_down() {
    const std::lock_guard<std::mutex> lock(listening_mutex);
    if (listening_socket == INVALID_SOCKET) return;
    const auto deadline = std::chrono::steady_clock::now() + kBacklogDrainLimit;
    pollfd pending{listening_socket, POLLIN, 0};
    while (running && ::poll(&pending, 1, /*timeout=*/0) > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::shutdown(listening_socket, SHUT_RDWR);
  }

  ServiceOptions options;
  std::string model_card;
  ServiceMetrics metrics;
  BatchingClassifier classifier;
  httplib::Server server;
  std::mutex listening_mutex;
  socket_t listening_socket = INVALID_SOCKET;  // INVALID_SOCKET again once httplib closed it
  std::string address;                         // host:port, for messages
  std::atomic<bool> stopping{false};
  std::atomic<bool> running{false};
};

DigitService::DigitService(torch::jit::Module model, const std::string& model_label,
                           std::string model_card_json, const c10::Device& device,
                           const ServiceOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), model_label, std::move(model_card_json), device, options)) {}

DigitService::~DigitService() { stop(); }

int DigitService::bind(const std::string& host, int port) {
  const int bound = port == 0 ? impl_->server.bind_to_any_port(host)
                              : (impl_->server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw RuntimeError(host + ":" + std::to_string(port) +
                       ": cannot listen there (address in use, not an address of this machine, or "
                       "a port that needs privileges)");
  }
  // Debian's httplib is compiled with a listen backlog of 5: when many keep-alive connections
  // end together, their reconnections overflowed it, and each dropped SYN waited 1, 3 or 7 s for
  // its retry (p99 latencies of seconds under wrk). Listening again only raises the backlog.
  if (::listen(impl_->listening_socket, kListenBacklog) != 0) {
    throw RuntimeError(host + ":" + std::to_string(bound) + ": cannot listen: " + std::strerror(errno));
  }
  impl_->address = host + ":" + std::to_string(bound);
  return bound;
}

void DigitService::run() {
  bool stopped_before_running = false;
  {
    const std::lock_guard<std::mutex> lock(impl_->listening_mutex);
    if (impl_->listening_socket == INVALID_SOCKET) return;  // never bound, or run() already ended
    stopped_before_running = impl_->stopping;
    impl_->running = true;
  }
  // Asked to stop before the accept loop started: the loop still takes the backlog, then ends.
  std::thread drainer;
  if (stopped_before_running) drainer = std::thread([this] { impl_->drain_backlog_and_shut_down(); });
  impl_->server.listen_after_bind();
  const int accept_error = errno;  // thread-local: what the accept loop failed with, if it did
  impl_->running = false;
  if (drainer.joinable()) drainer.join();
  {
    const std::lock_guard<std::mutex> lock(impl_->listening_mutex);
    impl_->listening_socket = INVALID_SOCKET;  // httplib closed it
  }
  // httplib's accept loop waits out EMFILE (1 ms naps) and retries EINTR and EAGAIN; on any other
  // error it closes the socket and returns as if stopped. Without a stop() that is a dead
  // listener, not a stop: say so, so that the process exits 1 and a supervisor restarts it.
  if (!impl_->stopping) {
    const std::string cause = accept_error != 0 ? std::string(" (accept: ") + std::strerror(accept_error) + ")" : "";
    throw RuntimeError(impl_->address + ": the listening socket failed" + cause +
                       "; the requests in flight were answered, but no more can be accepted. Restart mnist-serve");
  }
}

void DigitService::stop() { impl_->stop_accepting(); }

const ServiceMetrics& DigitService::metrics() const { return impl_->metrics; }

int64_t DigitService::waiting_for_model() const { return impl_->classifier.waiting(); }

}  // namespace mnist
