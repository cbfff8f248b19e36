#include "bench/curl_doh_transport.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "trr/dns/base64url.h"
#include "trr/loop/socket_address.h"

namespace trr {
namespace {

// curl_global_init is not thread-safe; do it once per process, before any
// transport exists.
void InitCurlOnce() {
  static const bool initialized = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialized;
}

DohError ErrorFor(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return DohError::kOk;
    case CURLE_OPERATION_TIMEDOUT:
      return DohError::kTimeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return DohError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return DohError::kTls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
      return DohError::kReset;
    default:
      return DohError::kOther;
  }
}

}  // namespace

// An owned curl_slist.
struct CurlDohTransport::SList {
  curl_slist* list = nullptr;
  explicit SList(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      list = curl_slist_append(list, line.c_str());
    }
  }
  ~SList() { curl_slist_free_all(list); }
};

struct CurlDohTransport::Request {
  RequestId id = 0;
  CURL* easy = nullptr;
  uint64_t generation = 0;
  std::vector<uint8_t> query;  // POST body; must live until done
  std::string url;             // must live until done
  // libcurl reads the header list while the transfer runs; a Configure
  // meanwhile must not free it.
  std::shared_ptr<const SList> headers;
  std::vector<uint8_t> body;
  bool too_large = false;
  // HTTP/1.1 past the pool's size: waits here, not in libcurl.
  bool queued = false;
  absl::Time deadline;
  EventLoop::TimerId queue_timer = 0;
  Callback done;
  char error[CURL_ERROR_SIZE] = {};
};

CurlDohTransport::CurlDohTransport(EventLoop* loop, Options options)
    : loop_(loop), options_(options) {
  InitCurlOnce();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION,
                    &CurlDohTransport::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlDohTransport::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  const long connections = std::max(1, options_.max_connections);
  if (options_.http == Http::k2) {
    // Every query on one HTTP/2 connection; the server's stream limit
    // queues the rest rather than opening more.
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);
  } else {
    // One request at a time per connection, each kept alive for the next;
    // past the pool's size requests wait for a free connection.
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, connections);
  }
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
  Configure(DohConfig());
}

CurlDohTransport::~CurlDohTransport() {
  CancelAll();
  for (auto& [easy, generation] : idle_handles_) curl_easy_cleanup(easy);
  if (curl_timer_ != 0) loop_->CancelTimer(curl_timer_);
  curl_multi_cleanup(multi_);
}

void CurlDohTransport::Configure(DohConfig config) {
  config_ = std::move(config);
  ++config_generation_;
  std::vector<std::string> common = {
      "Accept: application/dns-message",
      // RFC 8484 section 5.1 lets caches keep answers; nothing of ours
      // should sit in a shared cache.
      "Cache-Control: no-store",
      "Accept-Encoding: identity",
      // curl adds these for POST bodies; a DoH query needs neither.
      "Expect:",
  };
  if (!config_.credentials.empty()) {
    common.push_back(absl::StrCat("Authorization: ", config_.credentials));
  }
  get_headers_ = std::make_shared<SList>(common);
  common.push_back("Content-Type: application/dns-message");
  post_headers_ = std::make_shared<SList>(common);
  std::vector<std::string> resolve;
  // Forget what an earlier configuration put in curl's DNS cache.
  for (const std::string& host_port : resolved_host_ports_) {
    resolve.push_back(absl::StrCat("-", host_port));
  }
  resolved_host_ports_.clear();
  if (!config_.bootstrap.empty() && !config_.uri.host.empty()) {
    resolved_host_ports_.push_back(
        absl::StrCat(config_.uri.host, ":", config_.uri.port));
    std::vector<std::string> addresses;
    for (const IpAddress& ip : config_.bootstrap) {
      addresses.push_back(ip.is_v6() ? absl::StrCat("[", ip.ToString(), "]")
                                     : ip.ToString());
    }
    resolve.push_back(absl::StrCat(config_.uri.host, ":", config_.uri.port, ":",
                                   absl::StrJoin(addresses, ",")));
  }
  resolve_ = std::make_unique<SList>(resolve);
  resolve_loaded_ = resolve.empty();
}

