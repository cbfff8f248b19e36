// Domain names in wire form (RFC 1035 section 3.1 and 4.1.4): reading with
// compression, comparing and presenting, all without copying the message.

#ifndef TRR_TRR_DNS_NAME_H_
#define TRR_TRR_DNS_NAME_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "trr/dns/wire_error.h"

namespace trr::dns {

struct NameInfo {
  // Offset just past the name where it stands (past its first pointer).
  size_t end = 0;
  // Length of the whole name in wire form, pointers expanded (1 to 255).
  size_t wire_length = 0;
};

// Checks the name at `offset` and finds where it ends. Rejects label types
// other than plain labels and pointers, labels over 63 bytes, names over 255
// bytes, and pointers that do not point strictly before the previous jump
// (which rules out loops) or that point into the 12-byte header.
WireError ReadName(absl::Span<const uint8_t> message, size_t offset,
                   NameInfo& info);

// The same, with a shortcut: a pointer to `known_offset`, where a name of
// `known_wire_length` bytes was already checked, ends the walk there. Answer
// owners are nearly always a pointer to the question name.
WireError ReadName(absl::Span<const uint8_t> message, size_t offset,
                   NameInfo& info, size_t known_offset,
                   size_t known_wire_length);

// Whether two names checked by ReadName are equal, ignoring ASCII case
// (RFC 4343).
bool NamesEqual(absl::Span<const uint8_t> message, size_t a, size_t b);

// Whether the checked name at `offset` equals `host`, a dotted name without
// a trailing dot, ignoring ASCII case.
bool NameEqualsText(absl::Span<const uint8_t> message, size_t offset,
                    absl::string_view host);

// Appends the checked name at `offset` in presentation form, lower-cased,
// without a trailing dot ("." for the root). Bytes that would be ambiguous
// ('.', '\\') or are not printable are written as \DDD (RFC 1035 section 5.1).
void AppendNameText(absl::Span<const uint8_t> message, size_t offset,
                    std::string& out);
std::string NameText(absl::Span<const uint8_t> message, size_t offset);

}  // namespace trr::dns

#endif  // TRR_TRR_DNS_NAME_H_
