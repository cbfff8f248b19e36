#include "prefs/pref_registry.h"

#include "absl/strings/str_cat.h"

namespace trr::prefs {
namespace {

constexpr int32_t kMaxInt = std::numeric_limits<int32_t>::max();

PrefSpec Bool(const char* name, bool value, const char* doc,
              PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), 0, 0, origin, doc};
}

PrefSpec Int(const char* name, int32_t value, int32_t min, int32_t max,
             const char* doc, PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), min, max, origin, doc};
}

PrefSpec String(const char* name, const char* value, const char* doc,
                PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), 0, 0, origin, doc};
}

std::vector<PrefSpec> DefaultSpecs() {
  using O = PrefOrigin;
  return {
      Int("network.trr.mode", 0, std::numeric_limits<int32_t>::min(), kMaxInt,
          "0 off, 1 race, 2 TRR first, 3 TRR only, 4 shadow, 5 off by "
          "choice; any other value acts as 5"),
      String("network.trr.uri", "",
             "The DoH endpoint (https); empty uses "
             "network.trr.default_provider_uri"),
      String("network.trr.default_provider_uri",
             "https://mozilla.cloudflare-dns.com/dns-query",
             "The DoH endpoint used when network.trr.uri is empty"),
      String("network.trr.credentials", "",
             "Sent as the Authorization header of every DoH request; never "
             "logged or dumped"),
      String("network.trr.bootstrapAddr", "",
             "IP address(es) of the DoH server, comma-separated, so its host "
             "name is never resolved natively"),
      String("network.trr.confirmationNS", "example.com",
             "Name of the NS query that confirms TRR works; \"skip\" "
             "disables confirmation"),
      Int("network.trr.confirmation_timeout_ms", 6000, 0, kMaxInt,
          "Timeout of a confirmation query"),
      Int("network.trr.retry-timeout-ms", 125, 1, kMaxInt,
          "First wait before retrying a failed confirmation; doubles each "
          "time"),
      Int("network.trr.max-retry-timeout-ms", 64000, 1, kMaxInt,
          "Longest wait between confirmation retries"),
      Int("network.trr.max-fails", 15, 0, kMaxInt,
          "Consecutive TRR failures that send a confirmed TRR back to "
          "confirmation"),
      Bool("network.trr.temp_blocklist", true,
           "Names where TRR failed and native resolution worked skip TRR "
           "for a while"),
      Int("network.trr.temp_blocklist_duration_sec", 60, 0, kMaxInt,
          "How long a name stays on the temporary blocklist"),
      Int("network.trr.request_timeout_ms", 1500, 1, kMaxInt,
          "Timeout of one DoH request"),
      Int("network.trr.request_timeout_mode_trronly_ms", 30000, 1, kMaxInt,
          "Timeout of one DoH request in mode 3"),
      Bool("network.trr.useGET", false,
           "Send GET ?dns=base64url (no padding) instead of POST"),
      Bool("network.trr.allow-rfc1918", false,
           "Accept private, loopback and link-local addresses in TRR answers "
           "(otherwise such an answer fails the TRR lookup)"),
      Bool("network.trr.disable-ECS", true,
           "Send EDNS Client Subnet with source prefix 0 (RFC 7871 opt-out)"),
      Bool("network.trr.padding", true, "Pad DoH queries (RFC 7830, RFC 8467)"),
      Int("network.trr.padding.length", 128, 0, 1024,
          "Pad queries to a multiple of this many bytes"),
      Bool("network.trr.early-AAAA", false,
           "Use AAAA answers that arrive before the A answer"),
      Bool("network.trr.wait-for-A-and-AAAA", true,
           "Complete a lookup only when both families are in"),
      Bool("network.trr.wait-for-portal", false,
           "Use no TRR until the embedder reports the captive portal clear"),
      String("network.trr.excluded-domains", "",
             "Comma-separated domains (and their subdomains) always "
             "resolved natively"),
      String("network.trr.builtin-excluded-domains", "localhost,local",
             "Comma-separated built-in exclusions, resolved natively"),
      Bool("network.trr.exclude-etc-hosts", true,
           "Names listed in /etc/hosts are resolved natively"),
      Bool("network.trr.strict_native_fallback", false,
           "Mode 2: no native fallback when TRR fails with a network error"),
      Bool("network.trr.strict_native_fallback_allow_timeouts", true,
           "With strict_native_fallback, still fall back after a timeout"),
      Int("network.trr.strict_fallback_request_timeout_ms", 6000, 1, kMaxInt,
          "Request timeout when strict_native_fallback is on"),
      Bool("network.trr.wait-for-confirmation", false,
           "Mode 2: resolve natively until confirmation has succeeded "
           "(otherwise TRR is used while confirming)"),
      Bool("network.trr.retry_on_recoverable_errors", true,
           "Retry a failed TRR request once on a fresh connection before "
           "falling back"),
      Bool("network.trr.hard_fail_on_extended_error", true,
           "An answer whose Extended DNS Error says the name was blocked or "
           "filtered fails without native fallback"),
      Bool("network.trr.clear-cache-on-pref-change", true,
           "Clear the host cache when a TRR pref changes"),
      Bool("network.dns.disableIPv6", false, "Never ask for AAAA records"),
      Int("network.dnsCacheEntries", 800, 0, kMaxInt,
          "Largest number of host cache entries"),
      Int("network.dnsCacheExpiration", 60, 0, kMaxInt,
          "Seconds a native answer (which has no TTL) stays cached"),
      Int("network.dnsCacheExpirationGracePeriod", 60, 0, kMaxInt,
          "Seconds an expired entry is still served while it is refreshed"),
      String("network.trr.ca_file", "",
             "PEM file of CA certificates trusted for the DoH server instead "
             "of the system store (private resolvers, tests)",
             O::kTrr),
      String("network.dns.native_nameserver", "",
             "\"\" resolves natively with the system resolver; \"IP:PORT\" "
             "sends plain DNS to that server instead",
             O::kTrr),
      Bool("network.dns.serve_stale", false,
           "Answer from expired cache entries when a fresh lookup fails "
           "(RFC 8767)",
           O::kTrr),
      Int("network.dns.serve_stale.max_sec", 86400, 0, kMaxInt,
          "How long past expiry an entry may still be served stale", O::kTrr),
  };
}

