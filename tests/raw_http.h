// An HTTP request sent over a plain socket, for tests that must know a request is on its way
// before they go on: connect() has returned (the connection is accepted or in the listen backlog)
// and the whole request is written when send_request returns, which httplib's client, doing all
// of it inside one call, cannot tell its caller. The answer is read later, until the server closes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace mnist::test {

class SentRequest {
 public:
  // POSTs body to path on 127.0.0.1:port with "Connection: close". connected() is false when
  // the connection or the writing failed; error() says why.
  SentRequest(int port, const std::string& path, const std::string& content_type, const std::string& body) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      fail("connect");
      return;
    }
    const std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
                                "\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\nConnection: close\r\n\r\n" + body;
    for (size_t sent = 0; sent < request.size();) {
      const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        fail("send");
        return;
      }
      sent += static_cast<size_t>(n);
    }
  }
  ~SentRequest() {
    if (fd_ >= 0) ::close(fd_);
  }
  SentRequest(const SentRequest&) = delete;
  SentRequest& operator=(const SentRequest&) = delete;

  bool connected() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The answer's status, reading until the server closes the connection; -1 when there is no
  // whole status line, or nothing came for timeout_seconds (a generous limit: only a broken
  // server reaches it).
  int status(int timeout_seconds = 120) {
    if (!connected()) return -1;
    std::string answer;
    char buffer[4096];
    for (;;) {
      pollfd readable{fd_, POLLIN, 0};
      if (::poll(&readable, 1, timeout_seconds * 1000) <= 0) return -1;
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (answer.compare(0, 5, "HTTP/") != 0 || answer.find(' ') == std::string::npos) return -1;
    return std::atoi(answer.c_str() + answer.find(' ') + 1);
  }

 private:
  void fail(const char* what) { error_ = std::string(what) + ": " + std::strerror(errno); }

  int fd_ = -1;
  std::string error_;
};

}  // namespace mnist::test
