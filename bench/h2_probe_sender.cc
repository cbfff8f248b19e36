#include "bench/h2_probe_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "trr/dns/base64url.h"

namespace trr_bench {

using trr::DohError;
using trr::DohResult;

struct H2ProbeSender::Request {
  RequestId id = 0;
  Callback done;
  std::vector<uint8_t> query;
  size_t body_sent = 0;  // POST: how much of `query` nghttp2 has taken
  int32_t stream = -1;
  trr::EventLoop::TimerId timer = 0;
  DohResult result;
  bool dns_message = false;
};

struct H2ProbeSender::Connection {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  nghttp2_session* session = nullptr;
  bool handshaken = false;
  uint32_t watched = 0;  // the epoll events asked for now
  // Bytes nghttp2 gave that TLS has not taken yet.
  std::string pending;
  absl::flat_hash_map<int32_t, RequestId> streams;

  ~Connection() {
    if (session != nullptr) nghttp2_session_del(session);
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }
};

H2ProbeSender::H2ProbeSender(trr::EventLoop* loop) : loop_(loop) {}

H2ProbeSender::~H2ProbeSender() {
  CancelAll();
  if (conn_ && conn_->fd >= 0) loop_->UnwatchFd(conn_->fd);
}

void H2ProbeSender::Configure(trr::DohConfig config) {
  config_ = std::move(config);
}

H2ProbeSender::RequestId H2ProbeSender::Send(absl::Span<const uint8_t> query,
                                             absl::Duration timeout,
                                             Callback done) {
  auto request = std::make_unique<Request>();
  Request* r = request.get();
  r->id = next_id_++;
  r->done = std::move(done);
  r->query.assign(query.begin(), query.end());
  const RequestId id = r->id;
  r->timer = loop_->AddTimer(timeout, [this, id] {
    DohResult result;
    result.error = DohError::kTimeout;
    Finish(id, std::move(result));
  });
  requests_[id] = std::move(request);
  if (!conn_) Connect();
  if (conn_ && conn_->session != nullptr) {
    Submit(r);
    // Written once at the end of this turn of the loop, so the requests a
    // burst of answers set off share one TLS record and one write.
    if (!flush_posted_) {
      flush_posted_ = true;
      PostWhileAlive([this] {
        flush_posted_ = false;
        Flush();
      });
    }
  } else {
    waiting_.push_back(id);
  }
  return id;
}

void H2ProbeSender::Cancel(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  if (conn_ && conn_->session != nullptr && it->second->stream >= 0) {
    nghttp2_submit_rst_stream(conn_->session, NGHTTP2_FLAG_NONE,
                              it->second->stream, NGHTTP2_CANCEL);
  }
  DohResult result;
  result.error = DohError::kCancelled;
  Finish(id, std::move(result));
}

void H2ProbeSender::CancelAll() {
  while (!requests_.empty()) Cancel(requests_.begin()->first);
}

void H2ProbeSender::Finish(RequestId id, DohResult result) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  std::unique_ptr<Request> request = std::move(it->second);
  requests_.erase(it);
  loop_->CancelTimer(request->timer);
  if (conn_ && request->stream >= 0) conn_->streams.erase(request->stream);
  // Never inside Send: the callback runs on a later turn of the loop.
  loop_->Post(
      [done = std::move(request->done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
}

void H2ProbeSender::Fail(DohError error, const std::string& detail) {
  if (conn_ && conn_->fd >= 0) loop_->UnwatchFd(conn_->fd);
  // Destroyed on a later turn: this may run inside an nghttp2 callback.
  loop_->Post([dead = std::shared_ptr<Connection>(conn_.release())] {});
  std::vector<RequestId> ids;
  for (const auto& [id, request] : requests_) ids.push_back(id);
  for (RequestId id : ids) {
    DohResult result;
    result.error = error;
    result.detail = detail;
    Finish(id, std::move(result));
  }
  waiting_.clear();
}

void H2ProbeSender::PostWhileAlive(std::function<void()> task) {
  loop_->Post([alive = std::weak_ptr<bool>(alive_), task = std::move(task)] {
    if (!alive.expired()) task();
  });
}

void H2ProbeSender::Connect() {
  if (config_.bootstrap.empty()) {
    PostWhileAlive(
        [this] { Fail(DohError::kConnect, "probe needs bootstrap"); });
    return;
  }
  conn_ = std::make_unique<Connection>();
  ++connections_;
  const trr::IpAddress& ip = config_.bootstrap.front();
  sockaddr_storage addr{};
  socklen_t length = 0;
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_port = htons(config_.uri.port);
    std::memcpy(&in->sin_addr, ip.bytes().data(), 4);
    length = sizeof(*in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(config_.uri.port);
    std::memcpy(&in6->sin6_addr, ip.bytes().data(), 16);
    length = sizeof(*in6);
  }
  conn_->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     IPPROTO_TCP);
  const int one = 1;
  setsockopt(conn_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(conn_->fd, reinterpret_cast<sockaddr*>(&addr), length) != 0 &&
      errno != EINPROGRESS) {
    const std::string why = strerror(errno);
    PostWhileAlive([this, why] { Fail(DohError::kConnect, why); });
    return;
  }
  conn_->ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_mode(conn_->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(conn_->ctx, SSL_VERIFY_PEER, nullptr);
  if (!config_.ca_file.empty()) {
    SSL_CTX_load_verify_locations(conn_->ctx, config_.ca_file.c_str(), nullptr);
  } else {
    SSL_CTX_set_default_verify_paths(conn_->ctx);
  }
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(conn_->ctx, kAlpn, sizeof(kAlpn));
  conn_->ssl = SSL_new(conn_->ctx);
  SSL_set_fd(conn_->ssl, conn_->fd);
  SSL_set_tlsext_host_name(conn_->ssl, config_.uri.host.c_str());
  SSL_set1_host(conn_->ssl, config_.uri.host.c_str());
  SSL_set_connect_state(conn_->ssl);
  WatchFor(EPOLLOUT | EPOLLIN);
}

void H2ProbeSender::OnEvents(uint32_t events) {
  if (!conn_) return;
  if (!conn_->handshaken) {
    Handshake();
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Pump();
  if (conn_ && (events & EPOLLOUT)) Flush();
}

void H2ProbeSender::Handshake() {
  const int rc = SSL_do_handshake(conn_->ssl);
  if (rc == 1) {
    const unsigned char* proto = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(conn_->ssl, &proto, &length);
    if (length != 2 || std::memcmp(proto, "h2", 2) != 0) {
      Fail(DohError::kTls, "the server did not choose h2");
      return;
    }
    conn_->handshaken = true;
    StartSession();
    return;
  }
  const int error = SSL_get_error(conn_->ssl, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    WatchFor(error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
    return;
  }
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof(text));
  Fail(DohError::kTls, text);
}

namespace {

H2ProbeSender* Self(void* user_data) {
  return static_cast<H2ProbeSender*>(user_data);
}

}  // namespace

void H2ProbeSender::StartSession() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  // Headers: the status and the content type of each stream.
  nghttp2_session_callbacks_set_on_header_callback(
      callbacks,
      [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
         size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
         void* user) -> int {
        H2ProbeSender* self = Self(user);
        auto s = self->conn_->streams.find(frame->hd.stream_id);
        if (s == self->conn_->streams.end()) return 0;
        Request* r = self->requests_.at(s->second).get();
        const std::string_view n(reinterpret_cast<const char*>(name), namelen);
        const std::string_view v(reinterpret_cast<const char*>(value),
                                 valuelen);
        if (n == ":status") {
          r->result.http_status = std::atoi(std::string(v).c_str());
        } else if (n == "content-type") {
          r->dns_message = v == "application/dns-message";
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      callbacks,
      [](nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data,
         size_t length, void* user) -> int {
        H2ProbeSender* self = Self(user);
        auto s = self->conn_->streams.find(stream);
        if (s == self->conn_->streams.end()) return 0;
        auto& body = self->requests_.at(s->second)->result.body;
        if (body.size() + length > 65535) {
          return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        body.insert(body.end(), data, data + length);
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      callbacks,
      [](nghttp2_session*, int32_t stream, uint32_t error, void* user) -> int {
        H2ProbeSender* self = Self(user);
        auto s = self->conn_->streams.find(stream);
        if (s == self->conn_->streams.end()) return 0;
        const RequestId id = s->second;
        DohResult result = std::move(self->requests_.at(id)->result);
        const bool dns_message = self->requests_.at(id)->dns_message;
        if (error != NGHTTP2_NO_ERROR) {
          result.error = DohError::kReset;
        } else if (result.http_status != 200) {
          result.error = DohError::kHttpStatus;
        } else if (!dns_message) {
          result.error = DohError::kContentType;
        }
        self->Finish(id, std::move(result));
        return 0;
      });
  nghttp2_session_client_new(&conn_->session, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(conn_->session, NGHTTP2_FLAG_NONE, nullptr, 0);
  std::vector<RequestId> waiting;
  waiting.swap(waiting_);
  for (RequestId id : waiting) {
    auto it = requests_.find(id);
    if (it != requests_.end()) Submit(it->second.get());
  }
  Watch();
  Flush();
}

void H2ProbeSender::Submit(Request* r) {
  const std::string& host = config_.uri.host;
  std::string path;
  if (config_.use_get) {
    path = config_.uri.path + "?dns=" + trr::dns::Base64UrlEncode(r->query);
  } else {
    path = config_.uri.path;
  }
  auto header = [](const char* name, const std::string& value) {
    return nghttp2_nv{
        reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
        reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
        std::strlen(name), value.size(), NGHTTP2_NV_FLAG_NONE};
  };
  const std::string method = config_.use_get ? "GET" : "POST";
  const std::string scheme = "https";
  const std::string authority = config_.uri.port == 443
                                    ? host
                                    : absl::StrCat(host, ":", config_.uri.port);
  const std::string type = "application/dns-message";
  const std::string length = std::to_string(r->query.size());
  std::vector<nghttp2_nv> headers = {
      header(":method", method), header(":scheme", scheme),
      header(":authority", authority), header(":path", path),
      header("accept", type)};
  nghttp2_data_provider provider{};
  nghttp2_data_provider* body = nullptr;
  if (!config_.use_get) {
    headers.push_back(header("content-type", type));
    headers.push_back(header("content-length", length));
    provider.source.ptr = r;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf,
                                size_t size, uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto* request = static_cast<Request*>(source->ptr);
      const size_t n =
          std::min(size, request->query.size() - request->body_sent);
      std::memcpy(buf, request->query.data() + request->body_sent, n);
      request->body_sent += n;
      if (request->body_sent == request->query.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      }
      return static_cast<ssize_t>(n);
    };
    body = &provider;
  }
  r->stream = nghttp2_submit_request(conn_->session, nullptr, headers.data(),
                                     headers.size(), body, nullptr);
  if (r->stream < 0) {
    DohResult result;
    result.error = DohError::kOther;
    result.detail = nghttp2_strerror(r->stream);
    Finish(r->id, std::move(result));
    return;
  }
  conn_->streams[r->stream] = r->id;
}

void H2ProbeSender::Watch() {
  WatchFor(conn_->pending.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

void H2ProbeSender::WatchFor(uint32_t events) {
  if (events == conn_->watched) return;  // an epoll_ctl saved
  conn_->watched = events;
  loop_->WatchFd(conn_->fd, events,
                 [this](uint32_t fired) { OnEvents(fired); });
}

void H2ProbeSender::Pump() {
  uint8_t buffer[16384];
  for (;;) {
    const int n = SSL_read(conn_->ssl, buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(conn_->ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
      Fail(DohError::kReset, "the connection closed");
      return;
    }
    const ssize_t used = nghttp2_session_mem_recv(conn_->session, buffer, n);
    if (used < 0) {
      Fail(DohError::kReset, nghttp2_strerror(static_cast<int>(used)));
      return;
    }
  }
  Flush();
}

void H2ProbeSender::Flush() {
  if (!conn_ || conn_->session == nullptr) return;
  for (;;) {
    if (conn_->pending.empty()) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(conn_->session, &data);
      if (n < 0) {
        Fail(DohError::kOther, nghttp2_strerror(static_cast<int>(n)));
        return;
      }
      if (n == 0) break;
      conn_->pending.assign(reinterpret_cast<const char*>(data), n);
    }
    const int written = SSL_write(conn_->ssl, conn_->pending.data(),
                                  static_cast<int>(conn_->pending.size()));
    if (written <= 0) {
      const int error = SSL_get_error(conn_->ssl, written);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) break;
      Fail(DohError::kReset, "the connection closed while writing");
      return;
    }
    conn_->pending.erase(0, static_cast<size_t>(written));
  }
  Watch();
}

}  // namespace trr_bench
