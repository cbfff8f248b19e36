#include "api/dump.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace trr::api {
namespace {

std::string Pad(absl::string_view text, size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::string ModeName(int mode) {
  static const char* const kNames[] = {"off",  "race",   "first",
                                       "only", "shadow", "off-by-choice"};
  return absl::StrCat(mode, " (", kNames[mode >= 0 && mode <= 5 ? mode : 5],
                      ")");
}

std::string PortalName(CaptivePortalState state) {
  switch (state) {
    case CaptivePortalState::kUnknown:
      return "unknown";
    case CaptivePortalState::kLocked:
      return "locked";
    case CaptivePortalState::kClear:
      return "clear";
  }
  return "unknown";
}

// Counters as (name, value) pairs, in one place for text and JSON.
std::vector<std::pair<std::string, uint64_t>> CounterList(
    const ResolverCounters& c) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int mode = 0; mode < 6; ++mode) {
    out.emplace_back(absl::StrCat("lookups_mode_", mode),
                     c.lookups_by_mode[mode]);
  }
  out.insert(out.end(),
             {{"cache_hits", c.cache_hits},
              {"lookups_refused", c.lookups_refused},
              {"stale_answers", c.stale_answers},
              {"trr_ok", c.trr_ok},
              {"trr_nxdomain", c.trr_nxdomain},
              {"native_ok", c.native_ok},
              {"native_failed", c.native_failed},
              {"fallbacks", c.fallbacks},
              {"race_trr_wins", c.race_trr_wins},
              {"race_native_wins", c.race_native_wins},
              {"shadow_agree", c.shadow_agree},
              {"shadow_disagree", c.shadow_disagree},
              {"shadow_trr_failed", c.shadow_trr_failed},
              {"confirmation_attempts", c.confirmation_attempts},
              {"confirmation_state_changes", c.confirmation_state_changes},
              {"blocklist_additions", c.blocklist_additions},
              {"connect_failures_reported", c.connect_failures_reported},
              {"native_queries", c.native_queries},
              {"doh_requests", c.doh_requests},
              {"doh_connections", c.doh_connections},
              {"doh_refused_streams", c.doh_refused_streams},
              {"doh_retried", c.doh_retried},
              {"doh_window_decreases", c.doh_window_decreases},
              {"doh_goaways", c.doh_goaways},
              {"doh_ping_timeouts", c.doh_ping_timeouts},
              {"doh_backoff_refusals", c.doh_backoff_refusals}});
  for (const auto& [reason, count] : c.trr_failures) {
    out.emplace_back(absl::StrCat("trr_failed_", TrrFailureName(reason)),
                     count);
  }
  // Native lookups by the rule that allowed them (native_trr_skipped...).
  for (int i = 1; i < kNativeReasonCount; ++i) {
    std::string name =
        absl::StrCat("native_", NativeReasonName(static_cast<NativeReason>(i)));
    std::replace(name.begin(), name.end(), '-', '_');
    out.emplace_back(std::move(name), c.native_by_reason[i]);
  }
  return out;
}

// The wall-clock time of the snapshot, RFC 3339 in UTC.
std::string TakenAt(const ResolverSnapshot& s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromChrono(s.taken_at),
                          absl::UTCTimeZone());
}

std::string Flags(const CacheEntryInfo& e) {
  std::vector<std::string> flags;
  flags.push_back(absl::StrCat("mode=", e.trr_mode));
  if (e.trr_disabled) flags.push_back("trr-disabled");
  if (e.negative == NegativeKind::kNxDomain) flags.push_back("nxdomain");
  if (e.negative == NegativeKind::kNoData) flags.push_back("nodata");
  if (e.stale) flags.push_back("stale");
  return absl::StrJoin(flags, ",");
}

}  // namespace

