// The resolver's DoH servers: the list from network.trr.uri, each with its
// own transport, confirmation and availability; which one a lookup uses;
// probes of unavailable ones; and what the dump shows of them. The rest of
// Resolver::Impl is in resolver.cc and resolver_jobs.cc.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "trr/resolver/pref_rules.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/transport/ohttp_sender.h"

namespace trr {
namespace resolver_internal {

absl::Duration LatencyWindow::Median() const {
  if (count_ == 0) return absl::ZeroDuration();
  std::array<absl::Duration, 128> sorted = samples_;
  std::sort(sorted.begin(), sorted.begin() + count_);
  return sorted[count_ / 2];
}

// The headers that could tell this client from another, as Firefox's
// network.trr.send_* prefs choose them.
ClientHeaders ClientHeadersFromPrefs(const prefs::PrefValues& pref) {
  ClientHeaders client;
  if (!pref.Get(keys::kTrrSendEmptyAcceptEncoding)) {
    client.accept_encoding = "identity";
  }
  if (pref.Get(keys::kTrrSendUserAgent)) {
    client.user_agent = pref.Get(keys::kUserAgentOverride);
  }
  if (pref.Get(keys::kTrrSendAcceptLanguage)) {
    client.accept_language = pref.Get(keys::kAcceptLanguages);
  }
  return client;
}

}  // namespace resolver_internal

dns::QueryOptions Resolver::Impl::DohQueryOptions() const {
  dns::QueryOptions options;
  options.disable_ecs = settings_.pref.Get(keys::kTrrDisableECS);
  options.padding_block =
      settings_.pref.Get(keys::kTrrPadding)
          ? static_cast<uint16_t>(settings_.pref.Get(keys::kTrrPaddingLength))
          : 0;
  return options;
}

DohConfig Resolver::Impl::TransportConfig(const DohServerState& server) const {
  DohConfig config;
  config.uri = server.spec.uri;
  config.use_get = settings_.pref.Get(keys::kTrrUseGET);
  config.bootstrap = server.spec.bootstrap;
  config.ca_file = settings_.pref.Get(keys::kTrrCaFile);
  // The credentials are the configured provider's, never the network's.
  if (!server.discovered())
    config.credentials = settings_.pref.Get(keys::kTrrCredentials);
  config.client = resolver_internal::ClientHeadersFromPrefs(settings_.pref);
  config.verify_ip = server.verify_ip;
  config.attempt_delay = settings_.attempt_delay;
  config.ping_timeout = settings_.ping_timeout;
  // A server nothing could connect to is tried again no more often than
  // it would be probed.
  config.backoff_max = settings_.health.probe_initial;
  if (!NoProxyFor(settings_.pref.Get(keys::kProxyNoProxiesOn),
                  server.spec.uri.host)) {
    config.proxy = settings_.proxy;
  }
  config.ohttp = settings_.ohttp;
  return config;
}

std::unique_ptr<DohSender> Resolver::Impl::NewTransport() {
  auto make = [this]() -> std::unique_ptr<DohSender> {
    if (seams_.make_transport) return seams_.make_transport(&loop_);
    return std::make_unique<DohTransport>(&loop_);
  };
  if (settings_.ohttp) return std::make_unique<OhttpSender>(&loop_, make);
  return make();
}

bool Resolver::Impl::ApplyServers(const Settings& old, bool first,
                                  uint32_t effects) {
  const Settings& now = settings_;
  const ConfirmationConfig confirmation = ConfirmationSettings();
  bool changed = false;
  if (first || old.servers != now.servers || old.ohttp != now.ohttp) {
    // A new list: new transports, availability, confirmation and counters.
    // Each new server starts confirming before the old ones leave, so the
    // lookups their cancelled queries move over find it in use
    // (optimistically, as Firefox starts). Discovered servers stay, after
    // the configured ones.
    std::vector<ServerPtr> leaving, discovered;
    for (ServerPtr& server : servers_) {
      (server->discovered() ? discovered : leaving)
          .push_back(std::move(server));
    }
    servers_.clear();
    for (const DohServerSpec& spec : now.servers) {
      auto server = std::make_shared<DohServerState>();
      server->spec = spec;
      server->transport = NewTransport();
      server->transport->Configure(TransportConfig(*server));
      servers_.push_back(std::move(server));
    }
    servers_.insert(servers_.end(), discovered.begin(), discovered.end());
    for (const ServerPtr& server : servers_) {
      if (!server->discovered()) {
        RunConfirmation(server, server->confirmation.Start(confirmation));
      }
    }
    for (const ServerPtr& server : leaving) Retire(server);
    changed = true;
  } else if (effects & kReconfigureTransports) {
    // The same servers reached another way: confirmed again over it.
    for (const auto* list : {&servers_, &ddr_.verifying}) {
      for (const ServerPtr& server : *list) {
        server->transport->Configure(TransportConfig(*server));
      }
    }
    RestartConfirmation();
    changed = true;
  }
  for (const ServerPtr& server : servers_) {
    server->health.Configure(now.health);
  }
  return changed;
}

void Resolver::Impl::Retire(const ServerPtr& server) {
  server->retired = true;
  server->confirmation_timer.Cancel();
  server->probe_timer.Cancel();
  server->transport->CancelAll();
  loop_.DeleteSoon(server);  // the last reference, on a later turn
}

bool Resolver::Impl::Available(const DohServerState& server) const {
  return servers_.size() <= 1 || server.health.available();
}

bool Resolver::Impl::Usable(const DohServerState& server, TrrMode mode,
                            bool moved) const {
  if (!Available(server)) return false;
  return mode != TrrMode::kFirst || moved ||
         server.confirmation.TrrUsable(
             settings_.pref.Get(keys::kTrrWaitForConfirmation));
}

std::optional<size_t> Resolver::Impl::PickServer(size_t from, TrrMode mode,
                                                 bool moved) const {
  for (size_t i = from; i < servers_.size(); ++i) {
    if (Usable(*servers_[i], mode, moved)) return i;
  }
  if ((mode == TrrMode::kOnly || moved) && from < servers_.size() &&
      std::none_of(servers_.begin(), servers_.end(), [&](const ServerPtr& s) {
        return Usable(*s, mode, moved);
      })) {
    return from;  // tried anyway, rather than sent native
  }
  return std::nullopt;
}

std::optional<SkipReason> Resolver::Impl::ServersSkipReason() const {
  if (PickServer(0, TrrMode::kFirst)) return std::nullopt;
  const bool any_available =
      std::any_of(servers_.begin(), servers_.end(),
                  [this](const ServerPtr& s) { return Available(*s); });
  return any_available ? SkipReason::kNotConfirmed
                       : SkipReason::kServersUnavailable;
}

void Resolver::Impl::OnServerResult(const ServerPtr& server, TrrFailure failure,
                                    bool first_of_lookup, bool unreachable,
                                    absl::Duration latency) {
  const bool failed = CountsAgainstServer(failure);
  if (failed) {
    ++server->failures;
  } else {
    ++server->answers;
    server->latency.Add(latency);
  }
  // Confirmation (Firefox's rules): an answer resets its count; a failed
  // exchange confirms a confirmed server again (retry_on_recoverable_errors)
  // or counts towards max-fails; a server nothing could connect to fails
  // it at once.
  if (!failed) {
    RunConfirmation(server, server->confirmation.OnTrrResult(true));
  } else if (unreachable) {
    RunConfirmation(server, server->confirmation.OnUnreachable());
  } else if (first_of_lookup) {
    RunConfirmation(server,
                    settings_.pref.Get(keys::kTrrRetryOnRecoverableErrors)
                        ? server->confirmation.OnRecoverableFailure()
                        : server->confirmation.OnTrrResult(false));
  }
  // Availability decides between several servers only.
  if (servers_.size() > 1 && (!failed || first_of_lookup || unreachable)) {
    if (auto probe_after = unreachable ? server->health.OnUnreachable()
                                       : server->health.OnResult(!failed)) {
      ScheduleProbe(server, *probe_after);
    }
  }
  NotifyServerChanges(server);
}

void Resolver::Impl::ScheduleProbe(const ServerPtr& server,
                                   absl::Duration after) {
  server->probe_timer.Cancel();
  server->next_probe = clock_->Now() + after;
  std::weak_ptr<DohServerState> weak = server;
  server->probe_timer.Start(&loop_, after, [this, weak] {
    ServerPtr server = weak.lock();
    if (!server) return;
    SendProbe(server);
  });
}

void Resolver::Impl::SendNsQuery(const ServerPtr& server,
                                 const std::string& name,
                                 NsQueryCallback done) {
  std::vector<uint8_t> query;
  if (!dns::EncodeQuery(name, dns::kTypeNS, DohQueryOptions(), query).ok()) {
    DohResult failed;
    failed.error = DohError::kOther;
    failed.detail = "the name cannot be encoded";
    done(server, std::nullopt, failed);
    return;
  }
  ++counters_.doh_requests;
  std::weak_ptr<DohServerState> weak = server;
  server->transport->Send(
      query, settings_.confirmation_timeout,
      [this, weak, name, done = std::move(done)](DohResult result) {
        ServerPtr server = weak.lock();
        if (!server || server->retired || shutting_down_) return;
        dns::Response response;
        if (!result.ok() ||
            !dns::ParseResponse(result.body, dns::Question(name, dns::kTypeNS),
                                response)
                 .ok()) {
          done(server, std::nullopt, result);
          return;
        }
        done(server, response.rcode, result);
      });
}

std::string Resolver::Impl::ProbeName() const {
  return NormalizeHostName(settings_.pref.Get(keys::kTrrConfirmationNS) ==
                                   "skip"
                               ? "example.com"
                               : settings_.pref.Get(keys::kTrrConfirmationNS));
}

void Resolver::Impl::SendProbe(const ServerPtr& server) {
  // The confirmation query: an NS query for network.trr.confirmationNS
  // (example.com when confirmation is skipped). Answered means NOERROR or
  // NXDOMAIN: the server resolves again.
  ++server->probes;
  SendNsQuery(server, ProbeName(),
              [this](const ServerPtr& server, std::optional<uint16_t> rcode,
                     const DohResult&) {
                const bool ok =
                    rcode == dns::kRcodeNoError || rcode == dns::kRcodeNxDomain;
                if (auto next = server->health.OnProbeResult(ok)) {
                  ScheduleProbe(server, *next);
                }
                NotifyServerChanges(server);
              });
}

ConfirmationConfig Resolver::Impl::ConfirmationSettings() const {
  ConfirmationConfig config;
  const TrrMode mode = settings_.mode;
  config.trr_in_use = mode != TrrMode::kOff && mode != TrrMode::kOffByChoice;
  config.confirm = mode != TrrMode::kOnly &&
                   settings_.pref.Get(keys::kTrrConfirmationNS) != "skip";
  config.retry_initial = settings_.retry_initial;
  config.retry_max = settings_.retry_max;
  config.max_fails = settings_.pref.Get(keys::kTrrMaxFails);
  return config;
}

void Resolver::Impl::RestartConfirmation() {
  const ConfirmationConfig config = ConfirmationSettings();
  for (const ServerPtr& server : servers_) {
    server->confirmation_timer.Cancel();
    RunConfirmation(server, server->confirmation.Start(config));
  }
}

void Resolver::Impl::RunConfirmation(const ServerPtr& server,
                                     Confirmation::Action action) {
  NotifyServerChanges(server);
  if (action.send_attempt) {
    const uint64_t attempt = *action.send_attempt;
    SendNsQuery(
        server, NormalizeHostName(settings_.pref.Get(keys::kTrrConfirmationNS)),
        [this, attempt](const ServerPtr& server, std::optional<uint16_t> rcode,
                        const DohResult&) {
          // NOERROR confirms, with or without records.
          const bool ok = rcode == dns::kRcodeNoError;
          const ConfirmationState before = server->confirmation.state();
          RunConfirmation(server,
                          server->confirmation.OnQueryResult(attempt, ok));
          if (ok && before != ConfirmationState::kOk &&
              server->confirmation.state() == ConfirmationState::kOk) {
            blocklist_.Clear();
          }
        });
  }
  if (action.retry_after) {
    std::weak_ptr<DohServerState> weak = server;
    server->confirmation_timer.Start(&loop_, *action.retry_after, [this, weak] {
      ServerPtr server = weak.lock();
      if (!server) return;
      RunConfirmation(server, server->confirmation.OnRetryTimer(
                                  server->confirmation.current_attempt()));
    });
  }
}

void Resolver::Impl::NotifyServerChanges(const ServerPtr& server) {
  std::vector<ServerEvent> events;
  auto event = [&](ServerEvent::What what) {
    ServerEvent e;
    e.what = what;
    e.uri = server->spec.template_text;
    e.state = server->health.available() ? "available" : "unavailable";
    e.confirmation =
        std::string(ConfirmationStateName(server->confirmation.state()));
    events.push_back(std::move(e));
  };
  if (server->health.available() != server->reported_available) {
    server->reported_available = server->health.available();
    event(ServerEvent::What::kAvailability);
  }
  if (server->confirmation.state() != server->reported_confirmation) {
    server->reported_confirmation = server->confirmation.state();
    event(ServerEvent::What::kConfirmation);
  }
  if (events.empty()) return;
  std::vector<std::function<void(const ServerEvent&)>> observers;
  {
    MutexLock lock(&server_observers_mu_);
    for (const auto& [id, observer] : server_observers_) {
      observers.push_back(observer);
    }
  }
  for (const ServerEvent& e : events) {
    for (const auto& observer : observers) observer(e);
  }
}

uint64_t Resolver::Impl::AddServerObserver(
    std::function<void(const ServerEvent&)> observer) {
  MutexLock lock(&server_observers_mu_);
  const uint64_t id = next_server_observer_++;
  server_observers_.emplace_back(id, std::move(observer));
  return id;
}

void Resolver::Impl::RemoveServerObserver(uint64_t id) {
  {
    MutexLock lock(&server_observers_mu_);
    server_observers_.erase(
        std::remove_if(server_observers_.begin(), server_observers_.end(),
                       [id](const auto& entry) { return entry.first == id; }),
        server_observers_.end());
  }
  // A notification already under way on the network thread finishes
  // before this returns (unless this is that thread).
  loop_.RunSync([] {});
}

std::vector<DohServerInfo> Resolver::Impl::ServerInfos() const {
  std::vector<DohServerInfo> infos;
  const absl::Time now = clock_->Now();
  for (const ServerPtr& server : servers_) {
    DohServerInfo info;
    info.uri = server->spec.template_text;
    info.state = server->health.available() ? "available" : "unavailable";
    info.confirmation =
        std::string(ConfirmationStateName(server->confirmation.state()));
    info.failures_in_row = server->health.failures_in_row();
    if (server->probe_timer.pending()) {
      info.next_probe_ms = std::max<int64_t>(
          0, absl::ToInt64Milliseconds(server->next_probe - now));
    }
    info.queries = server->queries;
    info.answers = server->answers;
    info.failures = server->failures;
    info.probes = server->probes;
    info.p50_ms = absl::ToDoubleMilliseconds(server->latency.Median());
    for (const IpAddress& ip : server->spec.bootstrap) {
      info.bootstrap.push_back(ip.ToString());
    }
    info.discovered = server->discovered();
    infos.push_back(std::move(info));
  }
  return infos;
}

}  // namespace trr
