// What a value of each of the resolver's string prefs must look like,
// checked when it is set (PrefStore::SetValidator), so that a bad value is
// refused with the pref's name and the reason, and the previous value
// stays, instead of being accepted and silently ignored later.

#ifndef TRR_TRR_RESOLVER_PREF_CHECKS_H_
#define TRR_TRR_RESOLVER_PREF_CHECKS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace trr::pref_checks {

// network.trr.uri, default_provider_uri, ohttp.uri: a server list that
// parses (trr/servers/server_list.h), naming the character it went wrong
// at.
absl::Status ServerList(absl::string_view text);
// network.trr.ohttp.relay_uri, config_uri: empty, or an https URI.
absl::Status OptionalDohUri(absl::string_view text);
// network.trr.bootstrapAddr: IP addresses, comma-separated; may be empty.
absl::Status AddressList(absl::string_view text);
// network.dns.native_nameserver: empty, "IP", "IP:PORT" or "[IPv6]:PORT".
absl::Status IpPort(absl::string_view text);
// network.trr.ca_file: empty (the system's store), or a readable regular
// file holding at least one PEM certificate whose body is base64 DER. Read
// without OpenSSL: modes 0 and 5 never load it, and setting a pref does
// not either.
absl::Status CaFile(absl::string_view path);
// network.proxy.ssl, network.proxy.socks: empty, a host name or an IP
// address.
absl::Status Host(absl::string_view text);
// network.trr.confirmationNS: "skip" or a host name.
absl::Status ConfirmationName(absl::string_view text);
// network.trr.excluded-domains and builtin-excluded-domains: host names,
// comma-separated, each optionally with a leading "." or "*.".
absl::Status DomainList(absl::string_view text);
// network.trr.credentials, general.useragent.override,
// intl.accept_languages: an HTTP header value (RFC 9110 section 5.5):
// visible ASCII, spaces and tabs inside, nothing that could end the header
// (CR, LF, NUL or another control character). The value is never quoted in
// the error: the credentials are secret.
absl::Status HeaderValue(absl::string_view text);

}  // namespace trr::pref_checks

#endif  // TRR_TRR_RESOLVER_PREF_CHECKS_H_
