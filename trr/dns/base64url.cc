#include "trr/dns/base64url.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trr::dns {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = i;
  }
  return table;
}

constexpr std::array<uint8_t, 256> kDecodeTable = MakeDecodeTable();

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

void Base64UrlEncodeTo(absl::Span<const uint8_t> data, std::string& out) {
  out.reserve(out.size() + (data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t group =
        (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t group = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
  } else if (rest == 2) {
    const uint32_t group =
        (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
  }
}

std::string Base64UrlEncode(absl::Span<const uint8_t> data) {
  std::string out;
  Base64UrlEncodeTo(data, out);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text) {
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64url: length ", text.size(),
                     " leaves a single character in the last group (offset ",
                     text.size() - 1, ")"));
  }
  std::vector<uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t group = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t value = kDecodeTable[static_cast<unsigned char>(text[i])];
    if (value == kInvalid) return BadCharacter(text, i);
    group = (group << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(group >> bits));
      group &= (1u << bits) - 1;
    }
  }
  // Whatever is left over are the unused low bits of the last character; a
  // canonical encoder leaves them zero (RFC 4648 section 3.5).
  if (group != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "base64url: non-zero unused bits in the last character (offset ",
        text.size() - 1, ")"));
  }
  return out;
}

}  // namespace trr::dns
