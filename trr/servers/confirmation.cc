#include "trr/servers/confirmation.h"

#include <algorithm>

namespace trr {

absl::string_view ConfirmationStateName(ConfirmationState state) {
  switch (state) {
    case ConfirmationState::kOff:
      return "off";
    case ConfirmationState::kTryingOk:
      return "trying-ok";
    case ConfirmationState::kOk:
      return "ok";
    case ConfirmationState::kFailed:
      return "failed";
    case ConfirmationState::kTryingFailed:
      return "trying-failed";
    case ConfirmationState::kDisabled:
      return "disabled";
  }
  return "unknown";
}

void Confirmation::SetState(ConfirmationState state) {
  if (state != state_) ++state_changes_;
  state_ = state;
}

Confirmation::Action Confirmation::SendAttempt(ConfirmationState state) {
  SetState(state);
  ++attempts_;
  Action action;
  action.send_attempt = ++attempt_;
  return action;
}

Confirmation::Action Confirmation::Start(const ConfirmationConfig& config) {
  config_ = config;
  consecutive_failures_ = 0;
  retry_delay_ = config_.retry_initial;
  ++attempt_;  // whatever was in flight no longer counts
  if (!config_.trr_in_use) {
    SetState(ConfirmationState::kOff);
    return Action();
  }
  if (!config_.confirm) {
    SetState(ConfirmationState::kDisabled);
    return Action();
  }
  return SendAttempt(ConfirmationState::kTryingOk);
}

Confirmation::Action Confirmation::OnQueryResult(uint64_t attempt, bool ok) {
  if (attempt != attempt_ || (state_ != ConfirmationState::kTryingOk &&
                              state_ != ConfirmationState::kTryingFailed)) {
    return Action();
  }
  if (ok) {
    SetState(ConfirmationState::kOk);
    consecutive_failures_ = 0;
    retry_delay_ = config_.retry_initial;
    return Action();
  }
  return Fail();
}

Confirmation::Action Confirmation::Fail() {
  SetState(ConfirmationState::kFailed);
  Action action;
  action.retry_after = retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, config_.retry_max);
  return action;
}

Confirmation::Action Confirmation::OnRetryTimer(uint64_t attempt) {
  if (attempt != attempt_ || state_ != ConfirmationState::kFailed) {
    return Action();
  }
  return SendAttempt(ConfirmationState::kTryingFailed);
}

Confirmation::Action Confirmation::OnTrrResult(bool ok) {
  if (ok) {
    consecutive_failures_ = 0;
    return Action();
  }
  if (state_ != ConfirmationState::kOk) return Action();
  if (++consecutive_failures_ < config_.max_fails) return Action();
  consecutive_failures_ = 0;
  return SendAttempt(ConfirmationState::kTryingOk);
}

Confirmation::Action Confirmation::OnRecoverableFailure() {
  if (state_ != ConfirmationState::kOk) return Action();
  consecutive_failures_ = 0;
  return SendAttempt(ConfirmationState::kTryingOk);
}

Confirmation::Action Confirmation::OnUnreachable() {
  if (state_ != ConfirmationState::kOk &&
      state_ != ConfirmationState::kTryingOk) {
    return Action();
  }
  consecutive_failures_ = 0;
  ++attempt_;  // the attempt in flight, if any, no longer counts
  return Fail();
}

bool Confirmation::TrrUsable(bool wait_for_confirmation) const {
  switch (state_) {
    case ConfirmationState::kOk:
    case ConfirmationState::kDisabled:
      return true;
    case ConfirmationState::kTryingOk:
      return !wait_for_confirmation;
    default:
      return false;
  }
}

}  // namespace trr