std::vector<PrefAlias> DefaultAliases() {
  return {
      {"network.trr.bootstrapAddress", "network.trr.bootstrapAddr"},
      {"network.trr.blacklist-duration",
       "network.trr.temp_blocklist_duration_sec"},
      {"network.trr.request-timeout", "network.trr.request_timeout_ms"},
  };
}

}  // namespace

const PrefRegistry& PrefRegistry::Default() {
  static const PrefRegistry* registry =
      new PrefRegistry(DefaultSpecs(), DefaultAliases());
  return *registry;
}

PrefRegistry::PrefRegistry(std::vector<PrefSpec> specs,
                           std::vector<PrefAlias> aliases)
    : specs_(std::move(specs)), aliases_(std::move(aliases)) {
  for (size_t i = 0; i < specs_.size(); ++i) by_name_[specs_[i].name] = i;
  for (size_t i = 0; i < aliases_.size(); ++i) {
    by_alias_[aliases_[i].old_name] = i;
  }
}

const PrefSpec* PrefRegistry::Find(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &specs_[it->second];
}

const PrefAlias* PrefRegistry::FindAlias(absl::string_view old_name) const {
  auto it = by_alias_.find(old_name);
  return it == by_alias_.end() ? nullptr : &aliases_[it->second];
}

absl::Status PrefRegistry::Validate(const PrefSpec& spec,
                                    const PrefValue& value) {
  if (value.type() != spec.type()) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " is a ", PrefTypeName(spec.type()), " pref; got ",
        PrefTypeName(value.type()), " ", value.ToLiteral()));
  }
  if (value.is_int() &&
      (value.int_value() < spec.min || value.int_value() > spec.max)) {
    return absl::OutOfRangeError(absl::StrCat(spec.name, " must be within ",
                                              spec.min, "..", spec.max,
                                              "; got ", value.int_value()));
  }
  if (value.is_string() &&
      value.string_value().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.name, " must not contain NUL characters"));
  }
  // It goes out as an HTTP header: a line break would start another
  // (over HTTP/1.1, a header of the pref file's choosing).
  if (value.is_string() &&
      absl::string_view(spec.name) == "network.trr.credentials" &&
      value.string_value().find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " must not contain line breaks (it is an HTTP header)"));
  }
  return absl::OkStatus();
}

}  // namespace trr::prefs
