// HTTP/1.1 for DoH servers that do not speak HTTP/2: the request as trr
// writes it, and Http1ResponseReader, which reads a connection's responses
// with http-parser (Debian's libhttp-parser; trr has no HTTP parser of its
// own) and keeps what a DoH answer needs of each. No I/O: DohTransport
// feeds it what TLS hands over (tests/trr/http1_test.cc feeds it bytes,
// and fuzz/trr/http1_response_fuzz.cc anything at all).

#ifndef TRR_TRR_TRANSPORT_HTTP1_H_
#define TRR_TRR_TRANSPORT_HTTP1_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "trr/transport/client_headers.h"

namespace trr {

struct Http1Request {
  bool get = false;
  // The request target: the URI's path, with ?dns= for GET.
  absl::string_view target;
  // The Host header: host, and the port when it is not 443.
  absl::string_view authority;
  // The Authorization header's value; none when empty.
  absl::string_view credentials;
  // POST: the DNS query.
  absl::Span<const uint8_t> body;
  // Accept, and (POST) Content-Type.
  absl::string_view accept = "application/dns-message";
  absl::string_view content_type = "application/dns-message";
  // Accept-Encoding, and User-Agent and Accept-Language when not empty;
  // null: an empty Accept-Encoding alone.
  const ClientHeaders* client = nullptr;
};

// Appends the request's message to `out`: request line, headers, body.
// Nothing that tells one user from another (no user agent, cookies or
// languages), as over HTTP/2.
void AppendHttp1Request(const Http1Request& request, std::string& out);

class Http1ResponseReader {
 public:
  struct Response {
    int status = 0;
    std::string content_type;
    std::vector<uint8_t> body;
    // False after "Connection: close" or an HTTP/1.0 response: no next
    // request goes on this connection.
    bool keep_alive = true;
  };
  using OnResponse = std::function<void(Response)>;

  enum class Error : uint8_t {
    kNone,
    kMalformed,   // not HTTP/1.x, or broken framing (http-parser's words)
    kTooLarge,    // a body over max_body
    kUnexpected,  // a response when none was awaited
    kUpgrade,     // 101 Switching Protocols: nothing we asked for
    kTruncated,   // the connection closed inside a response
  };

  // Bodies over `max_body` bytes are an error.
  explicit Http1ResponseReader(size_t max_body);
  ~Http1ResponseReader();
  Http1ResponseReader(const Http1ResponseReader&) = delete;
  Http1ResponseReader& operator=(const Http1ResponseReader&) = delete;

  // A request went out: one more final response is awaited.
  void Await() { ++awaited_; }
  size_t awaited() const { return awaited_; }

  // Reads bytes from the connection; each final response it completes
  // goes to `on_response`, at once (1xx interim responses are skipped).
  // False at the first error, and from then on.
  bool Read(absl::Span<const uint8_t> data, const OnResponse& on_response);
  // The server closed the connection: a body that runs to the close ends
  // here. False if it closed inside a response.
  bool ReadEnd(const OnResponse& on_response);

  Error error() const { return error_; }
  // What went wrong, for people; empty without an error.
  std::string ErrorDetail() const;

 private:
  struct Parser;
  friend struct Parser;
  bool Run(const char* data, size_t length, const OnResponse& on_response);

  const size_t max_body_;
  std::unique_ptr<Parser> parser_;
  size_t awaited_ = 0;
  Error error_ = Error::kNone;
  // The response being read.
  Response response_;
  // The header being read: http-parser may hand a name or value over in
  // pieces.
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  const OnResponse* on_response_ = nullptr;  // during Run
};

const char* Http1ErrorName(Http1ResponseReader::Error error);

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_HTTP1_H_
