#include "trr/transport/http2_session.h"

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/loop/event_loop.h"
#include "trr/transport/tls_trust.h"

namespace trr {
namespace {

nghttp2_nv Header(absl::string_view name, absl::string_view value,
                  uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), flags};
}

}  // namespace

struct Http2Session::Callbacks {
  static Http2Session* Self(void* user) {
    return static_cast<Http2Session*>(user);
  }

  static Stream* Find(Http2Session* self, int32_t stream) {
    auto it = self->streams_.find(stream);
    return it == self->streams_.end() ? nullptr : &it->second;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_length,
                      const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = Find(Self(user), frame->hd.stream_id);
    if (s == nullptr) return 0;
    const absl::string_view n(reinterpret_cast<const char*>(name), name_length);
    const absl::string_view v(reinterpret_cast<const char*>(value),
                              value_length);
    if (n == ":status") {
      int status = 0;
      // 1xx are interim; the final status is what counts.
      if (absl::SimpleAtoi(v, &status) && status >= 200) {
        s->answered = true;
        s->status = status;
      }
    } else if (n == "content-type") {
      s->content_type.assign(v.data(), v.size());
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream,
                    const uint8_t* data, size_t length, void* user) {
    Http2Session* self = Self(user);
    Stream* s = Find(self, stream);
    if (s == nullptr) return 0;
    if (s->body.size() + length > self->config_.max_body) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream,
                                NGHTTP2_CANCEL);
      StreamEnd end;
      end.kind = StreamEnd::Kind::kTooLarge;
      end.status = s->status;
      end.in_flight = static_cast<uint32_t>(self->streams_.size());
      self->Forget(stream);  // s goes with it
      end.detail =
          absl::StrCat("answer body over ", self->config_.max_body, " bytes");
      self->listener_->OnStreamEnd(stream, std::move(end));
      return 0;
    }
    s->body.insert(s->body.end(), data, data + length);
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Http2Session* self = Self(user);
    if (frame->hd.type == NGHTTP2_PING &&
        (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
      self->listener_->OnPingAnswered();
      return 0;
    }
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    // Streams above the server's last one are refused (and reported so in
    // OnStreamClose); the rest finish.
    self->goaway_last_stream_ = frame->goaway.last_stream_id;
    self->listener_->OnGoaway(frame->goaway.last_stream_id);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream, uint32_t error,
                           void* user) {
    Http2Session* self = Self(user);
    auto it = self->streams_.find(stream);
    if (it == self->streams_.end()) return 0;
    Stream s = std::move(it->second);
    StreamEnd end;
    end.in_flight = static_cast<uint32_t>(self->streams_.size());
    end.status = s.status;
    self->Forget(stream);
    if (error == NGHTTP2_REFUSED_STREAM && !s.answered) {
      // RFC 9113 section 8.7: the server did not process it, so it is safe
      // to send again.
      end.kind = StreamEnd::Kind::kRefused;
      end.by_goaway =
          self->goaway_last_stream_ >= 0 && stream > self->goaway_last_stream_;
    } else if (error != NGHTTP2_NO_ERROR) {
      end.kind = StreamEnd::Kind::kReset;
      end.answered = s.answered;
      end.detail = absl::StrCat("the server reset the stream: ",
                                nghttp2_http2_strerror(error));
    } else if (!s.answered) {
      end.kind = StreamEnd::Kind::kReset;
      end.detail = "the stream ended without a response";
    } else {
      end.kind = StreamEnd::Kind::kAnswered;
      end.content_type = std::move(s.content_type);
      end.body = std::move(s.body);
    }
    self->listener_->OnStreamEnd(stream, std::move(end));
    return 0;
  }

