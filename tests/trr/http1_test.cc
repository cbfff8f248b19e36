// The HTTP/1.1 request trr writes, and Http1ResponseReader fed bytes as a
// connection would hand them over: every framing, in one piece and a byte
// at a time, and what a broken or hostile server sends. No sockets.

#include "trr/transport/http1.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace trr {
namespace {

using Error = Http1ResponseReader::Error;
using Response = Http1ResponseReader::Response;

absl::Span<const uint8_t> Bytes(const std::string& text) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                             text.size());
}

std::vector<uint8_t> Body(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// Feeds `text` to a reader awaiting `awaited` responses, whole or a byte at
// a time, then (when `end`) the close; collects what it completes.
struct Outcome {
  bool ok = true;
  Error error = Error::kNone;
  std::string detail;
  std::vector<Response> responses;
};

Outcome Feed(const std::string& text, bool byte_at_a_time, size_t awaited = 1,
             bool end = false, size_t max_body = 65535) {
  Http1ResponseReader reader(max_body);
  for (size_t i = 0; i < awaited; ++i) reader.Await();
  Outcome run;
  const auto collect = [&](Response response) {
    run.responses.push_back(std::move(response));
  };
  if (byte_at_a_time) {
    for (size_t i = 0; i < text.size() && run.ok; ++i) {
      run.ok = reader.Read(Bytes(text.substr(i, 1)), collect);
    }
  } else {
    run.ok = reader.Read(Bytes(text), collect);
  }
  if (run.ok && end) run.ok = reader.ReadEnd(collect);
  run.error = reader.error();
  run.detail = reader.ErrorDetail();
  return run;
}

constexpr char kAnswer[] = "\x12\x34\x81\x80 answer bytes";

TEST(Http1RequestTest, PostCarriesTheQueryWithItsLength) {
  std::string out;
  const std::vector<uint8_t> query = Body("QUERY");
  AppendHttp1Request({/*get=*/false, "/dns-query", "doh.example:8443",
                      /*credentials=*/"", query},
                     out);
  EXPECT_EQ(out,
            "POST /dns-query HTTP/1.1\r\n"
            "Host: doh.example:8443\r\n"
            "Accept: application/dns-message\r\n"
            "Cache-Control: no-store\r\n"
            "Accept-Encoding:\r\n"
            "Content-Type: application/dns-message\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "QUERY");
}

TEST(Http1RequestTest, GetHasNoBodyAndCredentialsGoInAuthorization) {
  std::string out = "before|";
  AppendHttp1Request(
      {/*get=*/true, "/q?dns=AAAB", "doh.example", "Bearer x", {}}, out);
  EXPECT_EQ(out,
            "before|GET /q?dns=AAAB HTTP/1.1\r\n"
            "Host: doh.example\r\n"
            "Accept: application/dns-message\r\n"
            "Cache-Control: no-store\r\n"
            "Accept-Encoding:\r\n"
            "Authorization: Bearer x\r\n"
            "\r\n");
}

// Firefox's network.trr.send_* prefs turned the other way: Accept-Encoding
// says identity, and a user agent and languages go along.
TEST(Http1RequestTest, ClientHeadersGoAsThePrefsChoose) {
  std::string out;
  const ClientHeaders client{"identity", "TestAgent/1.0", "fr, en"};
  Http1Request request{/*get=*/true, "/q?dns=AAAB", "doh.example", "", {}};
  request.client = &client;
  AppendHttp1Request(request, out);
  EXPECT_EQ(out,
            "GET /q?dns=AAAB HTTP/1.1\r\n"
            "Host: doh.example\r\n"
            "Accept: application/dns-message\r\n"
            "Cache-Control: no-store\r\n"
            "Accept-Encoding: identity\r\n"
            "User-Agent: TestAgent/1.0\r\n"
            "Accept-Language: fr, en\r\n"
            "\r\n");
}

// An Oblivious HTTP relay's request: its own media types both ways.
TEST(Http1RequestTest, OtherMediaTypesGoInAcceptAndContentType) {
  std::string out;
  const std::vector<uint8_t> sealed = Body("SEALED");
  AppendHttp1Request({/*get=*/false, "/relay", "relay.example", "", sealed,
                      "message/ohttp-res", "message/ohttp-req"},
                     out);
  EXPECT_EQ(out,
            "POST /relay HTTP/1.1\r\n"
            "Host: relay.example\r\n"
            "Accept: message/ohttp-res\r\n"
            "Cache-Control: no-store\r\n"
            "Accept-Encoding:\r\n"
            "Content-Type: message/ohttp-req\r\n"
            "Content-Length: 6\r\n"
            "\r\n"
            "SEALED");
}

TEST(Http1ResponseReaderTest, EveryFramingIsReadWholeOrAByteAtATime) {
  const std::string answer = kAnswer;
  struct Case {
    const char* name;
    std::string text;
    bool end;  // the body runs to the close
  };
  const std::vector<Case> cases = {
      {"length",
       "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
       "Content-Length: " +
           std::to_string(answer.size()) + "\r\n\r\n" + answer,
       false},
      {"chunked",
       "HTTP/1.1 200 OK\r\ncontent-type: application/dns-message\r\n"
       "Transfer-Encoding: chunked\r\n\r\n4\r\n" +
           answer.substr(0, 4) + "\r\n" +
           [&] {
             char size[8];
             snprintf(size, sizeof(size), "%zx", answer.size() - 4);
             return std::string(size);
           }() +
           ";ext=1\r\n" + answer.substr(4) + "\r\n0\r\nTrailer: x\r\n\r\n",
       false},
      {"continue first",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
       "Content-Type: application/dns-message\r\nContent-Length: " +
           std::to_string(answer.size()) + "\r\n\r\n" + answer,
       false},
      {"until the close",
       "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
       "Connection: close\r\n\r\n" +
           answer,
       true},
  };
  for (const Case& c : cases) {
    for (bool bytewise : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (bytewise ? ", bytewise" : ""));
      const Outcome run = Feed(c.text, bytewise, 1, c.end);
      ASSERT_TRUE(run.ok) << run.detail;
      ASSERT_EQ(run.responses.size(), 1u);
      EXPECT_EQ(run.responses[0].status, 200);
      EXPECT_EQ(run.responses[0].content_type, "application/dns-message");
      EXPECT_EQ(run.responses[0].body, Body(answer));
    }
  }
}

TEST(Http1ResponseReaderTest, KeptAliveUnlessTheServerSaysOtherwise) {
  const std::string kept =
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  Outcome run = Feed(kept, false, 2);
  ASSERT_TRUE(run.ok) << run.detail;
  ASSERT_EQ(run.responses.size(), 2u);
  EXPECT_TRUE(run.responses[0].keep_alive);
  EXPECT_EQ(run.responses[0].body, Body("A"));
  EXPECT_EQ(run.responses[1].status, 404);
  EXPECT_TRUE(run.responses[1].body.empty());
  EXPECT_TRUE(run.responses[1].content_type.empty());

  for (const std::string& closing :
       {std::string("HTTP/1.1 200 OK\r\nConnection: close\r\n"
                    "Content-Length: 1\r\n\r\nA"),
        std::string("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nA")}) {
    run = Feed(closing, false);
    ASSERT_EQ(run.responses.size(), 1u);
    EXPECT_FALSE(run.responses[0].keep_alive) << closing;
  }
}

TEST(Http1ResponseReaderTest, AResponseToNoRequestIsAnError) {
  // One awaited, two sent: read as the next request's answer, the second
  // would answer the wrong question.
  const Outcome run = Feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
      false, 1);
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.error, Error::kUnexpected);
  EXPECT_EQ(run.responses.size(), 1u);
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\n\r\n", false, 0).error,
            Error::kUnexpected);
}

