#include "trr/dns/base64url.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace trr::dns {
namespace {

absl::string_view AsChars(absl::Span<const uint8_t> data) {
  return absl::string_view(reinterpret_cast<const char*>(data.data()),
                           data.size());
}

bool InAlphabet(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_';
}

absl::Status BadCharacter(absl::string_view text, size_t offset) {
  const unsigned char c = static_cast<unsigned char>(text[offset]);
  return absl::InvalidArgumentError(
      absl::StrCat("base64url: character ",
                   (c >= 0x21 && c < 0x7f)
                       ? absl::StrCat("'", std::string(1, c), "'")
                       : absl::StrCat("0x", absl::Hex(c, absl::kZeroPad2)),
                   " at offset ", offset, " is not in the base64url alphabet",
                   c == '=' ? " (padding is not allowed)" : ""));
}

}  // namespace

// abseil's web-safe base64 is RFC 4648's base64url, without padding.
void Base64UrlEncodeTo(absl::Span<const uint8_t> data, std::string& out) {
  if (out.empty()) {
    absl::WebSafeBase64Escape(AsChars(data), &out);
  } else {
    out += absl::WebSafeBase64Escape(AsChars(data));
  }
}

std::string Base64UrlEncode(absl::Span<const uint8_t> data) {
  std::string out;
  Base64UrlEncodeTo(data, out);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text) {
  // abseil's decoder also takes padding; what RFC 8484 allows is checked
  // here first.
  for (size_t i = 0; i < text.size(); ++i) {
    if (!InAlphabet(text[i])) return BadCharacter(text, i);
  }
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64url: length ", text.size(),
                     " leaves a single character in the last group (offset ",
                     text.size() - 1, ")"));
  }
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(text, &decoded)) {
    return absl::InvalidArgumentError("base64url: not decodable");
  }
  std::vector<uint8_t> out(decoded.begin(), decoded.end());
  // A canonical encoder leaves the unused low bits of the last character
  // zero (RFC 4648 section 3.5): the text must be what encoding gives back.
  if (Base64UrlEncode(out) != text) {
    return absl::InvalidArgumentError(absl::StrCat(
        "base64url: non-zero unused bits in the last character (offset ",
        text.size() - 1, ")"));
  }
  return out;
}

}  // namespace trr::dns