std::string DumpText(const ResolverSnapshot& s) {
  std::string out = "DNS cache\n";
  const size_t host_width = std::max<size_t>(
      8, std::accumulate(s.cache.begin(), s.cache.end(), size_t{0},
                         [](size_t w, const CacheEntryInfo& e) {
                           return std::max(w, e.host.size());
                         }));
  absl::StrAppend(&out, Pad("Hostname", host_width + 2), Pad("Family", 8),
                  Pad("TRR", 7), Pad("Expires (Seconds)", 19),
                  Pad("Partition", 12), Pad("Flags", 22), "Addresses\n");
  for (const CacheEntryInfo& e : s.cache) {
    absl::StrAppend(
        &out, Pad(e.host, host_width + 2), Pad(QueryKindName(e.kind), 8),
        Pad(e.trr ? "true" : "false", 7),
        Pad(absl::StrCat(e.expires_in_seconds), 19),
        Pad(e.partition.empty() ? "-" : e.partition, 12), Pad(Flags(e), 22),
        e.addresses.empty() ? "-" : absl::StrJoin(e.addresses, ", "), "\n");
  }
  if (s.cache.empty()) out += "(empty)\n";
  absl::StrAppend(
      &out, "\nTRR\n", "  mode                 ", ModeName(s.mode),
      "\n  uri                  ", s.uri.empty() ? "-" : s.uri,
      "\n  confirmation         ", s.confirmation_state,
      "\n  native resolver      ", s.native_resolver,
      "\n  proxy                ", s.proxy, "\n  captive portal       ",
      PortalName(s.captive_portal), "\n  canary               ", s.canary,
      "\n  DNS suffixes         ",
      s.dns_suffixes.empty() ? "(none)" : absl::StrJoin(s.dns_suffixes, ", "),
      "\n  DoH host resolved natively: ",
      s.doh_host_resolved_natively ? "yes" : "no", "\n  snapshot taken at    ",
      TakenAt(s), "\n");
  out += "  blocklist            ";
  if (s.blocklist.empty()) out += "(empty)";
  for (size_t i = 0; i < s.blocklist.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", s.blocklist[i].first, " (",
                    s.blocklist[i].second, " s)");
  }
  out += "\n\nDoH servers\n";
  if (s.servers.empty()) out += "  (none)\n";
  for (const DohServerInfo& v : s.servers) {
    absl::StrAppend(
        &out, "  ", v.uri, "\n    ", Pad(v.state, 12), "confirmation ",
        Pad(v.confirmation, 14), "failures in a row ", v.failures_in_row,
        v.next_probe_ms >= 0
            ? absl::StrCat(", next probe in ", v.next_probe_ms, " ms")
            : std::string(),
        "\n    queries ", v.queries, ", answers ", v.answers, ", failures ",
        v.failures, ", probes ", v.probes, ", p50 ",
        absl::StrFormat("%.2f", v.p50_ms), " ms",
        v.bootstrap.empty()
            ? std::string()
            : absl::StrCat(", at ", absl::StrJoin(v.bootstrap, ", ")),
        v.discovered ? ", discovered (DDR)" : "", "\n");
  }
  absl::StrAppend(&out, "\nDDR (designated resolvers)\n  ", s.ddr.state,
                  s.ddr.resolver.empty() ? "" : ", asked ", s.ddr.resolver,
                  s.ddr.detail.empty() ? "" : ": ", s.ddr.detail, "\n");
  for (const DdrDesignationInfo& d : s.ddr.designations) {
    absl::StrAppend(&out, "  ", d.uri.empty() ? "-" : d.uri, "\n    ", d.state,
                    d.reason.empty() ? "" : ": ", d.reason, "\n");
  }
  out += "\nOblivious DoH\n";
  const OhttpInfo& o = s.ohttp;
  if (!o.enabled) {
    out += "  off\n";
  } else {
    absl::StrAppend(
        &out, "  relay                ", o.relay, "\n  key configuration    ",
        o.key_config, "\n  target               ", o.target,
        "\n  gateway key          ",
        o.key_id < 0 ? std::string("none yet")
                     : absl::StrCat(o.key_id, " (", o.suite, ")"),
        ", fetched ", o.key_fetches, ", failed ", o.key_fetch_failures,
        "\n  queries              sealed ", o.sealed, " (", o.sealed_prepared,
        " prepared ahead), opened ", o.opened, ", did not open ",
        o.open_failures, ", relay errors ", o.relay_errors, "\n");
  }
  out += "\nDoH connections\n";
  if (s.doh_connections.empty()) out += "  (none)\n";
  for (const DohConnectionInfo& c : s.doh_connections) {
    absl::StrAppend(&out, "  ", Pad(c.protocol, 10), Pad(c.state, 12),
                    Pad(c.address.empty() ? "-" : c.address, 24), "in flight ",
                    c.in_flight, "/", c.stream_limit, " (server allows ",
                    c.server_max_streams, "), answered ", c.answered,
                    c.tls_resumed ? ", TLS resumed" : "", "\n");
  }
  out += "\nCounters\n";
  for (const auto& [name, value] : CounterList(s.counters)) {
    if (value != 0) absl::StrAppend(&out, "  ", Pad(name, 30), value, "\n");
  }
  out += "\nPrefs (not at their default)\n";
  for (const prefs::EffectivePref& pref : s.prefs) {
    if (pref.layer == prefs::PrefLayer::kDefault) continue;
    absl::StrAppend(
        &out, "  ", Pad(pref.name, 44), Pad(pref.value.ToLiteral(), 40),
        prefs::PrefLayerName(pref.layer), pref.locked ? ", locked" : "",
        pref.known ? "" : ", unknown", "\n");
  }
  return out;
}

