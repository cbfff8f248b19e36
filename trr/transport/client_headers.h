// The headers of a DoH request that could tell one client from another,
// chosen as Firefox's network.trr.send_* prefs choose them: by default an
// empty Accept-Encoding, and neither User-Agent nor Accept-Language.

#ifndef TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_
#define TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_

#include <cstddef>
#include <string>

namespace trr {

struct ClientHeaders {
  // Accept-Encoding's value: empty (Firefox's), or "identity". Always
  // sent: trr decodes no compressed answer, and says so.
  std::string accept_encoding;
  // Sent only when not empty.
  std::string user_agent;
  std::string accept_language;

  friend bool operator==(const ClientHeaders& a, const ClientHeaders& b) {
    return a.accept_encoding == b.accept_encoding &&
           a.user_agent == b.user_agent &&
           a.accept_language == b.accept_language;
  }
  friend bool operator!=(const ClientHeaders& a, const ClientHeaders& b) {
    return !(a == b);
  }
};

// What every request on one connection carries, HTTP/2 or HTTP/1.1
// (Http2Session::Config and Http1Session::Config are this).
struct SessionConfig {
  std::string authority;
  std::string accept;        // the answer's media type
  std::string content_type;  // a POST body's
  // The Authorization header, none when empty; never indexed by HPACK.
  std::string credentials;
  // The largest response body taken: a larger one ends its stream (HTTP/2)
  // or the session (HTTP/1.1) with kTooLarge.
  size_t max_body = 65535;
  ClientHeaders client;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_
