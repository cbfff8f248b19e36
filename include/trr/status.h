// trr/status.h: Status and StatusOr, the errors of the C++ API. They use
// only the standard library, so libtrr.so's ABI depends on no other
// library's.
//
// StatusCode is one closed list, the same as the C API's trr_status (same
// names, same numbers):
//   kOk                  success
//   kInvalidArgument     a bad name, pref name, pref value, pref file or
//                        option
//   kNotFound            a name's answer: NXDOMAIN, or no records of the
//                        type; never anything but a name's
//   kUnavailable         every path the mode allows failed
//   kCancelled           Cancel(), or the resolver went away
//   kPermissionDenied    the DoH resolver blocked the name (an Extended DNS
//                        Error) and the mode forbids going around it
//   kFailedPrecondition  a call that cannot be made now: a pref locked by
//                        the pref file, ResolveSync on the network thread
//   kInternal            a bug, or the system refused something (no file
//                        descriptors for the event loop)
//   kResourceExhausted   Resolve() refused a lookup at once: as many as
//                        network.dns.max_pending_lookups are outstanding

#ifndef TRR_INCLUDE_TRR_STATUS_H_
#define TRR_INCLUDE_TRR_STATUS_H_

#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "trr/export.h"

namespace trr {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kNotFound = 2,
  kUnavailable = 3,
  kCancelled = 4,
  kPermissionDenied = 5,
  kFailedPrecondition = 6,
  kInternal = 7,
  kResourceExhausted = 8,
};

// "OK", "INVALID_ARGUMENT", "NOT_FOUND", ...: trr_status_name's names.
TRR_EXPORT const char* StatusCodeName(StatusCode code);

class Status {
 public:
  // OK.
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: NXDOMAIN", or "OK".
  std::string ToString() const {
    std::string out = StatusCodeName(code_);
    if (!message_.empty()) out += ": " + message_;
    return out;
  }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& out, const Status& status) {
    return out << status.ToString();
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFoundError(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status UnavailableError(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status CancelledError(std::string message) {
  return Status(StatusCode::kCancelled, std::move(message));
}
inline Status PermissionDeniedError(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status FailedPreconditionError(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status InternalError(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status ResourceExhaustedError(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}

// A value, or the error that stands in its place.
template <typename T>
class StatusOr {
 public:
  // An error; an OK status here is a bug and reads as kInternal.
  StatusOr(Status status)  // NOLINT: implicit, as a return value
      : status_(std::move(status)) {
    if (status_.ok()) {
      status_ = InternalError("StatusOr made from an OK status");
    }
  }
  StatusOr(T value)  // NOLINT: implicit, as a return value
      : value_(std::move(value)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // The value; only when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace trr

#endif  // TRR_INCLUDE_TRR_STATUS_H_