void WriteDumpJson(const ResolverSnapshot& s, JsonWriter& json) {
  json.BeginObject().Key("entries").BeginArray();
  for (const CacheEntryInfo& e : s.cache) {
    json.BeginObject()
        .Key("hostname")
        .String(e.host)
        .Key("family")
        .String(QueryKindName(e.kind))
        .Key("trr")
        .Bool(e.trr)
        .Key("addresses")
        .StringArray(e.addresses)
        .Key("expires")
        .Int(e.expires_in_seconds)
        .Key("partition")
        .String(e.partition)
        .Key("flags")
        .String(Flags(e))
        .Key("canonical_name")
        .String(e.canonical_name)
        .Key("hits")
        .Int(static_cast<int64_t>(e.hits))
        .Key("stale")
        .Bool(e.stale)
        .EndObject();
  }
  json.EndArray()
      .Key("trr")
      .BeginObject()
      .Key("taken_at")
      .String(TakenAt(s))
      .Key("mode")
      .Int(s.mode)
      .Key("uri")
      .String(s.uri)
      .Key("confirmation_state")
      .String(s.confirmation_state)
      .Key("native_resolver")
      .String(s.native_resolver)
      .Key("proxy")
      .String(s.proxy)
      .Key("captive_portal")
      .String(PortalName(s.captive_portal))
      .Key("canary")
      .String(s.canary)
      .Key("dns_suffixes")
      .StringArray(s.dns_suffixes)
      .Key("doh_host_resolved_natively")
      .Bool(s.doh_host_resolved_natively)
      .Key("blocklist")
      .BeginArray();
  for (const auto& [name, seconds] : s.blocklist) {
    json.BeginObject()
        .Key("name")
        .String(name)
        .Key("seconds_left")
        .Int(seconds)
        .EndObject();
  }
  json.EndArray().Key("servers").BeginArray();
  for (const DohServerInfo& v : s.servers) {
    json.BeginObject()
        .Key("uri")
        .String(v.uri)
        .Key("state")
        .String(v.state)
        .Key("confirmation")
        .String(v.confirmation)
        .Key("failures_in_row")
        .Int(v.failures_in_row)
        .Key("next_probe_ms")
        .Int(v.next_probe_ms)
        .Key("queries")
        .Int(static_cast<int64_t>(v.queries))
        .Key("answers")
        .Int(static_cast<int64_t>(v.answers))
        .Key("failures")
        .Int(static_cast<int64_t>(v.failures))
        .Key("probes")
        .Int(static_cast<int64_t>(v.probes))
        .Key("p50_ms")
        .Double(v.p50_ms)
        .Key("bootstrap")
        .StringArray(v.bootstrap)
        .Key("discovered")
        .Bool(v.discovered)
        .EndObject();
  }
  json.EndArray()
      .Key("ddr")
      .BeginObject()
      .Key("state")
      .String(s.ddr.state)
      .Key("resolver")
      .String(s.ddr.resolver)
      .Key("detail")
      .String(s.ddr.detail)
      .Key("designations")
      .BeginArray();
  for (const DdrDesignationInfo& d : s.ddr.designations) {
    json.BeginObject()
        .Key("uri")
        .String(d.uri)
        .Key("state")
        .String(d.state)
        .Key("reason")
        .String(d.reason)
        .EndObject();
  }
  json.EndArray().EndObject();
  const OhttpInfo& o = s.ohttp;
  json.Key("ohttp")
      .BeginObject()
      .Key("enabled")
      .Bool(o.enabled)
      .Key("relay")
      .String(o.relay)
      .Key("key_config")
      .String(o.key_config)
      .Key("target")
      .String(o.target)
      .Key("key_id")
      .Int(o.key_id)
      .Key("suite")
      .String(o.suite);
  for (const auto& [name, value] :
       {std::pair<const char*, uint64_t>{"key_fetches", o.key_fetches},
        {"key_fetch_failures", o.key_fetch_failures},
        {"sealed", o.sealed},
        {"sealed_prepared", o.sealed_prepared},
        {"opened", o.opened},
        {"open_failures", o.open_failures},
        {"relay_errors", o.relay_errors}}) {
    json.Key(name).Int(static_cast<int64_t>(value));
  }
  json.EndObject().Key("connections").BeginArray();
  for (const DohConnectionInfo& c : s.doh_connections) {
    json.BeginObject()
        .Key("protocol")
        .String(c.protocol)
        .Key("state")
        .String(c.state)
        .Key("address")
        .String(c.address)
        .Key("in_flight")
        .Int(c.in_flight)
        .Key("stream_limit")
        .Int(c.stream_limit)
        .Key("server_max_streams")
        .Int(c.server_max_streams)
        .Key("answered")
        .Int(static_cast<int64_t>(c.answered))
        .Key("tls_resumed")
        .Bool(c.tls_resumed)
        .EndObject();
  }
  json.EndArray().Key("counters").BeginObject();
  for (const auto& [name, value] : CounterList(s.counters)) {
    json.Key(name).Int(static_cast<int64_t>(value));
  }
  json.EndObject().Key("prefs").BeginArray();
  for (const prefs::EffectivePref& pref : s.prefs) {
    json.BeginObject().Key("name").String(pref.name).Key("value");
    if (pref.value.is_bool()) {
      json.Bool(pref.value.bool_value());
    } else if (pref.value.is_int()) {
      json.Int(pref.value.int_value());
    } else {
      json.String(pref.value.string_value());
    }
    json.Key("origin")
        .String(prefs::PrefLayerName(pref.layer))
        .Key("locked")
        .Bool(pref.locked)
        .Key("known")
        .Bool(pref.known)
        .EndObject();
  }
  json.EndArray().EndObject().EndObject();
}

