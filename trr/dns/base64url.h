// base64url without padding (RFC 4648 section 5), the encoding of the dns=
// parameter of a DoH GET request (RFC 8484 section 4.1).

#ifndef TRR_TRR_DNS_BASE64URL_H_
#define TRR_TRR_DNS_BASE64URL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace trr::dns {

// Appends the unpadded base64url form of `data` to `out`.
void Base64UrlEncodeTo(absl::Span<const uint8_t> data, std::string& out);
std::string Base64UrlEncode(absl::Span<const uint8_t> data);

// Decodes unpadded base64url. Rejects, with the offset of the first bad
// character: characters outside A-Z a-z 0-9 - _ (so '=' padding, '+', '/'
// and whitespace too), a length that leaves a single character in the last
// group, and non-zero unused bits in the last character (non-canonical text).
absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_BASE64URL_H_
