// Confirmation: the state machine that decides whether TRR is working, as
// Firefox's TRRService confirmation does. An NS query for
// network.trr.confirmationNS is sent; while it succeeds TRR is trusted, when
// it fails mode 2 resolves natively and retries back off from
// retry-timeout-ms, doubling up to max-retry-timeout-ms.
//
// Pure logic: it does no I/O and keeps no clock. Each input returns what the
// caller must do (send a query, start a retry timer); the resolver does it.

#ifndef TRR_TRR_SERVERS_CONFIRMATION_H_
#define TRR_TRR_SERVERS_CONFIRMATION_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace trr {

enum class ConfirmationState : uint8_t {
  kOff,           // not needed: TRR is off
  kTryingOk,      // confirming, optimistic: TRR is used meanwhile
  kOk,            // confirmed
  kFailed,        // the last attempt failed; waiting to retry
  kTryingFailed,  // retrying after a failure: TRR is not used meanwhile
  kDisabled,      // confirmation skipped (confirmationNS "skip", mode 3)
};

// "off", "trying-ok", "ok", "failed", "trying-failed", "disabled".
absl::string_view ConfirmationStateName(ConfirmationState state);

struct ConfirmationConfig {
  // False when TRR is not in use at all (modes 0, 5): state kOff.
  bool trr_in_use = false;
  // False for confirmationNS "skip" and for mode 3: state kDisabled.
  bool confirm = true;
  absl::Duration retry_initial = absl::Milliseconds(125);
  absl::Duration retry_max = absl::Milliseconds(64000);
  // Consecutive TRR failures that send kOk back to confirming.
  int max_fails = 15;
};

class Confirmation {
 public:
  // What the caller must do after an input.
  struct Action {
    // Send a confirmation query tagged with this attempt number; results
    // of other attempts are ignored.
    std::optional<uint64_t> send_attempt;
    // Start a retry timer; call OnRetryTimer(attempt) when it fires.
    std::optional<absl::Duration> retry_after;
  };

  // (Re)starts confirmation: at start-up, on a URI or mode change, a
  // network change or a captive portal reported clear. Starts optimistic.
  Action Start(const ConfirmationConfig& config);
  // The result of the confirmation query of `attempt` (a NOERROR answer to
  // the NS query is success, with or without records).
  Action OnQueryResult(uint64_t attempt, bool ok);
  // The retry timer set after a failure fired.
  Action OnRetryTimer(uint64_t attempt);
  // A TRR lookup's outcome on the server, `ok` unless its DoH exchange
  // failed (an RCODE is the server answering): in kOk, max_fails failures
  // in a row start confirmation again; a success resets the count.
  Action OnTrrResult(bool ok);
  // A lookup's failed exchange with network.trr.retry_on_recoverable_errors:
  // a confirmed server is confirmed again now, optimistically (kTryingOk,
  // still used meanwhile), as Firefox's RetryTRRConfirm does.
  Action OnRecoverableFailure();
  // No connection to the server came up within a lookup's time (a black
  // hole, a server gone): what the next confirmation query would find.
  // From kOk or kTryingOk, confirmation fails now (kFailed, retry timer),
  // so mode 2 stops waiting on the server at once. Beyond Firefox, which
  // waits for its confirmation query to time out.
  Action OnUnreachable();

  ConfirmationState state() const { return state_; }
  // Whether mode 2 may use TRR now: in kOk and kDisabled, and in kTryingOk
  // unless network.trr.wait-for-confirmation is set.
  bool TrrUsable(bool wait_for_confirmation) const;

  uint64_t attempts() const { return attempts_; }
  // The attempt whose result (or retry timer) counts now.
  uint64_t current_attempt() const { return attempt_; }
  uint64_t state_changes() const { return state_changes_; }
  int consecutive_failures() const { return consecutive_failures_; }
  // The wait before the next retry, doubling after each failure.
  absl::Duration next_retry() const { return retry_delay_; }

 private:
  void SetState(ConfirmationState state);
  Action SendAttempt(ConfirmationState state);
  // To kFailed, with the retry timer to start.
  Action Fail();

  ConfirmationConfig config_;
  ConfirmationState state_ = ConfirmationState::kOff;
  uint64_t attempt_ = 0;  // the attempt whose result counts
  uint64_t attempts_ = 0;
  uint64_t state_changes_ = 0;
  int consecutive_failures_ = 0;
  absl::Duration retry_delay_;
};

}  // namespace trr

#endif  // TRR_TRR_SERVERS_CONFIRMATION_H_
