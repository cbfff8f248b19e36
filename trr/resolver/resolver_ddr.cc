// Discovery of Designated Resolvers (RFC 9462, network.trr.ddr.enabled):
// the network's unencrypted resolver is asked for _dns.resolver.arpa SVCB;
// each DoH designation is connected to once, and joins the server list,
// after the configured servers, only when its certificate covers the
// resolver's address as well as its own name (verified discovery, section
// 4.2). A network change discovers again; so does the answer's TTL running
// out. The rest of Resolver::Impl is in resolver.cc and its siblings.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/servers/ddr.h"

namespace trr {
namespace {

// An answer is asked for again when its TTL runs out, within these bounds.
constexpr absl::Duration kMinRefresh = absl::Minutes(1);
constexpr absl::Duration kMaxRefresh = absl::Hours(24);

std::string HostPort(const IpAddress& ip, uint16_t port) {
  return ip.is_v6() ? absl::StrCat("[", ip.ToString(), "]:", port)
                    : absl::StrCat(ip.ToString(), ":", port);
}

}  // namespace

void Resolver::Impl::StartDiscovery(bool keep_verified) {
  const uint64_t generation = ++ddr_.generation;
  ddr_.refresh_timer.Cancel();
  for (const ServerPtr& server : ddr_.verifying) Retire(server);
  ddr_.verifying.clear();
  ddr_.client.reset();  // its lookup, if any, ends moot (generation)
  if (!keep_verified) RemoveDiscovered({});
  DdrInfo& info = ddr_.info;
  info = DdrInfo();
  // A refresh runs only while discovery is on: any change that turns it
  // off starts a discovery that is not a refresh, which removed them.
  const TrrMode mode = settings_.mode;
  const char* off =
      !settings_.ddr ? "network.trr.ddr.enabled is off"
      : mode == TrrMode::kOnly
          ? "mode 3 sends no plaintext DNS, so it does not discover"
      : mode == TrrMode::kOff || mode == TrrMode::kOffByChoice ? "TRR is off"
                                                               : nullptr;
  if (off != nullptr) {
    info.detail = off;
    return;
  }
  // The resolver asked: network.dns.native_nameserver, else the system's.
  std::optional<std::pair<IpAddress, uint16_t>> resolver =
      ParseIpPort(settings_.pref.Get(keys::kDnsNativeNameserver));
  if (!resolver) {
    if (auto ip =
            resolver_internal::ReadFirstNameserver(options_.resolv_conf_path)) {
      resolver = std::make_pair(*ip, uint16_t{53});
    }
  }
  if (!resolver) {
    info.state = "failed";
    info.detail = absl::StrCat(
        "no unencrypted resolver to ask: network.dns.native_nameserver is "
        "unset and ",
        options_.resolv_conf_path, " names no nameserver");
    return;
  }
  ddr_.resolver_ip = resolver->first;
  info.resolver = HostPort(resolver->first, resolver->second);
  info.state = "querying";
  ddr_.client =
      seams_.make_plain_dns
          ? seams_.make_plain_dns(&loop_, resolver->first, resolver->second)
          : MakePlainDnsResolver(&loop_, resolver->first, resolver->second);
  ddr_.client->ResolveType(
      kDdrQueryName, dns::kTypeSVCB, settings_.native_timeout,
      [this, generation](NativeResult result) {
        if (generation != ddr_.generation || shutting_down_) return;
        OnDesignations(std::move(result));
      });
}

void Resolver::Impl::OnDesignations(NativeResult result) {
  DdrInfo& info = ddr_.info;
  using Outcome = NativeResult::Outcome;
  if (result.outcome == Outcome::kFailed) {
    // The servers found before stay (they were verified); a network
    // change asks again.
    info.state = "failed";
    info.detail =
        absl::StrCat("no answer from ", info.resolver, ": ", result.error);
    return;
  }
  info.state = "done";
  std::vector<ServerPtr> keep;
  if (result.outcome != Outcome::kOk) {
    info.detail = "the resolver designates no encrypted resolver";
  } else {
    const std::vector<DdrDesignation> found =
        ReadDesignations(result.answer.https);
    for (const DdrDesignation& d : found) {
      DdrDesignationInfo entry;
      entry.uri = d.uri;
      auto same = [&](const ServerPtr& s) {
        return s->spec == d.spec && s->verify_ip == ddr_.resolver_ip;
      };
      auto configured =
          std::find_if(servers_.begin(), servers_.end(), [&](const auto& s) {
            return !s->discovered() && s->spec.template_text == d.uri;
          });
      auto known = std::find_if(servers_.begin(), servers_.end(), same);
      if (!d.ignored.empty()) {
        entry.state = "ignored";
        entry.reason = d.ignored;
      } else if (configured != servers_.end()) {
        entry.state = "ignored";
        entry.reason = "already configured";
      } else if (known != servers_.end()) {
        entry.state = "verified";  // found again: it keeps its state
        keep.push_back(*known);
      } else {
        entry.state = "verifying";
        auto server = std::make_shared<DohServerState>();
        server->spec = d.spec;
        server->verify_ip = ddr_.resolver_ip;
        // Observers hear "available" when it joins the list.
        server->reported_available = false;
        server->transport = seams_.make_transport
                                ? seams_.make_transport(&loop_)
                                : std::make_unique<DohTransport>(&loop_);
        server->transport->Configure(TransportConfig(*server));
        server->health.Configure(settings_.health);
        ddr_.verifying.push_back(server);
        VerifyDesignation(server);
      }
      info.designations.push_back(std::move(entry));
    }
    info.detail = absl::StrCat(found.size(), " designation",
                               found.size() == 1 ? "" : "s");
  }
  RemoveDiscovered(keep);
  if (result.answer.ttl_seconds) {
    const absl::Duration refresh = std::clamp(
        absl::Seconds(*result.answer.ttl_seconds), kMinRefresh, kMaxRefresh);
    ddr_.refresh_timer.Start(
        &loop_, refresh, [this] { StartDiscovery(/*keep_verified=*/true); });
  }
}

void Resolver::Impl::VerifyDesignation(const ServerPtr& server) {
  SendNsQuery(server, ProbeName(),
              [this](const ServerPtr& server, std::optional<uint16_t>,
                     const DohResult& result) {
                auto it = std::find(ddr_.verifying.begin(),
                                    ddr_.verifying.end(), server);
                if (it == ddr_.verifying.end()) return;
                ddr_.verifying.erase(it);
                // Verified once the handshake, and so the certificate checks,
                // have passed: any HTTP answer says so, whatever it holds.
                const bool verified = result.ok() ||
                                      result.error == DohError::kHttpStatus ||
                                      result.error == DohError::kContentType ||
                                      result.error == DohError::kTooLarge;
                for (DdrDesignationInfo& entry : ddr_.info.designations) {
                  if (entry.uri != server->spec.template_text) continue;
                  entry.state = verified ? "verified" : "unverified";
                  if (!verified) entry.reason = result.detail;
                }
                if (!verified) {
                  // Not from inside its own transport's callback.
                  loop_.Post([this, server] { Retire(server); });
                  return;
                }
                servers_.push_back(server);
                RunConfirmation(
                    server, server->confirmation.Start(ConfirmationSettings()));
              });
}

void Resolver::Impl::RemoveDiscovered(const std::vector<ServerPtr>& keep) {
  std::vector<ServerPtr> leaving;
  auto stays = [&](const ServerPtr& s) {
    return !s->discovered() ||
           std::find(keep.begin(), keep.end(), s) != keep.end();
  };
  for (const ServerPtr& s : servers_) {
    if (!stays(s)) leaving.push_back(s);
  }
  servers_.erase(std::remove_if(servers_.begin(), servers_.end(),
                                [&](const ServerPtr& s) { return !stays(s); }),
                 servers_.end());
  for (const ServerPtr& server : leaving) Retire(server);
}

}  // namespace trr
