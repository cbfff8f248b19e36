// The headers of a DoH request that could tell one client from another,
// chosen as Firefox's network.trr.send_* prefs choose them: by default an
// empty Accept-Encoding, and neither User-Agent nor Accept-Language.

#ifndef TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_
#define TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_

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

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_CLIENT_HEADERS_H_
