// How a DoH request ended: the error every transport part reports (the
// connect job, the sessions, the Oblivious HTTP sender) and the resolver
// classifies.

#ifndef TRR_TRR_TRANSPORT_DOH_ERROR_H_
#define TRR_TRR_TRANSPORT_DOH_ERROR_H_

#include <cstdint>
#include <string>

namespace trr {

enum class DohError : uint8_t {
  kOk,
  kHttpStatus,   // a status other than 200
  kContentType,  // not application/dns-message
  kTooLarge,     // a body over 65535 bytes
  kTls,          // handshake or certificate verification failed
  kConnect,      // could not connect, or could not resolve the DoH host
  kTimeout,      // no complete answer within the request's timeout
  kReset,        // the connection or stream broke (RST, GOAWAY, truncation)
  kRefused,      // the server refused the stream every time it was sent
  kCancelled,    // cancelled, or the transport shut down
  kOther,
  // Oblivious HTTP (OhttpSender): no usable key configuration, or an
  // answer that did not open or decode.
  kOhttp,  // the last: kDohErrorCount follows it
};
inline constexpr int kDohErrorCount = static_cast<int>(DohError::kOhttp) + 1;

// "ok", "http-status", "content-type", ...: stable names for counters.
const char* DohErrorName(DohError error);

// How a connection failed: the error and what went wrong, for people.
struct DohFailure {
  DohError error = DohError::kOk;
  std::string detail;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_DOH_ERROR_H_
