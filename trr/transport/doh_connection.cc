// DohTransport's sessions on connections that are up: HTTP/2 through
// nghttp2 or HTTP/1.1 through Http1ResponseReader, reading and writing
// through OpenSSL, and failing. Setting connections up is in
// doh_connect.cc; requests are in doh_transport.cc, their queue and
// retries in doh_queue.cc.

#include <openssl/err.h>
#include <sys/epoll.h>

#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/dns/base64url.h"
#include "trr/transport/doh_transport_internal.h"

namespace trr {
namespace {

nghttp2_nv Header(absl::string_view name, absl::string_view value,
                  uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), flags};
}

}  // namespace

struct DohTransport::Callbacks {
  static Connection* Conn(void* user) { return static_cast<Connection*>(user); }

  static Request* Find(Connection* conn, int32_t stream) {
    auto it = conn->streams.find(stream);
    return it == conn->streams.end() ? nullptr : it->second;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_length,
                      const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Request* r = Find(Conn(user), frame->hd.stream_id);
    if (r == nullptr) return 0;
    const absl::string_view n(reinterpret_cast<const char*>(name), name_length);
    const absl::string_view v(reinterpret_cast<const char*>(value),
                              value_length);
    if (n == ":status") {
      int status = 0;
      // 1xx are interim; the final status is what counts.
      if (absl::SimpleAtoi(v, &status) && status >= 200) {
        r->answered = true;
        r->status = status;
      }
    } else if (n == "content-type") {
      r->content_type.assign(v.data(), v.size());
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream,
                    const uint8_t* data, size_t length, void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    if (r == nullptr) return 0;
    if (r->body.size() + length > kMaxDohBody) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream,
                                NGHTTP2_CANCEL);
      conn->owner->Finish(r, DohError::kTooLarge,
                          "answer body over 65535 bytes");
      return 0;
    }
    r->body.insert(r->body.end(), data, data + length);
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type == NGHTTP2_PING &&
        (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
      // The server answered our health PING: the connection works.
      Connection* conn = Conn(user);
      if (conn->ping_timer.pending()) {
        conn->ping_timer.Cancel();
        ++conn->owner->stats_.pings_answered;
      }
      return 0;
    }
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    // Streams above the server's last one are refused (and sent again, in
    // OnStreamClose); the rest finish here, and new ones go elsewhere.
    Connection* conn = Conn(user);
    ++conn->owner->stats_.goaways;
    conn->draining = true;
    conn->goaway_last_stream = frame->goaway.last_stream_id;
    if (conn->owner->active_ == conn) conn->owner->active_ = nullptr;
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream, uint32_t error,
                           void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    if (r == nullptr) return 0;
    DohTransport* self = conn->owner;
    const auto in_flight = static_cast<uint32_t>(conn->streams.size());
    conn->streams.erase(stream);
    r->conn = nullptr;
    r->stream = -1;
    if (error == NGHTTP2_REFUSED_STREAM && !r->answered) {
      // RFC 9113 section 8.7: the server did not process it, so it is safe
      // to send again. A GOAWAY's refusal is the server going away, not a
      // sign that it is busy: the window keeps its size.
      ++self->stats_.refused;
      const bool by_goaway =
          conn->goaway_last_stream >= 0 && stream > conn->goaway_last_stream;
      if (!by_goaway) self->window_.OnRefused(r->sequence, in_flight);
      if (self->Requeue(r)) return 0;
      self->Finish(r, DohError::kRefused,
                   absl::StrCat("the server refused the stream ",
                                r->retries + 1, " times"));
      return 0;
    }
    if (r->answered && error == NGHTTP2_NO_ERROR) {
      ++conn->answered;
      self->window_.OnAnswer(in_flight);
    }
    if (error != NGHTTP2_NO_ERROR) {
      self->Finish(r, DohError::kReset,
                   absl::StrCat("the server reset the stream: ",
                                nghttp2_http2_strerror(error)));
    } else if (!r->answered) {
      self->Finish(r, DohError::kReset, "the stream ended without a response");
    } else {
      self->Finish(r,
                   CheckedAnswer(r->status, r->content_type, std::move(r->body),
                                 self->config_.response_type));
    }
    return 0;
  }

  // POST bodies: looked up by stream, as the request may be gone (timed
  // out or cancelled) by the time nghttp2 asks.
  static ssize_t ReadBody(nghttp2_session*, int32_t stream, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source*,
                          void* user) {
    Connection* conn = Conn(user);
    Request* r = Find(conn, stream);
    size_t n = 0;
    if (r != nullptr) {
      // Queries over one frame (16384 bytes) take several calls.
      n = std::min(length, r->query.size() - r->query_sent);
      std::memcpy(buffer, r->query.data() + r->query_sent, n);
      r->query_sent += n;
    }
    if (r == nullptr || r->query_sent == r->query.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      // This body is all out: the next stream may start.
      if (conn->unsent_body_stream == stream) {
        conn->unsent_body_stream = -1;
        conn->owner->Tick();
      }
    }
    return static_cast<ssize_t>(n);
  }

  // Why nghttp2 is ending the session (a protocol error of the server's),
  // for the failure's detail.
  static int OnError(nghttp2_session*, int, const char* message, size_t length,
                     void* user) {
    Conn(user)->session_error.assign(message, length);
    return 0;
  }

  static nghttp2_session_callbacks* Get() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* c = nullptr;
      nghttp2_session_callbacks_new(&c);
      nghttp2_session_callbacks_set_on_header_callback(c, &OnHeader);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &OnData);
      nghttp2_session_callbacks_set_on_frame_recv_callback(c, &OnFrame);
      nghttp2_session_callbacks_set_on_stream_close_callback(c, &OnStreamClose);
      nghttp2_session_callbacks_set_error_callback2(c, &OnError);
      return c;
    }();
    return callbacks;
  }
};