void CurlDohTransport::ApplyConnectionOptions(void* handle) {
  CURL* easy = static_cast<CURL*>(handle);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (options_.http == Http::k2) {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  }
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION,
                   &CurlDohTransport::OpenSocket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION,
                   &CurlDohTransport::CloseSocket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy, CURLOPT_CAINFO,
                   config_.ca_file.empty() ? nullptr : config_.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
  // No proxy from the environment: the DoH server is reached directly (and
  // curl skips looking for *_proxy variables on every transfer).
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlDohTransport::OnBody);
}

void* CurlDohTransport::TakeEasyHandle() {
  while (!idle_handles_.empty()) {
    auto [easy, generation] = idle_handles_.back();
    idle_handles_.pop_back();
    if (generation == config_generation_) return easy;
    curl_easy_cleanup(static_cast<CURL*>(easy));
  }
  CURL* easy = curl_easy_init();
  ApplyConnectionOptions(easy);
  return easy;
}

CurlDohTransport::RequestId CurlDohTransport::Send(
    absl::Span<const uint8_t> query, absl::Duration timeout, Callback done) {
  auto request = std::make_unique<Request>();
  Request* r = request.get();
  r->id = next_id_++;
  r->done = std::move(done);
  ++stats_.requests;
  if (config_.uri.host.empty()) {
    requests_[r->id] = std::move(request);
    // Never inside Send: finish on the next turn of the loop.
    const RequestId id = r->id;
    loop_->Post([this, id] {
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      DohResult result;
      result.error = DohError::kConnect;
      result.detail = "no DoH URI is configured";
      Finish(it->second.get(), std::move(result));
    });
    return id;
  }
  r->deadline = EventLoop::MonotonicNow() + timeout;
  r->query.assign(query.begin(), query.end());
  const RequestId id = r->id;
  requests_[id] = std::move(request);
  if (options_.http == Http::k1_1 &&
      in_curl_ >= static_cast<size_t>(std::max(1, options_.max_connections))) {
    // libcurl would keep it on a list of pending transfers that it walks
    // again every time a connection comes free; a queue of ours costs
    // nothing per completion.
    r->queued = true;
    r->queue_timer = loop_->AddTimer(timeout, [this, id] {
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      it->second->queue_timer = 0;
      DohResult result;
      result.error = DohError::kTimeout;
      result.detail = "timed out waiting for a free HTTP/1.1 connection";
      Finish(it->second.get(), std::move(result));
    });
    queue_.push_back(id);
    return id;
  }
  Start(r);
  return id;
}

void CurlDohTransport::Start(Request* r) {
  r->easy = static_cast<CURL*>(TakeEasyHandle());
  r->generation = config_generation_;
  CURL* easy = r->easy;
  if (config_.use_get) {
    std::string encoded;
    dns::Base64UrlEncodeTo(r->query, encoded);
    r->url = config_.uri.GetUrl(encoded);
    r->headers = get_headers_;
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, get_headers_->list);
  } else {
    r->url = config_.uri.Url();
    r->headers = post_headers_;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->query.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(r->query.size()));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, post_headers_->list);
  }
  curl_easy_setopt(easy, CURLOPT_URL, r->url.c_str());
  // The bootstrap addresses go into the multi handle's DNS cache, where
  // CURLOPT_RESOLVE entries stay for good; curl parses the list on every
  // transfer that carries it, so only the first of a configuration does.
  curl_easy_setopt(easy, CURLOPT_RESOLVE,
                   resolve_loaded_ ? nullptr : resolve_->list);
  resolve_loaded_ = true;
  const absl::Duration left = r->deadline - EventLoop::MonotonicNow();
  curl_easy_setopt(
      easy, CURLOPT_TIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
  curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
  ++in_curl_;
  curl_multi_add_handle(multi_, easy);
}