std::string DumpJson(const ResolverSnapshot& snapshot) {
  JsonWriter json;
  WriteDumpJson(snapshot, json);
  return json.text();
}

void WriteResultJson(absl::string_view name, const ResolveResult& r,
                     JsonWriter& json) {
  const std::vector<std::string> addresses = AddressTexts(r.addresses);
  json.BeginObject()
      .Key("name")
      .String(name)
      .Key("ok")
      .Bool(r.ok())
      .Key("addresses")
      .StringArray(addresses)
      .Key("source")
      .String(ResultSourceName(r.source))
      .Key("ttl")
      .Int(r.ttl.count())
      .Key("skip_reason")
      .String(SkipReasonName(r.skip_reason));
  json.Key("error");
  if (r.ok()) {
    json.Null();
  } else {
    json.String(r.status.message());
  }
  if (!r.canonical_name.empty()) {
    json.Key("canonical_name").String(r.canonical_name);
  }
  if (r.trr_failure != TrrFailure::kNone) {
    json.Key("trr_failure").String(TrrFailureName(r.trr_failure));
  }
  if (r.native_reason != NativeReason::kNone) {
    json.Key("native_reason").String(NativeReasonName(r.native_reason));
  }
  if (!r.txt.empty()) json.Key("txt").StringArray(r.txt);
  if (!r.https.empty()) {
    json.Key("https").BeginArray();
    for (const SvcbRecord& record : r.https) WriteSvcbJson(record, json);
    json.EndArray();
  }
  json.EndObject();
}

