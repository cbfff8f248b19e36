// Http2Session: HTTP/2 (RFC 9113) on a TLS connection that is up, through
// nghttp2 fed straight from and to OpenSSL. It sends DoH requests as
// streams (a POST's HEADERS and DATA together), gathers each response, and
// tells its listener how each stream ended: answered, refused (safe to send
// again, RFC 9113 section 8.7), reset, or too large. It also carries health
// PINGs and reports GOAWAY. Which request a stream is, its timeout and its
// retries are the owner's (DohTransport); the session knows bytes and
// frames.
//
// It guards the owner's memory against a noisy peer: it is fed at most
// kFeedChunk at a time with what nghttp2 owes taken out in between (a
// storm of PINGs or SETTINGS stays under nghttp2's flood guard), and it
// stops reading while it owes the server more than kMaxPendingOutput.
//
// Loop thread only. Internal to libtrr.

#ifndef TRR_TRR_TRANSPORT_HTTP2_SESSION_H_
#define TRR_TRR_TRANSPORT_HTTP2_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "trr/transport/client_headers.h"
#include "trr/transport/connect_job.h"
#include "trr/transport/doh_error.h"

// nghttp2's session, kept out of this header.
struct nghttp2_session;

namespace trr {

// nghttp2 ends a session that owes more than 1,000 PING and SETTINGS ACKs
// (its flood guard). Fed at most this much at a time, with what it owes
// taken out in between, a legal storm of them never reaches that: 4,096
// bytes hold at most 455 empty SETTINGS frames.
inline constexpr size_t kFeedChunk = 4096;
// Bytes owed to a server that is not reading them, beyond which nothing more
// is read from it until it takes some.
inline constexpr size_t kMaxPendingOutput = 256 * 1024;

class Http2Session {
 public:
  // What every request of this session carries.
  using Config = SessionConfig;

  // How a stream ended.
  struct StreamEnd {
    enum class Kind : uint8_t {
      kAnswered,  // a final status and the stream closed cleanly
      kRefused,   // REFUSED_STREAM, or above a GOAWAY's last stream
      kReset,     // reset, or ended without a response
      kTooLarge,  // a body over max_body: reset by us
    };
    Kind kind = Kind::kAnswered;
    // kRefused: by a GOAWAY (the server going away, not busy).
    bool by_goaway = false;
    // Streams open when it closed, itself included.
    uint32_t in_flight = 0;
    // The final status, if one came (0 if not).
    int status = 0;
    // kAnswered: the rest of the response.
    std::string content_type;
    std::vector<uint8_t> body;
    // kReset, kTooLarge: what happened, for people.
    std::string detail;
    // kReset: a final status had come (the server had the request).
    bool answered = false;
  };

  class Listener {
   public:
    // The stream is forgotten before this is called.
    virtual void OnStreamEnd(int32_t stream, StreamEnd end) = 0;
    // GOAWAY: streams up to `last_stream` finish, the rest are refused.
    virtual void OnGoaway(int32_t last_stream) = 0;
    // The server answered our PING.
    virtual void OnPingAnswered() = 0;

   protected:
    ~Listener() = default;
  };

  // Starts the session on `socket` (not owned; it outlives this): our
  // SETTINGS go with the first Flush.
  Http2Session(TlsSocket* socket, Config config, Listener* listener);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Opens a stream for a GET of `path`, or a POST of `query` to it. The
  // stream id, or nghttp2's negative error (NGHTTP2_ERR_STREAM_ID_NOT_
  // AVAILABLE once ids run out). A POST's HEADERS and DATA then leave
  // nghttp2 together (Produce), before another stream's HEADERS can
  // (knot-resolver refuses a stream while an earlier one's body is
  // incomplete, and BIND drops a connection that opens many streams
  // without their bodies); if flow control holds the body back, no other
  // stream may start until it has gone (MayStartStream).
  int32_t Submit(bool get, absl::string_view path,
                 absl::Span<const uint8_t> query);
  // Resets the stream (CANCEL) and forgets it: it is not reported.
  void Reset(int32_t stream);
  // Forgets the stream without telling the server (it ended elsewhere).
  void Forget(int32_t stream);
  // Queues a PING; false if nghttp2 would not.
  bool Ping();
  // Whether the stream's final status has come.
  bool HasResponse(int32_t stream) const;

  // Reads what TLS has into nghttp2 (the listener hears of streams that
  // end), then flushes. False when the connection failed: failure() says
  // how.
  bool Pump();
  // Writes what nghttp2 has to send, as far as the socket takes it. False
  // when the connection failed.
  bool Flush();
  // Moves what nghttp2 has to send into the output buffer; false when
  // that failed the session.
  bool Produce(size_t up_to = SIZE_MAX);
  // GOAWAY (NO_ERROR) and TLS close_notify, as far as the socket takes
  // them now: a server keeps the TLS session of a connection closed
  // cleanly, for the next one to resume.
  void Goodbye();

  const DohFailure& failure() const { return failure_; }
  // Both sides are done (after a GOAWAY with every stream closed): the
  // connection closes.
  bool ended() const { return ended_; }
  // Another stream may start now (no POST body held back, not ended).
  bool MayStartStream() const { return unsent_body_stream_ < 0 && !ended_; }
  // Reading stopped (the server is not taking what it is owed) and may
  // start again now: the owner calls Pump soon. Reported once.
  bool TakeResumeReading();
  // A POST body held back by flow control has gone out since the last
  // call: another stream may start (MayStartStream). Reported once, so
  // the owner dispatches on the change, not on every read or write.
  bool TakeStreamGateOpened();
  // EPOLLIN unless reading is paused, EPOLLOUT while output waits.
  uint32_t WantedEvents() const;
  // The server's SETTINGS_MAX_CONCURRENT_STREAMS (100 until they come).
  uint32_t ServerMaxStreams() const;
  // When a byte last came from the server (monotonic).
  absl::Time last_heard() const { return last_heard_; }

 private:
  struct Stream {
    std::vector<uint8_t> query;  // a POST's body
    size_t sent = 0;             // how much of it nghttp2 has taken
    bool answered = false;       // a final status arrived
    int status = 0;
    std::string content_type;
    std::vector<uint8_t> body;
  };
  // nghttp2's callbacks (in the .cc, where its types are).
  struct Callbacks;

  bool Fail(DohError error, std::string detail);

  TlsSocket* const socket_;
  const Config config_;
  Listener* const listener_;
  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<int32_t, Stream> streams_;
  // Bytes nghttp2 produced that TLS has not taken yet.
  std::string pending_;
  int32_t goaway_last_stream_ = -1;  // -1: no GOAWAY came
  int32_t unsent_body_stream_ = -1;
  bool reading_paused_ = false;
  bool resume_reading_ = false;
  bool stream_gate_opened_ = false;
  bool ended_ = false;
  absl::Time last_heard_;
  std::string session_error_;  // why nghttp2 ended the session, if it did
  DohFailure failure_;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_HTTP2_SESSION_H_