void CurlDohTransport::StartQueued() {
  // Not from inside a libcurl callback: CollectDone and Finish run after
  // curl_multi_socket_action has returned.
  while (!queue_.empty() && in_curl_ < static_cast<size_t>(std::max(
                                           1, options_.max_connections))) {
    const RequestId id = queue_.front();
    queue_.pop_front();
    auto it = requests_.find(id);
    if (it == requests_.end() || !it->second->queued) continue;
    Request* r = it->second.get();
    r->queued = false;
    loop_->CancelTimer(r->queue_timer);
    r->queue_timer = 0;
    Start(r);
  }
}

void CurlDohTransport::Cancel(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  DohResult result;
  result.error = DohError::kCancelled;
  result.detail = "cancelled";
  Finish(it->second.get(), std::move(result));
}

void CurlDohTransport::CancelAll() {
  // The queued first, so that no cancellation starts one of them.
  std::vector<RequestId> ids(queue_.begin(), queue_.end());
  queue_.clear();
  for (const auto& [id, request] : requests_) {
    if (!request->queued) ids.push_back(id);
  }
  for (RequestId id : ids) Cancel(id);
}

void CurlDohTransport::Finish(Request* request, DohResult result) {
  if (request->queue_timer != 0) loop_->CancelTimer(request->queue_timer);
  if (request->easy != nullptr) {
    --in_curl_;
    curl_multi_remove_handle(multi_, request->easy);
    if (request->generation == config_generation_ &&
        result.error == DohError::kOk) {
      idle_handles_.emplace_back(request->easy, request->generation);
    } else {
      // A handle that failed may hold a broken connection's state; start
      // the next request on a clean one.
      curl_easy_cleanup(request->easy);
    }
    request->easy = nullptr;
  }
  ++stats_.errors[static_cast<int>(result.error)];
  if (result.ok()) ++stats_.completed_ok;
  Callback done = std::move(request->done);
  requests_.erase(request->id);  // frees `request`
  // Before the callback, so that a request it sends queues behind them.
  StartQueued();
  done(std::move(result));
}

size_t CurlDohTransport::OnBody(char* data, size_t size, size_t n, void* user) {
  auto* request = static_cast<Request*>(user);
  const size_t bytes = size * n;
  if (request->body.size() + bytes > kMaxDohBody) {
    request->too_large = true;
    return 0;  // aborts the transfer
  }
  request->body.insert(request->body.end(), data, data + bytes);
  return bytes;
}

