#include "trr/transport/http1_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "trr/transport/tls_trust.h"

namespace trr {

Http1Session::Http1Session(TlsSocket* socket, Config config, Listener* listener)
    : socket_(socket),
      config_(std::move(config)),
      listener_(listener),
      reader_(config_.max_body),
      on_response_([this](Http1ResponseReader::Response response) {
        listener_->OnResponse(std::move(response));
      }) {}

void Http1Session::Submit(bool get, absl::string_view target,
                          absl::Span<const uint8_t> body) {
  Http1Request request;
  request.get = get;
  request.target = target;
  if (!get) request.body = body;
  request.authority = config_.authority;
  request.credentials = config_.credentials;
  request.accept = config_.accept;
  request.content_type = config_.content_type;
  request.client = &config_.client;
  AppendHttp1Request(request, out_);
  reader_.Await();
  response_started_ = false;
}

bool Http1Session::Fail(DohError error, std::string detail) {
  failure_ = DohFailure{error, std::move(detail)};
  return false;
}

bool Http1Session::Pump() {
  uint8_t buffer[16384];
  ERR_clear_error();
  socket_->io.drained = false;
  for (;;) {
    const int n = SSL_read(socket_->ssl, buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(socket_->ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      const bool closed =
          error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL;
      // A response whose body runs to the close ends here. A request that
      // has had no byte of a response may go again: a kept-alive
      // connection the server closed just as it went out.
      if (closed && !reader_.ReadEnd(on_response_)) {
        return Fail(DohError::kReset, reader_.ErrorDetail());
      }
      return Fail(DohError::kReset,
                  closed ? "the server closed the connection"
                         : absl::StrCat("TLS: ", OpenSslError("read failed")));
    }
    // Bytes of a response: the server has the request.
    response_started_ = true;
    if (!reader_.Read(absl::MakeConstSpan(buffer, static_cast<size_t>(n)),
                      on_response_)) {
      return Fail(reader_.error() == Http1ResponseReader::Error::kTooLarge
                      ? DohError::kTooLarge
                      : DohError::kReset,
                  reader_.ErrorDetail());
    }
    if (socket_->io.drained && !SSL_has_pending(socket_->ssl)) break;
  }
  return Flush();
}

bool Http1Session::Flush() {
  if (!socket_->Write(out_)) {
    return Fail(DohError::kReset, "the connection broke while writing");
  }
  return true;
}

uint32_t Http1Session::WantedEvents() const {
  return out_.empty() ? uint32_t{EPOLLIN} : uint32_t{EPOLLIN | EPOLLOUT};
}

}  // namespace trr
