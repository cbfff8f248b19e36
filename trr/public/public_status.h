// The boundary between abseil's Status, used inside trr, and trr::Status,
// the public API's (trr/status.h): codes mapped onto the closed list, and
// views converted (Debian's absl::string_view is not std::string_view).

#ifndef TRR_TRR_PUBLIC_PUBLIC_STATUS_H_
#define TRR_TRR_PUBLIC_PUBLIC_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "trr/status.h"

namespace trr {

// kOutOfRange reads as kInvalidArgument, kDeadlineExceeded as
// kUnavailable, and anything outside the list as kInternal.
Status FromAbsl(const absl::Status& status);

template <typename T>
StatusOr<T> FromAbsl(absl::StatusOr<T> value) {
  if (!value.ok()) return FromAbsl(value.status());
  return std::move(*value);
}

inline std::string_view ToStd(absl::string_view view) {
  return std::string_view(view.data(), view.size());
}
inline absl::string_view ToAbsl(std::string_view view) {
  return absl::string_view(view.data(), view.size());
}

}  // namespace trr

#endif  // TRR_TRR_PUBLIC_PUBLIC_STATUS_H_
