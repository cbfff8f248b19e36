// StreamWindow: how many requests may be in flight at once on an HTTP/2
// connection to one DoH server. A server's SETTINGS_MAX_CONCURRENT_STREAMS
// is not the whole truth: some drop or refuse bursts below it (see
// docs/INTEROP.md). So the window starts small, grows while answers come
// back, and halves when the server refuses a stream or drops a connection
// with streams in flight, as TCP's congestion window does (additive
// increase, multiplicative decrease, with a slow start).
//
// Pure logic: no I/O and no clock. The transport tells it what happened
// and asks it how many streams it may have open.

#ifndef TRR_TRR_TRANSPORT_STREAM_WINDOW_H_
#define TRR_TRR_TRANSPORT_STREAM_WINDOW_H_

#include <cstdint>

namespace trr {

class StreamWindow {
 public:
  // Where a new server starts: enough for a page's names, well below the
  // 100 that servers advertise and some cannot take at once.
  static constexpr uint32_t kInitial = 16;
  // What a refusal halves it to at the least: one refused stream of two
  // in flight says little about how many the server can take.
  static constexpr uint32_t kMinAfterRefusal = 2;
  // The most ever in flight on one connection, whatever a server
  // advertises: 100 is what most advertise, and plenty for DNS. (Knot
  // Resolver 5.6 advertises 65,535 and swaps answers between streams when
  // some 500 are open at once; docs/INTEROP.md.)
  static constexpr uint32_t kMax = 100;

  // Streams that may be open now; never above what the server advertised.
  uint32_t Limit(uint32_t server_max_streams) const;

  // A number for each request sent, in order; refusals of requests sent
  // before the last decrease do not decrease it again.
  uint64_t NextSequence() { return next_sequence_++; }

  // An answer came back while `in_flight` streams were open (it included).
  // Grows only when the window was full, so an idle connection keeps it.
  void OnAnswer(uint32_t in_flight);

  // The server refused the request numbered `sequence` (REFUSED_STREAM), or
  // dropped the connection that carried it, while `in_flight` streams were
  // open: halves the window, once per window of requests.
  void OnRefused(uint64_t sequence, uint32_t in_flight);

  uint32_t window() const { return window_; }
  uint64_t decreases() const { return decreases_; }

 private:
  uint32_t window_ = kInitial;
  // Below it every answer grows the window by one (slow start); above, by
  // one per window of answers.
  uint32_t threshold_ = kMax;
  uint32_t answers_toward_growth_ = 0;
  uint64_t next_sequence_ = 0;
  // Requests numbered below it were sent before the last decrease.
  uint64_t recovery_sequence_ = 0;
  uint64_t decreases_ = 0;
};

}  // namespace trr

#endif  // TRR_TRR_TRANSPORT_STREAM_WINDOW_H_