  // POST bodies: looked up by stream, as the stream may be forgotten (timed
  // out or cancelled) by the time nghttp2 asks.
  static ssize_t ReadBody(nghttp2_session*, int32_t stream, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source*,
                          void* user) {
    Http2Session* self = Self(user);
    Stream* s = Find(self, stream);
    size_t n = 0;
    if (s != nullptr) {
      // Queries over one frame (16384 bytes) take several calls.
      n = std::min(length, s->query.size() - s->sent);
      std::memcpy(buffer, s->query.data() + s->sent, n);
      s->sent += n;
    }
    if (s == nullptr || s->sent == s->query.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      // This body is all out: the next stream may start.
      if (self->unsent_body_stream_ == stream) {
        self->unsent_body_stream_ = -1;
        self->stream_gate_opened_ = true;
      }
    }
    return static_cast<ssize_t>(n);
  }

  // Why nghttp2 is ending the session (a protocol error of the server's),
  // for the failure's detail.
  static int OnError(nghttp2_session*, int, const char* message, size_t length,
                     void* user) {
    Self(user)->session_error_.assign(message, length);
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

Http2Session::Http2Session(TlsSocket* socket, Config config, Listener* listener)
    : socket_(socket),
      config_(std::move(config)),
      listener_(listener),
      last_heard_(EventLoop::MonotonicNow()) {
  nghttp2_session_client_new(&session_, Callbacks::Get(), this);
  // No server push: a resolver has no use for it.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

Http2Session::~Http2Session() { nghttp2_session_del(session_); }

int32_t Http2Session::Submit(bool get, absl::string_view path,
                             absl::Span<const uint8_t> query) {
  const std::string length = absl::StrCat(query.size());
  // Nothing that tells one user from another unless the prefs say so: no
  // cookies, and a user agent or languages only when configured.
  // Credentials are not kept in HPACK's table.
  nghttp2_nv headers[12];
  size_t n = 0;
  headers[n++] = Header(":method", get ? "GET" : "POST");
  headers[n++] = Header(":scheme", "https");
  headers[n++] = Header(":authority", config_.authority);
  headers[n++] = Header(":path", path);
  headers[n++] = Header("accept", config_.accept);
  // RFC 8484 section 5.1 lets caches keep answers; none of ours should sit
  // in a shared cache.
  headers[n++] = Header("cache-control", "no-store");
  const ClientHeaders& client = config_.client;
  headers[n++] = Header("accept-encoding", client.accept_encoding);
  if (!client.user_agent.empty()) {
    headers[n++] = Header("user-agent", client.user_agent);
  }
  if (!client.accept_language.empty()) {
    headers[n++] = Header("accept-language", client.accept_language);
  }
  if (!config_.credentials.empty()) {
    headers[n++] =
        Header("authorization", config_.credentials, NGHTTP2_NV_FLAG_NO_INDEX);
  }
  nghttp2_data_provider body{};
  if (!get) {
    headers[n++] = Header("content-type", config_.content_type);
    headers[n++] = Header("content-length", length);
    body.read_callback = &Callbacks::ReadBody;
  }
  const int32_t stream = nghttp2_submit_request(session_, nullptr, headers, n,
                                                get ? nullptr : &body, nullptr);
  if (stream < 0) return stream;
  Stream& s = streams_[stream];
  if (!get) {
    s.query.assign(query.begin(), query.end());
    unsent_body_stream_ = stream;
  }
  return stream;
}

void Http2Session::Reset(int32_t stream) {
  // Tell the server to stop: the stream's id is not reused either way.
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream,
                            NGHTTP2_CANCEL);
  Forget(stream);
}

void Http2Session::Forget(int32_t stream) {
  streams_.erase(stream);
  // Reset before its body went: nghttp2 will not ask for it now.
  if (unsent_body_stream_ == stream) unsent_body_stream_ = -1;
}

bool Http2Session::Ping() {
  return nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr) == 0;
}

bool Http2Session::HasResponse(int32_t stream) const {
  auto it = streams_.find(stream);
  return it != streams_.end() && it->second.answered;
}

bool Http2Session::Fail(DohError error, std::string detail) {
  failure_ = DohFailure{error, std::move(detail)};
  return false;
}

bool Http2Session::Produce(size_t up_to) {
  while (pending_.size() < up_to) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      return Fail(
          DohError::kOther,
          absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
    }
    if (n == 0) return true;
    // After a write that would have blocked, TLS wants the same bytes
    // again; more after them is allowed (and the buffer may move).
    pending_.append(reinterpret_cast<const char*>(data),
                    static_cast<size_t>(n));
  }
  return true;
}