int CurlDohTransport::OpenSocket(void* self, int purpose, void* address) {
  auto* transport = static_cast<CurlDohTransport*>(self);
  const auto* where = static_cast<const curl_sockaddr*>(address);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  const int fd =
      socket(where->family, where->socktype | SOCK_CLOEXEC, where->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  uint16_t port = 0;
  const std::optional<IpAddress> ip = AddressOf(&where->addr, &port);
  std::string peer = ip ? HostPort(*ip, port) : "";
  transport->sockets_[fd].peer = std::move(peer);
  return fd;
}

int CurlDohTransport::CloseSocket(void* self, int fd) {
  auto* transport = static_cast<CurlDohTransport*>(self);
  transport->sockets_.erase(fd);
  transport->loop_->UnwatchFd(fd);  // a parked one may still be in epoll
  return close(fd);
}

std::vector<DohConnectionInfo> CurlDohTransport::Connections() const {
  // Requests on each connection now (HTTP/1.1: one at most).
  absl::flat_hash_map<int, uint32_t> in_flight;
  for (const auto& [id, request] : requests_) {
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (request->easy != nullptr &&
        curl_easy_getinfo(request->easy, CURLINFO_ACTIVESOCKET, &fd) ==
            CURLE_OK &&
        fd != CURL_SOCKET_BAD) {
      ++in_flight[fd];
    }
  }
  std::vector<DohConnectionInfo> out;
  for (const auto& [fd, socket] : sockets_) {
    DohConnectionInfo info;
    info.protocol = options_.http == Http::k2 ? "h2" : "http/1.1";
    info.state = "open";
    info.address = socket.peer;
    info.answered = socket.answered;
    auto it = in_flight.find(fd);
    info.in_flight = it == in_flight.end() ? 0 : it->second;
    info.stream_limit = options_.http == Http::k2 ? 0 : 1;
    info.server_max_streams = info.stream_limit;
    out.push_back(std::move(info));
  }
  return out;
}

int CurlDohTransport::OnSocket(void*, int fd, int what, void* self, void*) {
  auto* transport = static_cast<CurlDohTransport*>(self);
  auto socket = transport->sockets_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (socket == transport->sockets_.end()) {
      transport->loop_->UnwatchFd(fd);
    } else {
      // A kept-alive connection between two requests: curl will want it
      // again soon, so it stays in epoll (two system calls a request
      // saved) until an event comes for it meanwhile (CloseSocket, or the
      // callback below, takes it out then).
      socket->second.parked = true;
    }
    return 0;
  }
  if (socket != transport->sockets_.end()) socket->second.parked = false;
  uint32_t events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
  transport->loop_->WatchFd(fd, events, [transport, fd](uint32_t fired) {
    auto socket = transport->sockets_.find(fd);
    if (socket != transport->sockets_.end() && socket->second.parked) {
      // curl is not watching it: the server closed an idle connection, say.
      // curl finds out when it next uses it.
      transport->loop_->UnwatchFd(fd);
      return;
    }
    int action = 0;
    if (fired & (EPOLLIN | EPOLLHUP)) action |= CURL_CSELECT_IN;
    if (fired & EPOLLOUT) action |= CURL_CSELECT_OUT;
    if (fired & EPOLLERR) action |= CURL_CSELECT_ERR;
    transport->SocketAction(fd, action);
  });
  return 0;
}

int CurlDohTransport::OnTimer(void*, long timeout_ms, void* self) {
  auto* transport = static_cast<CurlDohTransport*>(self);
  if (transport->curl_timer_ != 0) {
    transport->loop_->CancelTimer(transport->curl_timer_);
    transport->curl_timer_ = 0;
  }
  if (timeout_ms >= 0) {
    transport->curl_timer_ =
        transport->loop_->AddTimer(absl::Milliseconds(timeout_ms), [transport] {
          transport->curl_timer_ = 0;
          transport->SocketAction(CURL_SOCKET_TIMEOUT, 0);
        });
  }
  return 0;
}

void CurlDohTransport::SocketAction(int fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  CollectDone();
}

void CurlDohTransport::CollectDone() {
  CURLMsg* message;
  int left = 0;
  while ((message = curl_multi_info_read(multi_, &left)) != nullptr) {
    if (message->msg != CURLMSG_DONE) continue;
    Request* request = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &request);
    const CURLcode code = message->data.result;
    long connects = 0;
    curl_easy_getinfo(request->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (code == CURLE_OK &&
        curl_easy_getinfo(request->easy, CURLINFO_ACTIVESOCKET, &fd) ==
            CURLE_OK) {
      auto it = sockets_.find(fd);
      if (it != sockets_.end()) ++it->second.answered;
    }
    stats_.connections_opened += static_cast<uint64_t>(connects);
    DohResult result;
    long status = 0;
    curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE, &status);
    result.http_status = static_cast<int>(status);
    if (request->too_large) {
      result.error = DohError::kTooLarge;
      result.detail = "answer body over 65535 bytes";
    } else if (code != CURLE_OK) {
      result.error = ErrorFor(code);
      result.detail =
          request->error[0] != '\0' ? request->error : curl_easy_strerror(code);
    } else {
      const char* type = nullptr;
      curl_easy_getinfo(request->easy, CURLINFO_CONTENT_TYPE, &type);
      result =
          CheckedAnswer(static_cast<int>(status), type != nullptr ? type : "",
                        std::move(request->body));
    }
    Finish(request, std::move(result));
  }
}

}  // namespace trr
