#include "trr/transport/stream_window.h"

#include <algorithm>

namespace trr {

uint32_t StreamWindow::Limit(uint32_t server_max_streams) const {
  return std::min(window_, server_max_streams);
}

void StreamWindow::OnAnswer(uint32_t in_flight) {
  if (in_flight < window_ || window_ >= kMax) return;
  if (window_ < threshold_) {
    ++window_;
    return;
  }
  if (++answers_toward_growth_ >= window_) {
    answers_toward_growth_ = 0;
    ++window_;
  }
}

void StreamWindow::OnRefused(uint64_t sequence, uint32_t in_flight) {
  // Every stream of a burst the server could not take is refused together:
  // that is one signal, not one per stream.
  if (sequence < recovery_sequence_) return;
  recovery_sequence_ = next_sequence_;
  threshold_ = std::max(kMinAfterRefusal, std::min(window_, in_flight) / 2);
  window_ = threshold_;
  answers_toward_growth_ = 0;
  ++decreases_;
}

}  // namespace trr