void DohTransport::StartSession(Connection* conn) {
  nghttp2_session_client_new(&conn->session, Callbacks::Get(), conn);
  // No server push: a resolver has no use for it.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 1);
  conn->state = Connection::State::kReady;
  conn->last_heard = EventLoop::MonotonicNow();
  Watch(conn, EPOLLIN);
  if (active_ == nullptr) {
    active_ = conn;
    Dispatch();
  } else {
    // One is up already (this one was set up for the HTTP/1.1 pool, and
    // found HTTP/2): this one closes once it has said hello.
    conn->draining = true;
  }
  Flush(conn);
}

void DohTransport::StartHttp1(Connection* conn) {
  // New requests go to whichever pooled connection is free.
  conn->http1 = std::make_unique<Http1ResponseReader>(kMaxDohBody);
  conn->state = Connection::State::kReady;
  Watch(conn, EPOLLIN);
  Dispatch();
}

void DohTransport::SubmitHttp1(Connection* conn, Request* r) {
  Http1Request request;
  request.get = config_.use_get || config_.plain_get;
  const std::string target = RequestPath(*r);
  request.target = target;
  if (!request.get) request.body = r->query;
  request.authority = authority_;
  request.credentials = config_.credentials;
  request.accept = config_.response_type;
  request.content_type = config_.request_type;
  AppendHttp1Request(request, conn->pending);
  conn->http1->Await();
  r->conn = conn;
  r->stream = kHttp1Stream;
  conn->streams[kHttp1Stream] = r;
}

void DohTransport::OnHttp1Response(Connection* conn,
                                   Http1ResponseReader::Response response) {
  auto it = conn->streams.find(kHttp1Stream);
  if (it == conn->streams.end()) return;  // cannot be: one awaited per request
  ++conn->answered;
  // "Connection: close", or HTTP/1.0: no next request on it.
  if (!response.keep_alive) conn->draining = true;
  Finish(it->second,
         CheckedAnswer(response.status, response.content_type,
                       std::move(response.body), config_.response_type));
}

std::string DohTransport::RequestPath(const Request& r) const {
  if (!config_.use_get || config_.plain_get) return config_.uri.path;
  std::string encoded;
  dns::Base64UrlEncodeTo(r.query, encoded);
  return config_.uri.GetPath(encoded);
}

