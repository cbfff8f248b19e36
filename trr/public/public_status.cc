#include "trr/public/public_status.h"

namespace trr {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
  }
  return "UNKNOWN";
}

Status FromAbsl(const absl::Status& status) {
  StatusCode code;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return Status();
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      code = StatusCode::kInvalidArgument;
      break;
    case absl::StatusCode::kNotFound:
      code = StatusCode::kNotFound;
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      code = StatusCode::kUnavailable;
      break;
    case absl::StatusCode::kCancelled:
      code = StatusCode::kCancelled;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = StatusCode::kPermissionDenied;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = StatusCode::kFailedPrecondition;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = StatusCode::kResourceExhausted;
      break;
    default:
      code = StatusCode::kInternal;
      break;
  }
  return Status(code, std::string(status.message()));
}

}  // namespace trr