namespace {

std::string SvcParamName(uint16_t key) {
  switch (key) {
    case kSvcMandatory:
      return "mandatory";
    case kSvcAlpn:
      return "alpn";
    case kSvcNoDefaultAlpn:
      return "no-default-alpn";
    case kSvcPort:
      return "port";
    case kSvcIpv4Hint:
      return "ipv4hint";
    case kSvcEch:
      return "ech";
    case kSvcIpv6Hint:
      return "ipv6hint";
    case kSvcDohPath:
      return "dohpath";
  }
  return absl::StrCat("key", key);
}

std::vector<std::string> KeyNames(const std::vector<uint16_t>& keys) {
  std::vector<std::string> out;
  for (uint16_t key : keys) out.push_back(SvcParamName(key));
  return out;
}

std::string Base64(const std::vector<uint8_t>& bytes) {
  return absl::Base64Escape(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

std::vector<std::string> AddressTexts(const std::vector<IpAddress>& ips) {
  std::vector<std::string> out;
  out.reserve(ips.size());
  for (const IpAddress& ip : ips) out.push_back(ip.ToString());
  return out;
}

std::string SvcbPresentation(const SvcbRecord& record) {
  std::string out = absl::StrCat(record.priority, " ", record.target);
  if (!record.mandatory.empty()) {
    absl::StrAppend(
        &out, " mandatory=", absl::StrJoin(KeyNames(record.mandatory), ","));
  }
  if (!record.alpn.empty()) {
    absl::StrAppend(&out, " alpn=", absl::StrJoin(record.alpn, ","));
  }
  if (record.no_default_alpn) absl::StrAppend(&out, " no-default-alpn");
  if (record.port) absl::StrAppend(&out, " port=", *record.port);
  if (!record.ipv4_hints.empty()) {
    absl::StrAppend(&out, " ipv4hint=",
                    absl::StrJoin(AddressTexts(record.ipv4_hints), ","));
  }
  if (!record.ech.empty()) absl::StrAppend(&out, " ech=", Base64(record.ech));
  if (!record.ipv6_hints.empty()) {
    absl::StrAppend(&out, " ipv6hint=",
                    absl::StrJoin(AddressTexts(record.ipv6_hints), ","));
  }
  if (record.doh_path) absl::StrAppend(&out, " dohpath=", *record.doh_path);
  return out;
}

void WriteSvcbJson(const SvcbRecord& record, JsonWriter& json) {
  json.BeginObject()
      .Key("priority")
      .Int(record.priority)
      .Key("target")
      .String(record.target)
      .Key("alpn")
      .StringArray(record.alpn);
  if (!record.mandatory.empty()) {
    json.Key("mandatory").StringArray(KeyNames(record.mandatory));
  }
  if (record.no_default_alpn) json.Key("no_default_alpn").Bool(true);
  if (record.port) json.Key("port").Int(*record.port);
  if (!record.ipv4_hints.empty()) {
    json.Key("ipv4hint").StringArray(AddressTexts(record.ipv4_hints));
  }
  if (!record.ech.empty()) json.Key("ech").String(Base64(record.ech));
  if (!record.ipv6_hints.empty()) {
    json.Key("ipv6hint").StringArray(AddressTexts(record.ipv6_hints));
  }
  if (record.doh_path) json.Key("dohpath").String(*record.doh_path);
  json.EndObject();
}

}  // namespace trr::api