void DohTransport::Submit(Connection* conn, Request* r) {
  const bool get = config_.use_get || config_.plain_get;
  const std::string path = RequestPath(*r);
  const std::string length = absl::StrCat(r->query.size());
  // Nothing that tells one user from another: no user agent, cookies or
  // languages. Credentials are not kept in HPACK's table.
  nghttp2_nv headers[10];
  size_t n = 0;
  headers[n++] = Header(":method", get ? "GET" : "POST");
  headers[n++] = Header(":scheme", "https");
  headers[n++] = Header(":authority", authority_);
  headers[n++] = Header(":path", path);
  headers[n++] = Header("accept", config_.response_type);
  // RFC 8484 section 5.1 lets caches keep answers; none of ours should sit
  // in a shared cache.
  headers[n++] = Header("cache-control", "no-store");
  headers[n++] = Header("accept-encoding", "identity");
  if (!config_.credentials.empty()) {
    headers[n++] =
        Header("authorization", config_.credentials, NGHTTP2_NV_FLAG_NO_INDEX);
  }
  nghttp2_data_provider body{};
  if (!get) {
    headers[n++] = Header("content-type", config_.request_type);
    headers[n++] = Header("content-length", length);
    body.read_callback = &Callbacks::ReadBody;
  }
  r->query_sent = 0;
  const int32_t stream = nghttp2_submit_request(
      conn->session, nullptr, headers, n, get ? nullptr : &body, nullptr);
  if (stream < 0) {
    // Stream ids run out after 2^30 requests: finish on a new connection.
    if (stream == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      conn->draining = true;
      if (active_ == conn) active_ = nullptr;
      Enqueue(r);
      return;
    }
    Finish(r, DohError::kOther,
           absl::StrCat("HTTP/2: ", nghttp2_strerror(stream)));
    return;
  }
  r->conn = conn;
  r->stream = stream;
  r->sequence = window_.NextSequence();
  conn->streams[stream] = r;
  if (get) return;
  // Its HEADERS and DATA now, together. If flow control holds the body
  // back, nothing else starts until it has gone (ReadBody says when).
  conn->unsent_body_stream = stream;
  Produce(conn);
}

bool DohTransport::Produce(Connection* conn, size_t up_to) {
  if (conn->session == nullptr) return true;  // HTTP/1.1 writes directly
  while (conn->pending.size() < up_to) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(conn->session, &data);
    if (n < 0) {
      Fail(conn, DohError::kOther,
           absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
      return false;
    }
    if (n == 0) return true;
    // After a write that would have blocked, TLS wants the same bytes
    // again; more after them is allowed (and the buffer may move).
    conn->pending.append(reinterpret_cast<const char*>(data),
                         static_cast<size_t>(n));
  }
  return true;
}

void DohTransport::Pump(Connection* conn) {
  if (conn->http1 != nullptr) {
    PumpHttp1(conn);
    return;
  }
  uint8_t buffer[16384];
  ERR_clear_error();
  conn->io().drained = false;
  for (;;) {
    if (conn->pending.size() > kMaxPendingOutput) {
      // The server is not reading what we owe it (ACKs of its PINGs, say):
      // read no more from it until it has taken some.
      conn->reading_paused = true;
      break;
    }
    const int n = SSL_read(conn->ssl(), buffer, sizeof(buffer));
    if (n > 0) conn->last_heard = EventLoop::MonotonicNow();
    if (n <= 0) {
      const int error = SSL_get_error(conn->ssl(), n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      Fail(conn, DohError::kReset,
           error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL
               ? "the server closed the connection"
               : absl::StrCat("TLS: ", OpenSslError("read failed")));
      return;
    }
    for (size_t fed = 0; fed < static_cast<size_t>(n);) {
      const size_t chunk = std::min(kFeedChunk, static_cast<size_t>(n) - fed);
      const ssize_t used =
          nghttp2_session_mem_recv(conn->session, buffer + fed, chunk);
      if (used < 0) {
        Fail(
            conn, DohError::kReset,
            absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(used))));
        return;
      }
      fed += chunk;
      // Take out the ACKs it owes now, so that no storm of PINGs or
      // SETTINGS piles them up past nghttp2's flood guard.
      if (!Produce(conn)) return;
    }
    // The socket is empty and TLS holds nothing more: epoll says when there
    // is more (it is level-triggered), so no recv just to hear EAGAIN.
    if (conn->io().drained && !SSL_has_pending(conn->ssl())) break;
  }
  Flush(conn);
}

