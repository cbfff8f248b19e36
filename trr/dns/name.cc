#include "trr/dns/name.h"

#include "absl/strings/ascii.h"
#include "trr/dns/dns_types.h"

namespace trr::dns {
namespace {

// Far more than any name needs: 255 bytes hold at most 127 labels.
constexpr int kMaxPointerJumps = 128;

// The functions below read through a raw pointer: every offset they touch
// was checked by ReadName, and the span's per-index checks would cost more
// than the parse itself.

WireError Fail(WireErrorCode code, size_t offset, const char* what) {
  return WireError{code, offset, what};
}

// Steps over pointers at `offset` in a name already checked by ReadName and
// returns the offset of the next length byte.
inline size_t SkipPointers(const uint8_t* m, size_t offset) {
  while ((m[offset] & 0xc0) == 0xc0) {
    offset = ((m[offset] & 0x3f) << 8) | m[offset + 1];
  }
  return offset;
}

// Labels are short: a byte loop beats a call to memcmp.
inline bool EqualIgnoringCase(const uint8_t* a, const uint8_t* b,
                              size_t length) {
  for (size_t i = 0; i < length; ++i) {
    if (a[i] != b[i] &&
        absl::ascii_tolower(a[i]) != absl::ascii_tolower(b[i])) {
      return false;
    }
  }
  return true;
}

constexpr size_t kNoKnownName = ~size_t{0};

}  // namespace

WireError ReadName(absl::Span<const uint8_t> message, size_t offset,
                   NameInfo& info) {
  return ReadName(message, offset, info, kNoKnownName, 0);
}

WireError ReadName(absl::Span<const uint8_t> message, size_t offset,
                   NameInfo& info, size_t known_offset,
                   size_t known_wire_length) {
  const uint8_t* m = message.data();
  const size_t size = message.size();
  size_t pos = offset;
  size_t end = 0;  // set at the first pointer
  size_t jump_limit = pos;
  size_t wire_length = 0;
  int jumps = 0;
  while (true) {
    if (pos >= size) {
      return Fail(WireErrorCode::kTruncated, pos, "name runs past the end");
    }
    const uint8_t length = m[pos];
    const uint8_t kind = length & 0xc0;
    if (kind == 0xc0) {
      if (pos + 1 >= size) {
        return Fail(WireErrorCode::kTruncated, pos,
                    "compression pointer runs past the end");
      }
      const size_t target = ((length & 0x3f) << 8) | m[pos + 1];
      if (end == 0) end = pos + 2;
      if (target >= jump_limit) {
        return Fail(WireErrorCode::kBadPointer, pos,
                    "compression pointer does not point backwards");
      }
      if (target < kHeaderSize) {
        return Fail(WireErrorCode::kBadPointer, pos,
                    "compression pointer into the header");
      }
      if (++jumps > kMaxPointerJumps) {
        return Fail(WireErrorCode::kTooManyPointers, pos,
                    "too many compression pointers");
      }
      if (target == known_offset) {
        wire_length += known_wire_length;
        if (wire_length > kMaxWireNameLength) {
          return Fail(WireErrorCode::kNameTooLong, pos, "name over 255 bytes");
        }
        info.end = end;
        info.wire_length = wire_length;
        return WireError();
      }
      jump_limit = target;
      pos = target;
      continue;
    }
    if (kind != 0) {
      return Fail(WireErrorCode::kBadLabel, pos,
                  "label type 0x40 or 0x80 is not supported");
    }
    wire_length += length + 1;
    if (wire_length > kMaxWireNameLength) {
      return Fail(WireErrorCode::kNameTooLong, pos, "name over 255 bytes");
    }
    if (length == 0) {
      info.end = end != 0 ? end : pos + 1;
      info.wire_length = wire_length;
      return WireError();
    }
    if (pos + 1 + length >= size) {
      return Fail(WireErrorCode::kTruncated, pos, "name runs past the end");
    }
    pos += 1 + length;
  }
}

bool NamesEqual(absl::Span<const uint8_t> message, size_t a, size_t b) {
  const uint8_t* m = message.data();
  while (true) {
    a = SkipPointers(m, a);
    b = SkipPointers(m, b);
    if (a == b) return true;
    const uint8_t length = m[a];
    if (length != m[b]) return false;
    if (length == 0) return true;
    if (!EqualIgnoringCase(m + a + 1, m + b + 1, length)) return false;
    a += 1 + length;
    b += 1 + length;
  }
}

bool NameEqualsText(absl::Span<const uint8_t> message, size_t offset,
                    absl::string_view host) {
  const uint8_t* m = message.data();
  const uint8_t* text = reinterpret_cast<const uint8_t*>(host.data());
  const size_t text_size = host.size();
  size_t pos = SkipPointers(m, offset);
  size_t text_pos = 0;
  for (uint8_t length = m[pos]; length != 0; length = m[pos]) {
    // Every label after the first is preceded by a dot in the text.
    if (text_pos != 0) {
      if (text_pos >= text_size || text[text_pos] != '.') return false;
      ++text_pos;
    }
    if (length > text_size - text_pos ||
        !EqualIgnoringCase(m + pos + 1, text + text_pos, length)) {
      return false;
    }
    text_pos += length;
    pos += 1 + length;
    if ((m[pos] & 0xc0) == 0xc0) pos = SkipPointers(m, pos);
  }
  return text_pos == text_size;
}

void AppendNameText(absl::Span<const uint8_t> message, size_t offset,
                    std::string& out) {
  const uint8_t* m = message.data();
  // One pass to size the text (escapes aside), so appending does not grow
  // the string byte by byte.
  size_t text_length = 0;
  for (size_t p = SkipPointers(m, offset); m[p] != 0;
       p = SkipPointers(m, p + 1 + m[p])) {
    text_length += m[p] + 1;
  }
  out.reserve(out.size() + text_length);
  size_t pos = SkipPointers(m, offset);
  bool first = true;
  while (m[pos] != 0) {
    const uint8_t length = m[pos];
    if (!first) out.push_back('.');
    first = false;
    for (size_t i = 1; i <= length; ++i) {
      const uint8_t c = absl::ascii_tolower(m[pos + i]);
      if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + c / 100));
        out.push_back(static_cast<char>('0' + c / 10 % 10));
        out.push_back(static_cast<char>('0' + c % 10));
      }
    }
    pos = SkipPointers(m, pos + 1 + length);
  }
  if (first) out.push_back('.');
}

std::string NameText(absl::Span<const uint8_t> message, size_t offset) {
  std::string out;
  AppendNameText(message, offset, out);
  return out;
}

}  // namespace trr::dns
