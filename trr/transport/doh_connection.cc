// DohTransport's connections that are up: requests on an Http2Session (and
// what it reports of their streams), or HTTP/1.1 through
// Http1ResponseReader, reading and writing through OpenSSL, and failing.
// Setting connections up is in doh_connect.cc; requests are in
// doh_transport.cc, their queue and retries in doh_queue.cc.

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <sys/epoll.h>

#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "trr/dns/base64url.h"
#include "trr/transport/doh_transport_internal.h"

namespace trr {

SessionConfig DohTransport::SessionConfigNow() const {
  SessionConfig session;
  session.authority = authority_;
  session.accept = config_.response_type;
  session.content_type = config_.request_type;
  session.credentials = config_.credentials;
  session.max_body = kMaxDohBody;
  session.client = config_.client;
  return session;
}

void DohTransport::StartSession(Connection* conn) {
  conn->h2 = std::make_unique<Http2Session>(conn->socket.get(),
                                            SessionConfigNow(), conn);
  conn->state = Connection::State::kReady;
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
  conn->h1 = std::make_unique<Http1Session>(conn->socket.get(),
                                            SessionConfigNow(), conn);
  conn->state = Connection::State::kReady;
  Watch(conn, EPOLLIN);
  Dispatch();
}

void DohTransport::SubmitHttp1(Connection* conn, Request* r) {
  conn->h1->Submit(config_.use_get || config_.plain_get, RequestPath(*r),
                   r->query);
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
  const int32_t stream = conn->h2->Submit(get, RequestPath(*r), r->query);
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
  // Its HEADERS and DATA now, together.
  if (!conn->h2->Produce()) {
    Fail(conn, conn->h2->failure().error, conn->h2->failure().detail);
  }
}

void DohTransport::OnStreamEnd(Connection* conn, int32_t stream,
                               Http2Session::StreamEnd end) {
  auto it = conn->streams.find(stream);
  if (it == conn->streams.end()) return;
  Request* r = it->second;
  conn->streams.erase(it);
  r->conn = nullptr;
  r->stream = -1;
  r->status = end.status;
  using Kind = Http2Session::StreamEnd::Kind;
  switch (end.kind) {
    case Kind::kRefused:
      // A GOAWAY's refusal is the server going away, not a sign that it is
      // busy: the window keeps its size.
      ++stats_.refused;
      if (!end.by_goaway) window_.OnRefused(r->sequence, end.in_flight);
      if (Requeue(r)) return;
      Finish(r, DohError::kRefused,
             absl::StrCat("the server refused the stream ", r->retries + 1,
                          " times"));
      return;
    case Kind::kAnswered:
      ++conn->answered;
      window_.OnAnswer(end.in_flight);
      Finish(r, CheckedAnswer(end.status, end.content_type, std::move(end.body),
                              config_.response_type));
      return;
    case Kind::kTooLarge:
      Finish(r, DohError::kTooLarge, std::move(end.detail));
      return;
    case Kind::kReset:
      r->answered = r->answered || end.answered;
      Finish(r, DohError::kReset, std::move(end.detail));
      return;
  }
}

void DohTransport::OnGoaway(Connection* conn, int32_t) {
  // New requests go elsewhere; the session reports the streams it refused.
  ++stats_.goaways;
  conn->draining = true;
  if (active_ == conn) active_ = nullptr;
}

void DohTransport::OnPingAnswered(Connection* conn) {
  // The server answered our health PING: the connection works.
  if (conn->ping_timer.pending()) {
    conn->ping_timer.Cancel();
    ++stats_.pings_answered;
  }
}

void DohTransport::Pump(Connection* conn) {
  if (conn->h1 != nullptr) {
    PumpHttp1(conn);
    return;
  }
  if (!conn->h2->Pump()) {
    Fail(conn, conn->h2->failure().error, conn->h2->failure().detail);
    return;
  }
  AfterSessionIo(conn);
}

void DohTransport::PumpHttp1(Connection* conn) {
  if (!conn->h1->Pump()) {
    const DohFailure failure = conn->h1->failure();
    auto in_flight = conn->streams.find(kHttp1Stream);
    if (in_flight != conn->streams.end() &&
        failure.error == DohError::kTooLarge) {
      // The server answered (too much): it is busy, not stalled.
      in_flight->second->answered = true;
      Finish(in_flight->second, DohError::kTooLarge, failure.detail);
    }
    Fail(conn, DohError::kReset, failure.detail);
    return;
  }
  Watch(conn, conn->h1->WantedEvents());
}

void DohTransport::Flush(Connection* conn) {
  if (conn->state != Connection::State::kReady) return;
  if (conn->h2 != nullptr) {
    if (!conn->h2->Flush()) {
      Fail(conn, conn->h2->failure().error, conn->h2->failure().detail);
      return;
    }
    AfterSessionIo(conn);
    return;
  }
  if (!conn->h1->Flush()) {
    Fail(conn, conn->h1->failure().error, conn->h1->failure().detail);
    return;
  }
  Watch(conn, conn->h1->WantedEvents());
}

void DohTransport::AfterSessionIo(Connection* conn) {
  Http2Session& h2 = *conn->h2;
  if (h2.ended()) {
    conn->draining = true;
    if (active_ == conn) active_ = nullptr;
  }
  // A POST body that went lets the next stream start: dispatch once, on
  // that change (a Tick on every read or write while requests wait would
  // keep the loop spinning).
  if (h2.TakeStreamGateOpened() && !waiting_.empty()) Tick();
  if (h2.TakeResumeReading()) {
    // The server took enough: read again, starting with what TLS holds.
    PostWhileAlive([this, serial = conn->serial] {
      Connection* conn = FindConnection(serial);
      if (conn == nullptr || conn->state != Connection::State::kReady) return;
      DeliveryScope scope(this);
      Pump(conn);
    });
  }
  Watch(conn, h2.WantedEvents());
}

void DohTransport::Fail(Connection* conn, DohError error,
                        const std::string& detail) {
  if (conn->state == Connection::State::kDead) return;
  CloseSocket(conn);
  conn->state = Connection::State::kDead;
  if (active_ == conn) active_ = nullptr;
  std::vector<Request*> carried;
  carried.reserve(conn->streams.size());
  for (const auto& [stream, r] : conn->streams) {
    // A request whose response was under way was answered: it fails
    // rather than going again.
    if ((conn->h2 != nullptr && conn->h2->HasResponse(stream)) ||
        (conn->h1 != nullptr && conn->h1->response_started())) {
      r->answered = true;
    }
    carried.push_back(r);
  }
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
  if (unanswered && conn->h2 != nullptr && !conn->unhealthy) {
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
