// Http1Session: HTTP/1.1 on a TLS connection that is up, for a DoH server
// that does not speak HTTP/2 (ALPN http/1.1, or none). One request at a
// time, kept alive for the next; the response read by Http1ResponseReader
// and handed to the listener whole. Which request it is, and whether one
// that a broken connection took goes again, are the owner's
// (DohTransport, which keeps a small pool of these per server).
//
// Loop thread only. Internal to libtrr.

#ifndef TRR_TRR_TRANSPORT_HTTP1_SESSION_H_
#define TRR_TRR_TRANSPORT_HTTP1_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "trr/transport/client_headers.h"
#include "trr/transport/connect_job.h"
#include "trr/transport/doh_error.h"
#include "trr/transport/http1.h"

namespace trr {

class Http1Session {
 public:
  // What every request of this session carries.
  using Config = SessionConfig;

  class Listener {
   public:
    // A whole response to the request out (a 1xx interim one is skipped).
    virtual void OnResponse(Http1ResponseReader::Response response) = 0;

   protected:
    ~Listener() = default;
  };

  // On `socket` (not owned; it outlives this).
  Http1Session(TlsSocket* socket, Config config, Listener* listener);
  Http1Session(const Http1Session&) = delete;
  Http1Session& operator=(const Http1Session&) = delete;

  // Writes a GET of `target`, or a POST of `body` to it (see Flush).
  void Submit(bool get, absl::string_view target,
              absl::Span<const uint8_t> body);
  // A byte of a response has come since the last request went: the server
  // had it, so it must not go again.
  bool response_started() const { return response_started_; }

  // Reads what TLS has; the listener hears of each response. False when
  // the connection failed or closed (a response whose body ran to the
  // close is heard first): failure() says how, kTooLarge for a body over
  // max_body, else kReset.
  bool Pump();
  // Writes what is waiting, as far as the socket takes it; false when the
  // connection broke.
  bool Flush();
  const DohFailure& failure() const { return failure_; }
  // EPOLLIN, and EPOLLOUT while a request waits to go.
  uint32_t WantedEvents() const;

 private:
  bool Fail(DohError error, std::string detail);

  TlsSocket* const socket_;
  const Config config_;
  Listener* const listener_;
  Http1ResponseReader reader_;
  const Http1ResponseReader::OnResponse on_response_;
  std::string out_;  // the request, until TLS takes it
  bool response_started_ = false;
  DohFailure failure_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_HTTP1_SESSION_H_
