#include "trr/transport/ohttp_sender.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "trr/ohttp/bhttp.h"

namespace trr {
namespace {

// How long the key configuration's GET may take: it is one small request,
// made once, which every waiting query's own deadline also bounds.
constexpr absl::Duration kKeyFetchTimeout = absl::Seconds(10);

DohResult Error(DohError error, std::string detail) {
  DohResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

OhttpSender::OhttpSender(EventLoop* loop, MakeTransport make)
    : loop_(loop), make_(std::move(make)) {}

OhttpSender::~OhttpSender() { CancelAll(); }

DohConfig OhttpSender::InnerConfig(const DohUri& uri) const {
  // What the connection needs, and nothing of the DoH server's: its
  // addresses, credentials and certificate pin are for the target.
  DohConfig inner;
  inner.uri = uri;
  inner.ca_file = config_.ca_file;
  inner.attempt_delay = config_.attempt_delay;
  inner.idle_before_ping = config_.idle_before_ping;
  inner.ping_timeout = config_.ping_timeout;
  inner.proxy = config_.proxy;
  return inner;
}

void OhttpSender::Configure(DohConfig config) {
  const bool same_gateway = config_.ohttp == config.ohttp;
  config_ = std::move(config);
  if (!same_gateway) ForgetKey();
  if (!config_.ohttp) return;
  if (!relay_) relay_ = make_();
  if (!keys_) keys_ = make_();
  DohConfig relay = InnerConfig(config_.ohttp->relay);
  relay.request_type = std::string(ohttp::kRequestMediaType);
  relay.response_type = std::string(ohttp::kResponseMediaType);
  relay_->Configure(std::move(relay));
  DohConfig keys = InnerConfig(config_.ohttp->keys);
  keys.plain_get = true;
  keys.response_type = std::string(ohttp::kKeysMediaType);
  keys_->Configure(std::move(keys));
}

DohSender::RequestId OhttpSender::Send(absl::Span<const uint8_t> query,
                                       absl::Duration timeout, Callback done) {
  const RequestId id = next_++;
  Pending& p = pending_[id];
  p.query.assign(query.begin(), query.end());
  p.deadline = EventLoop::MonotonicNow() + timeout;
  p.done = std::move(done);
  if (!config_.ohttp) {
    Fail(id, DohError::kOhttp,
         "Oblivious HTTP needs network.trr.ohttp.relay_uri and "
         "network.trr.ohttp.config_uri");
    return id;
  }
  if (key_) {
    SendSealed(id);
    return id;
  }
  // Waits for the gateway's key, at most until its own deadline.
  p.timer.Start(loop_, timeout, [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Fail(id, DohError::kTimeout,
         "timed out waiting for the gateway's key configuration");
  });
  if (key_request_ == 0) FetchKey();
  return id;
}

void OhttpSender::ForgetKey() {
  key_.reset();
  prepared_.clear();
}

void OhttpSender::ScheduleRefill() {
  if (refill_posted_ || !key_ || prepared_.size() >= kPreparedSeals) return;
  refill_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_->Post([this, alive] {
    if (alive.expired()) return;
    refill_posted_ = false;
    Refill();
  });
}

void OhttpSender::Refill() {
  if (!key_ || prepared_.size() >= kPreparedSeals) return;
  auto setup = ohttp::ClientRequest::Prepare(*key_);
  if (!setup.ok()) return;  // sealing itself will say why
  prepared_.push_back(*std::move(setup));
  // One at a time: whatever else the loop has to do comes between.
  ScheduleRefill();
}

void OhttpSender::FetchKey() {
  ++info_.key_fetches;
  key_request_ = keys_->Send({}, kKeyFetchTimeout, [this](DohResult result) {
    OnKey(std::move(result));
  });
}

void OhttpSender::OnKey(DohResult result) {
  key_request_ = 0;
  std::string problem;
  if (!result.ok()) {
    problem = absl::StrCat(DohErrorName(result.error), ": ", result.detail);
  } else if (auto configs = ohttp::ParseKeyConfigs(result.body);
             !configs.ok()) {
    problem = std::string(configs.status().message());
  } else if (auto key = ohttp::ChooseKey(*configs); !key.ok()) {
    problem = std::string(key.status().message());
  } else {
    key_ = *std::move(key);
    ScheduleRefill();
  }
  if (!key_) ++info_.key_fetch_failures;
  std::vector<RequestId> waiting;
  for (const auto& [id, p] : pending_) {
    if (p.relay_request == 0) waiting.push_back(id);
  }
  for (RequestId id : waiting) {
    Pending& p = pending_[id];
    p.timer.Cancel();
    if (key_) {
      SendSealed(id);
    } else {
      Fail(id, DohError::kOhttp,
           absl::StrCat("the gateway's key configuration: ", problem));
    }
  }
}

void OhttpSender::SendSealed(RequestId id) {
  Pending& p = pending_[id];
  // The DoH request the gateway makes to the server, as trr would make it.
  ohttp::BhttpRequest request;
  request.authority = config_.uri.Authority();
  request.path = config_.uri.path;
  request.fields = {{"accept", "application/dns-message"},
                    {"content-type", "application/dns-message"}};
  if (!config_.credentials.empty()) {
    request.fields.push_back({"authorization", config_.credentials});
  }
  request.content = p.query;
  const ohttp::Bytes encoded = ohttp::EncodeBhttpRequest(request);
  absl::StatusOr<ohttp::ClientRequest> sealed;
  if (!prepared_.empty()) {
    sealed = ohttp::ClientRequest::SealPrepared(
        *key_, std::move(prepared_.back()), encoded);
    prepared_.pop_back();
    ++info_.sealed_prepared;
  } else {
    sealed = ohttp::ClientRequest::Seal(*key_, encoded);
  }
  if (!sealed.ok()) {
    Fail(id, DohError::kOhttp,
         absl::StrCat("sealing the query: ", sealed.status().message()));
    return;
  }
  const absl::Duration left = p.deadline - EventLoop::MonotonicNow();
  if (left <= absl::ZeroDuration()) {
    Fail(id, DohError::kTimeout, "timed out before it was sent");
    return;
  }
  p.sealed = *std::move(sealed);
  ++info_.sealed;
  ScheduleRefill();  // after this query has gone
  p.relay_request = relay_->Send(
      p.sealed->encapsulated(), left,
      [this, id](DohResult result) { OnRelayAnswer(id, std::move(result)); });
}

void OhttpSender::OnRelayAnswer(RequestId id, DohResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (!result.ok()) {
    // A gateway refuses a request under a key it no longer has with 400
    // or 422 (RFC 9458 section 5.3): fetch the key again for the next.
    if (result.error != DohError::kCancelled) ++info_.relay_errors;
    if (result.error == DohError::kHttpStatus &&
        (result.http_status == 400 || result.http_status == 422)) {
      ForgetKey();
    }
    Complete(id, std::move(result));  // the relay's own failure
    return;
  }
  auto opened = it->second.sealed->OpenResponse(result.body);
  if (!opened.ok()) {
    // Sealed under another key, most likely: fetch it again for the next.
    ++info_.open_failures;
    ForgetKey();
    Fail(id, DohError::kOhttp,
         absl::StrCat(opened.status().message(),
                      "; the gateway's key will be fetched again"));
    return;
  }
  ++info_.opened;
  auto response = ohttp::DecodeBhttpResponse(*opened);
  if (!response.ok()) {
    Fail(id, DohError::kOhttp,
         absl::StrCat("the gateway's answer: ", response.status().message()));
    return;
  }
  std::string content_type;
  for (const ohttp::BhttpField& field : response->fields) {
    if (absl::EqualsIgnoreCase(field.name, "content-type")) {
      content_type = field.value;
    }
  }
  if (response->content.size() > kMaxDohBody) {
    Fail(id, DohError::kTooLarge,
         "the DoH server's answer is over 65535 bytes");
    return;
  }
  Complete(id, CheckedAnswer(response->status, content_type,
                             std::move(response->content)));
}

void OhttpSender::Fail(RequestId id, DohError error, std::string detail) {
  Complete(id, Error(error, absl::StrCat("Oblivious HTTP: ", detail)));
}

void OhttpSender::Complete(RequestId id, DohResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Callback done = std::move(it->second.done);
  it->second.timer.Cancel();
  pending_.erase(it);
  if (result.error == DohError::kCancelled) {
    done(std::move(result));  // cancellation completes at once
    return;
  }
  // Never inside Send: on a later turn of the loop.
  loop_->Post([done = std::move(done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

void OhttpSender::Cancel(RequestId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (it->second.relay_request != 0) {
    relay_->Cancel(it->second.relay_request);  // its callback completes it
    if (pending_.find(id) == pending_.end()) return;
  }
  Complete(id, Error(DohError::kCancelled, "cancelled"));
}

void OhttpSender::CancelAll() {
  std::vector<RequestId> ids;
  for (const auto& [id, p] : pending_) ids.push_back(id);
  for (RequestId id : ids) Cancel(id);
  if (keys_ && key_request_ != 0) keys_->Cancel(key_request_);
}

OhttpInfo OhttpSender::Info() const {
  OhttpInfo info = info_;
  info.enabled = true;
  if (config_.ohttp) {
    info.relay = config_.ohttp->relay.Url();
    info.key_config = config_.ohttp->keys.Url();
  }
  info.target = config_.uri.Url();
  if (key_) {
    info.key_id = key_->key_id;
    info.suite = absl::StrCat("X25519, HKDF-SHA256, ",
                              key_->suite.aead == ohttp::kAeadAes128Gcm
                                  ? "AES-128-GCM"
                                  : "ChaCha20-Poly1305");
  }
  return info;
}

void OhttpSender::CheckConnections() {
  if (relay_) relay_->CheckConnections();
}

DohTransportStats OhttpSender::stats() const {
  return relay_ ? relay_->stats() : DohTransportStats();
}

std::vector<DohConnectionInfo> OhttpSender::Connections() const {
  return relay_ ? relay_->Connections() : std::vector<DohConnectionInfo>();
}

}  // namespace trr
