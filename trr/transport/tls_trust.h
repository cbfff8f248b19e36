// The certificates trusted for DoH servers: network.trr.ca_file, or the
// system's store. Loaded on first use (the first connection, on a
// resolver's network thread, never when a Resolver is created), shared by
// every transport in the process, and loaded again only when the file
// changes (its size or modification time).
//
// The system store is the hashed certificate directory (OpenSSL's default,
// /etc/ssl/certs on Debian) when it has hash links: OpenSSL then reads only
// the certificates a verification needs, instead of parsing the whole
// bundle up front (70-90 ms on the machine docs/PERFORMANCE.md describes).
// Without hash links it is the bundle file. SSL_CERT_FILE and SSL_CERT_DIR
// are honoured, as OpenSSL's own defaults honour them.
//
// Also OpenSslError, what every TLS user here says when OpenSSL fails.

#ifndef TRR_TRR_TRANSPORT_TLS_TRUST_H_
#define TRR_TRR_TRANSPORT_TLS_TRUST_H_

#include <openssl/x509.h>

#include <string>

#include "absl/status/statusor.h"

namespace trr {

// The store for `ca_file` ("" for the system's), with a reference the
// caller owns (X509_STORE_free), or why it cannot be loaded.
absl::StatusOr<X509_STORE*> TrustedStore(const std::string& ca_file);

// How many times a store was loaded from disk in this process (tests).
int TrustStoreLoads();

// The first error OpenSSL queued on this thread (taken off the queue), or
// `fallback` when there is none.
std::string OpenSslError(const char* fallback);

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_TLS_TRUST_H_
