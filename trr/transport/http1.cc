#include "trr/transport/http1.h"

#include <http_parser.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace trr {

void AppendHttp1Request(const Http1Request& request, std::string& out) {
  absl::StrAppend(&out, request.get ? "GET " : "POST ", request.target,
                  " HTTP/1.1\r\nHost: ", request.authority,
                  "\r\nAccept: ", request.accept,
                  "\r\n"
                  // RFC 8484 section 5.1 lets caches keep answers; none
                  // of ours should sit in a shared cache.
                  "Cache-Control: no-store\r\n");
  if (request.client == nullptr) {
    out.append("Accept-Encoding:\r\n");
  } else {
    const ClientHeaders& client = *request.client;
    absl::StrAppend(
        &out, "Accept-Encoding:", client.accept_encoding.empty() ? "" : " ",
        client.accept_encoding, "\r\n");
    if (!client.user_agent.empty()) {
      absl::StrAppend(&out, "User-Agent: ", client.user_agent, "\r\n");
    }
    if (!client.accept_language.empty()) {
      absl::StrAppend(&out, "Accept-Language: ", client.accept_language,
                      "\r\n");
    }
  }
  if (!request.credentials.empty()) {
    absl::StrAppend(&out, "Authorization: ", request.credentials, "\r\n");
  }
  if (request.get) {
    out.append("\r\n");
    return;
  }
  absl::StrAppend(&out, "Content-Type: ", request.content_type,
                  "\r\nContent-Length: ", request.body.size(), "\r\n\r\n");
  out.append(request.body.begin(), request.body.end());
}

// http-parser and its callbacks. A non-zero return stops the parser with
// an error; error_ says which of ours it was.
struct Http1ResponseReader::Parser {
  http_parser parser;

  static Http1ResponseReader* Reader(http_parser* p) {
    return static_cast<Http1ResponseReader*>(p->data);
  }

  static void TakeHeader(Http1ResponseReader* r) {
    if (absl::EqualsIgnoreCase(r->field_, "content-type")) {
      r->response_.content_type = r->value_;
    }
    r->field_.clear();
    r->value_.clear();
    r->in_value_ = false;
  }

  static int OnMessageBegin(http_parser* p) {
    Http1ResponseReader* r = Reader(p);
    if (r->awaited_ == 0) {
      r->error_ = Error::kUnexpected;
      return 1;
    }
    r->response_ = Response();
    r->field_.clear();
    r->value_.clear();
    r->in_value_ = false;
    return 0;
  }

  static int OnHeaderField(http_parser* p, const char* at, size_t n) {
    Http1ResponseReader* r = Reader(p);
    if (r->in_value_) TakeHeader(r);
    r->field_.append(at, n);
    return 0;
  }

  static int OnHeaderValue(http_parser* p, const char* at, size_t n) {
    Http1ResponseReader* r = Reader(p);
    r->in_value_ = true;
    r->value_.append(at, n);
    return 0;
  }

  static int OnHeadersComplete(http_parser* p) {
    TakeHeader(Reader(p));
    return 0;
  }

  static int OnBody(http_parser* p, const char* at, size_t n) {
    Http1ResponseReader* r = Reader(p);
    std::vector<uint8_t>& body = r->response_.body;
    if (body.size() + n > r->max_body_) {
      r->error_ = Error::kTooLarge;
      return 1;
    }
    body.insert(body.end(), at, at + n);
    return 0;
  }

  static int OnMessageComplete(http_parser* p) {
    Http1ResponseReader* r = Reader(p);
    // 1xx are interim (100 Continue, say): the final response follows.
    if (p->status_code < 200) return 0;
    --r->awaited_;
    r->response_.status = static_cast<int>(p->status_code);
    r->response_.keep_alive = http_should_keep_alive(p) != 0;
    (*r->on_response_)(std::move(r->response_));
    r->response_ = Response();
    return 0;
  }

  static const http_parser_settings* Settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings s;
      http_parser_settings_init(&s);
      s.on_message_begin = &OnMessageBegin;
      s.on_header_field = &OnHeaderField;
      s.on_header_value = &OnHeaderValue;
      s.on_headers_complete = &OnHeadersComplete;
      s.on_body = &OnBody;
      s.on_message_complete = &OnMessageComplete;
      return s;
    }();
    return &settings;
  }
};

Http1ResponseReader::Http1ResponseReader(size_t max_body)
    : max_body_(max_body), parser_(std::make_unique<Parser>()) {
  http_parser_init(&parser_->parser, HTTP_RESPONSE);
  parser_->parser.data = this;
}

Http1ResponseReader::~Http1ResponseReader() = default;

bool Http1ResponseReader::Run(const char* data, size_t length,
                              const OnResponse& on_response) {
  if (error_ != Error::kNone) return false;
  on_response_ = &on_response;
  http_parser* p = &parser_->parser;
  http_parser_execute(p, Parser::Settings(), data, length);
  on_response_ = nullptr;
  if (error_ != Error::kNone) return false;
  if (p->upgrade) {
    error_ = Error::kUpgrade;
    return false;
  }
  const auto code = static_cast<http_errno>(p->http_errno);
  if (code == HPE_OK) return true;
  error_ = data == nullptr && code == HPE_INVALID_EOF_STATE ? Error::kTruncated
                                                            : Error::kMalformed;
  return false;
}

bool Http1ResponseReader::Read(absl::Span<const uint8_t> data,
                               const OnResponse& on_response) {
  if (data.empty()) return error_ == Error::kNone;  // empty means the end
  return Run(reinterpret_cast<const char*>(data.data()), data.size(),
             on_response);
}

bool Http1ResponseReader::ReadEnd(const OnResponse& on_response) {
  return Run(nullptr, 0, on_response);
}

std::string Http1ResponseReader::ErrorDetail() const {
  switch (error_) {
    case Error::kNone:
      return "";
    case Error::kMalformed:
      return absl::StrCat("HTTP/1.1: ",
                          http_errno_description(static_cast<http_errno>(
                              parser_->parser.http_errno)));
    case Error::kTooLarge:
      return absl::StrCat("answer body over ", max_body_, " bytes");
    case Error::kUnexpected:
      return "HTTP/1.1: a response to no request";
    case Error::kUpgrade:
      return "HTTP/1.1: the server switched protocols";
    case Error::kTruncated:
      return "HTTP/1.1: the connection closed inside a response";
  }
  return "";
}

const char* Http1ErrorName(Http1ResponseReader::Error error) {
  switch (error) {
    case Http1ResponseReader::Error::kNone:
      return "none";
    case Http1ResponseReader::Error::kMalformed:
      return "malformed";
    case Http1ResponseReader::Error::kTooLarge:
      return "too-large";
    case Http1ResponseReader::Error::kUnexpected:
      return "unexpected";
    case Http1ResponseReader::Error::kUpgrade:
      return "upgrade";
    case Http1ResponseReader::Error::kTruncated:
      return "truncated";
  }
  return "unknown";
}

}  // namespace trr