bool Http2Session::Pump() {
  uint8_t buffer[16384];
  ERR_clear_error();
  socket_->io.drained = false;
  for (;;) {
    if (pending_.size() > kMaxPendingOutput) {
      // The server is not reading what we owe it (ACKs of its PINGs, say):
      // read no more from it until it has taken some.
      reading_paused_ = true;
      break;
    }
    const int n = SSL_read(socket_->ssl, buffer, sizeof(buffer));
    if (n > 0) last_heard_ = EventLoop::MonotonicNow();
    if (n <= 0) {
      const int error = SSL_get_error(socket_->ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      return Fail(DohError::kReset,
                  error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL
                      ? "the server closed the connection"
                      : absl::StrCat("TLS: ", OpenSslError("read failed")));
    }
    for (size_t fed = 0; fed < static_cast<size_t>(n);) {
      const size_t chunk = std::min(kFeedChunk, static_cast<size_t>(n) - fed);
      const ssize_t used =
          nghttp2_session_mem_recv(session_, buffer + fed, chunk);
      if (used < 0) {
        return Fail(
            DohError::kReset,
            absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(used))));
      }
      fed += chunk;
      // Take out the ACKs it owes now, so that no storm of PINGs or
      // SETTINGS piles them up past nghttp2's flood guard.
      if (!Produce()) return false;
    }
    // The socket is empty and TLS holds nothing more: epoll says when there
    // is more (it is level-triggered), so no recv just to hear EAGAIN.
    if (socket_->io.drained && !SSL_has_pending(socket_->ssl)) break;
  }
  return Flush();
}

bool Http2Session::Flush() {
  // nghttp2 hands out a frame or less at a time; what it has goes out
  // together, up to a full TLS record, in one write.
  constexpr size_t kRecord = 16384;
  for (;;) {
    if (!Produce(kRecord)) return false;
    if (pending_.empty()) break;
    const size_t before = pending_.size();
    if (!socket_->Write(pending_)) {
      return Fail(DohError::kReset, "the connection broke while writing");
    }
    if (pending_.size() == before) break;  // the socket is full
  }
  // Both sides done: after a GOAWAY with every stream closed, or nghttp2
  // ended the session (the server broke the protocol, or flooded us past
  // what it takes); then the streams left will not be answered.
  if (!nghttp2_session_want_read(session_) &&
      !nghttp2_session_want_write(session_) && pending_.empty()) {
    if (!streams_.empty()) {
      return Fail(
          DohError::kReset,
          absl::StrCat("HTTP/2 session ended: ",
                       session_error_.empty() ? "GOAWAY" : session_error_));
    }
    ended_ = true;
  }
  if (reading_paused_ && pending_.size() <= kMaxPendingOutput / 2) {
    // The server took enough: read again, starting with what TLS holds.
    reading_paused_ = false;
    resume_reading_ = true;
  }
  return true;
}

bool Http2Session::TakeResumeReading() {
  return std::exchange(resume_reading_, false);
}

bool Http2Session::TakeStreamGateOpened() {
  return std::exchange(stream_gate_opened_, false);
}

uint32_t Http2Session::WantedEvents() const {
  uint32_t events = reading_paused_ ? 0u : uint32_t{EPOLLIN};
  if (!pending_.empty()) events |= EPOLLOUT;
  return events;
}

uint32_t Http2Session::ServerMaxStreams() const {
  return nghttp2_session_get_remote_settings(
      session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

void Http2Session::Goodbye() {
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  const uint8_t* data = nullptr;
  const ssize_t n = nghttp2_session_mem_send(session_, &data);
  ERR_clear_error();
  if (n > 0) {
    pending_.append(reinterpret_cast<const char*>(data),
                    static_cast<size_t>(n));
    SSL_write(socket_->ssl, pending_.data(), static_cast<int>(pending_.size()));
  }
  SSL_shutdown(socket_->ssl);
}

}  // namespace trr