void DohTransport::PumpHttp1(Connection* conn) {
  Http1ResponseReader& reader = *conn->http1;
  const Http1ResponseReader::OnResponse on_response =
      [this, conn](Http1ResponseReader::Response response) {
        OnHttp1Response(conn, std::move(response));
      };
  uint8_t buffer[16384];
  ERR_clear_error();
  conn->io().drained = false;
  for (;;) {
    const int n = SSL_read(conn->ssl(), buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(conn->ssl(), n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      const bool closed =
          error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL;
      // A response whose body runs to the close ends here. A request that
      // has had no byte of a response goes again (Fail): a kept-alive
      // connection the server closed just as it went out.
      if (closed && !reader.ReadEnd(on_response)) {
        Fail(conn, DohError::kReset, reader.ErrorDetail());
        return;
      }
      Fail(conn, DohError::kReset,
           closed ? "the server closed the connection"
                  : absl::StrCat("TLS: ", OpenSslError("read failed")));
      return;
    }
    // Bytes of a response: the server has the request, so if the
    // connection breaks now, it fails rather than going again.
    auto in_flight = conn->streams.find(kHttp1Stream);
    if (in_flight != conn->streams.end()) in_flight->second->answered = true;
    if (!reader.Read(absl::MakeConstSpan(buffer, static_cast<size_t>(n)),
                     on_response)) {
      in_flight = conn->streams.find(kHttp1Stream);
      if (in_flight != conn->streams.end() &&
          reader.error() == Http1ResponseReader::Error::kTooLarge) {
        Finish(in_flight->second, DohError::kTooLarge, reader.ErrorDetail());
      }
      Fail(conn, DohError::kReset, reader.ErrorDetail());
      return;
    }
    if (conn->io().drained && !SSL_has_pending(conn->ssl())) break;
  }
  Flush(conn);
}

void DohTransport::Flush(Connection* conn) {
  if (conn->state != Connection::State::kReady) return;
  ERR_clear_error();
  // nghttp2 hands out a frame or less at a time; what it has goes out
  // together, up to a full TLS record, in one write.
  constexpr size_t kRecord = 16384;
  for (;;) {
    if (!Produce(conn, kRecord)) return;
    if (conn->pending.empty()) break;
    const int written = SSL_write(conn->ssl(), conn->pending.data(),
                                  static_cast<int>(conn->pending.size()));
    if (written <= 0) {
      const int error = SSL_get_error(conn->ssl(), written);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) break;
      Fail(conn, DohError::kReset, "the connection broke while writing");
      return;
    }
    conn->pending.erase(0, static_cast<size_t>(written));
  }
  // Both sides done: after a GOAWAY with every stream closed, or nghttp2
  // ended the session (the server broke the protocol, or flooded us past
  // what it takes); then the streams left will not be answered.
  if (conn->session != nullptr && !nghttp2_session_want_read(conn->session) &&
      !nghttp2_session_want_write(conn->session) && conn->pending.empty()) {
    if (!conn->streams.empty()) {
      Fail(conn, DohError::kReset,
           absl::StrCat("HTTP/2 session ended: ", conn->session_error.empty()
                                                      ? "GOAWAY"
                                                      : conn->session_error));
      return;
    }
    conn->draining = true;
    if (active_ == conn) active_ = nullptr;
  }
  if (conn->reading_paused && conn->pending.size() <= kMaxPendingOutput / 2) {
    // The server took enough: read again, starting with what TLS holds.
    conn->reading_paused = false;
    PostWhileAlive([this, serial = conn->serial] {
      Connection* conn = FindConnection(serial);
      if (conn == nullptr || conn->state != Connection::State::kReady) return;
      DeliveryScope scope(this);
      Pump(conn);
    });
  }
  uint32_t events = conn->reading_paused ? 0u : uint32_t{EPOLLIN};
  if (!conn->pending.empty()) events |= EPOLLOUT;
  Watch(conn, events);
}

void DohTransport::Fail(Connection* conn, DohError error,
                        const std::string& detail) {
  if (conn->state == Connection::State::kDead) return;
  CloseSocket(conn);
  conn->state = Connection::State::kDead;
  if (active_ == conn) active_ = nullptr;
  std::vector<Request*> carried;
  carried.reserve(conn->streams.size());
  for (const auto& [stream, r] : conn->streams) carried.push_back(r);
  conn->streams.clear();
  bool unanswered = false;
  uint64_t newest = 0;
  for (const Request* r : carried) {
    if (r->answered) continue;
    unanswered = true;
    newest = std::max(newest, r->sequence);
  }
  // A server that drops a connection with streams in flight may have had
  // more than it could take (BIND 9.18 did with bursts): carry fewer.
  if (unanswered && conn->http1 == nullptr && !conn->unhealthy) {
    window_.OnRefused(newest, static_cast<uint32_t>(carried.size()));
  }
  for (Request* r : carried) {
    r->conn = nullptr;
    r->stream = -1;
    // Not answered: the query may not even have reached the server, and a
    // DNS query is safe to send again. Requeue puts it back in send order.
    if (!Requeue(r)) Finish(r, error, detail);
  }
  Tick();  // sweeps it
}

}  // namespace trr