TEST(Http1ResponseReaderTest, BrokenAndHostileResponsesGiveTypedErrors) {
  EXPECT_EQ(Feed("THIS IS NOT HTTP\r\n\r\n", false).error, Error::kMalformed);
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false).error,
            Error::kMalformed);
  EXPECT_EQ(
      Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false)
          .error,
      Error::kMalformed);
  // http-parser stops at 80 KB of headers.
  EXPECT_EQ(
      Feed("HTTP/1.1 200 OK\r\nX-Pad: " + std::string(100000, 'p') + "\r\n\r\n",
           false)
          .error,
      Error::kMalformed);
  EXPECT_EQ(Feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
                 "Connection: upgrade\r\n\r\n",
                 false)
                .error,
            Error::kUpgrade);
  // Closed inside the headers, or before the length is in.
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-", false, 1, true).error,
            Error::kTruncated);
  EXPECT_EQ(
      Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nABC", false, 1, true)
          .error,
      Error::kTruncated);
  // Closed between responses: no error.
  EXPECT_TRUE(Feed("", false, 1, true).ok);
}

TEST(Http1ResponseReaderTest, ABodyOverTheLimitStopsAtTheLimit) {
  const Outcome run = Feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + std::string(11, 'x'),
      false, 1, false, /*max_body=*/10);
  EXPECT_EQ(run.error, Error::kTooLarge);
  EXPECT_EQ(run.detail, "answer body over 10 bytes");
  EXPECT_TRUE(run.responses.empty());
  // Exactly the limit is fine.
  EXPECT_TRUE(Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" +
                       std::string(10, 'x'),
                   false, 1, false, 10)
                  .ok);
}

TEST(Http1ResponseReaderTest, AfterAnErrorNothingMoreIsRead) {
  Http1ResponseReader reader(100);
  reader.Await();
  int responses = 0;
  const auto count = [&](Response) { ++responses; };
  EXPECT_FALSE(reader.Read(Bytes("garbage\r\n\r\n"), count));
  EXPECT_FALSE(reader.Read(
      Bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), count));
  EXPECT_FALSE(reader.ReadEnd(count));
  EXPECT_EQ(responses, 0);
  EXPECT_EQ(reader.error(), Error::kMalformed);
  EXPECT_EQ(std::string(Http1ErrorName(reader.error())), "malformed");
}

}  // namespace
}  // namespace trr
