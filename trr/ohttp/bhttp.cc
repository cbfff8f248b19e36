#include "trr/ohttp/bhttp.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace trr::ohttp {
namespace {

// Framing indicators (RFC 9292 section 3.3).
constexpr uint64_t kKnownLengthRequest = 0;
constexpr uint64_t kKnownLengthResponse = 1;
constexpr uint64_t kIndeterminateRequest = 2;
constexpr uint64_t kIndeterminateResponse = 3;

void AppendString(Bytes& out, absl::string_view s) {
  AppendVarint(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void AppendFields(Bytes& out, const std::vector<BhttpField>& fields) {
  Bytes section;
  for (const BhttpField& f : fields) {
    AppendString(section, f.name);
    AppendString(section, f.value);
  }
  AppendVarint(out, section.size());
  out.insert(out.end(), section.begin(), section.end());
}

void AppendContent(Bytes& out, const Bytes& content) {
  AppendVarint(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

// Reads a message front to back; every read checks the bytes are there.
// `base` is where `in` starts in the whole message, for error offsets.
class Reader {
 public:
  explicit Reader(ByteSpan in, size_t base = 0) : in_(in), base_(base) {}

  bool done() const { return pos_ == in_.size(); }

  absl::StatusOr<uint64_t> Varint(absl::string_view what) {
    if (done()) return Error(what, "is missing");
    const size_t length = size_t{1} << (in_[pos_] >> 6);
    if (in_.size() - pos_ < length) return Error(what, "is cut short");
    uint64_t value = in_[pos_] & 0x3f;
    for (size_t i = 1; i < length; ++i) value = value << 8 | in_[pos_ + i];
    pos_ += length;
    return value;
  }

  // The next `length` bytes, as a Reader of their own.
  absl::StatusOr<Reader> Section(uint64_t length, absl::string_view what) {
    if (length > in_.size() - pos_) {
      return Error(what, "runs past the end");
    }
    Reader section(in_.subspan(pos_, length), base_ + pos_);
    pos_ += length;
    return section;
  }

  absl::StatusOr<std::string> String(absl::string_view what) {
    absl::StatusOr<uint64_t> length = Varint(what);
    if (!length.ok()) return length.status();
    absl::StatusOr<Reader> bytes = Section(*length, what);
    if (!bytes.ok()) return bytes.status();
    return std::string(bytes->in_.begin(), bytes->in_.end());
  }

  void AppendRest(Bytes& out) {
    out.insert(out.end(), in_.begin() + pos_, in_.end());
    pos_ = in_.size();
  }

  // The rest must be padding: zeros only (section 3.8).
  absl::Status Padding() {
    for (; pos_ < in_.size(); ++pos_) {
      if (in_[pos_] != 0) {
        return Error("padding", "holds a byte other than zero");
      }
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what, absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("binary HTTP message: ", what, " ", problem, " at byte ",
                     base_ + pos_));
  }

 private:
  ByteSpan in_;
  size_t base_;
  size_t pos_ = 0;
};

// Name and value pairs until the reader ends (known length) or up to a
// zero-length name (indeterminate length).
absl::Status ReadFieldPairs(Reader& r, bool until_terminator,
                            std::vector<BhttpField>& out) {
  while (until_terminator || !r.done()) {
    absl::StatusOr<std::string> name = r.String("field name");
    if (!name.ok()) return name.status();
    if (name->empty()) {
      if (until_terminator) return absl::OkStatus();
      return r.Error("field name", "is empty");
    }
    absl::StatusOr<std::string> value = r.String("field value");
    if (!value.ok()) return value.status();
    out.push_back({std::move(*name), std::move(*value)});
  }
  return absl::OkStatus();
}

// A field section, or none when the message was truncated before it.
absl::Status ReadFields(Reader& r, bool known_length,
                        std::vector<BhttpField>& out) {
  if (r.done()) return absl::OkStatus();
  if (!known_length) return ReadFieldPairs(r, true, out);
  absl::StatusOr<uint64_t> length = r.Varint("field section length");
  if (!length.ok()) return length.status();
  absl::StatusOr<Reader> section = r.Section(*length, "field section");
  if (!section.ok()) return section.status();
  return ReadFieldPairs(*section, false, out);
}

// The content, or none when the message was truncated before it.
absl::Status ReadContent(Reader& r, bool known_length, Bytes& out) {
  if (r.done()) return absl::OkStatus();
  while (true) {
    absl::StatusOr<uint64_t> length = r.Varint("content length");
    if (!length.ok()) return length.status();
    if (!known_length && *length == 0) return absl::OkStatus();
    absl::StatusOr<Reader> chunk = r.Section(*length, "content");
    if (!chunk.ok()) return chunk.status();
    chunk->AppendRest(out);
    if (known_length) return absl::OkStatus();
  }
}

// Fields, content and trailers, then padding: the end of both kinds.
absl::Status ReadBody(Reader& r, bool known_length,
                      std::vector<BhttpField>& fields, Bytes& content,
                      std::vector<BhttpField>& trailers) {
  if (absl::Status s = ReadFields(r, known_length, fields); !s.ok()) return s;
  if (absl::Status s = ReadContent(r, known_length, content); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadFields(r, known_length, trailers); !s.ok()) {
    return s;
  }
  return r.Padding();
}

// The framing indicator: true for the known-length form of the kind whose
// indicators are `known` and `indeterminate`; an error for any other.
absl::StatusOr<bool> ReadFraming(Reader& r, uint64_t known,
                                 uint64_t indeterminate,
                                 absl::string_view kind) {
  absl::StatusOr<uint64_t> framing = r.Varint("framing indicator");
  if (!framing.ok()) return framing.status();
  if (*framing != known && *framing != indeterminate) {
    return r.Error("framing indicator", absl::StrCat("is not a ", kind, "'s"));
  }
  return *framing == known;
}

}  // namespace

Bytes EncodeBhttpRequest(const BhttpRequest& request) {
  Bytes out;
  AppendVarint(out, kKnownLengthRequest);
  AppendString(out, request.method);
  AppendString(out, request.scheme);
  AppendString(out, request.authority);
  AppendString(out, request.path);
  AppendFields(out, request.fields);
  AppendContent(out, request.content);
  AppendFields(out, request.trailers);
  return out;
}

Bytes EncodeBhttpResponse(const BhttpResponse& response) {
  Bytes out;
  AppendVarint(out, kKnownLengthResponse);
  AppendVarint(out, response.status);
  AppendFields(out, response.fields);
  AppendContent(out, response.content);
  AppendFields(out, response.trailers);
  return out;
}

absl::StatusOr<BhttpRequest> DecodeBhttpRequest(ByteSpan message) {
  Reader r(message);
  absl::StatusOr<bool> known_length =
      ReadFraming(r, kKnownLengthRequest, kIndeterminateRequest, "request");
  if (!known_length.ok()) return known_length.status();
  BhttpRequest request;
  for (std::string* part :
       {&request.method, &request.scheme, &request.authority, &request.path}) {
    absl::StatusOr<std::string> value = r.String("request control data");
    if (!value.ok()) return value.status();
    *part = std::move(*value);
  }
  if (absl::Status s = ReadBody(r, *known_length, request.fields,
                                request.content, request.trailers);
      !s.ok()) {
    return s;
  }
  return request;
}

absl::StatusOr<BhttpResponse> DecodeBhttpResponse(ByteSpan message) {
  Reader r(message);
  absl::StatusOr<bool> framing =
      ReadFraming(r, kKnownLengthResponse, kIndeterminateResponse, "response");
  if (!framing.ok()) return framing.status();
  const bool known_length = *framing;
  BhttpResponse response;
  while (true) {
    absl::StatusOr<uint64_t> status = r.Varint("status code");
    if (!status.ok()) return status.status();
    if (*status < 100 || *status > 599) {
      return r.Error("status code", "is outside 100-599");
    }
    if (*status >= 200) {
      response.status = static_cast<uint16_t>(*status);
      break;
    }
    // An informational response (1xx): its fields are read and dropped.
    std::vector<BhttpField> ignored;
    if (absl::Status s = ReadFields(r, known_length, ignored); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ReadBody(r, known_length, response.fields,
                                response.content, response.trailers);
      !s.ok()) {
    return s;
  }
  return response;
}

void AppendVarint(Bytes& out, uint64_t value) {
  if (value < (1u << 6)) {
    out.push_back(static_cast<uint8_t>(value));
  } else if (value < (1u << 14)) {
    out.push_back(static_cast<uint8_t>(0x40 | value >> 8));
    out.push_back(static_cast<uint8_t>(value));
  } else if (value < (1u << 30)) {
    out.push_back(static_cast<uint8_t>(0x80 | value >> 24));
    for (int shift = 16; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(value >> shift));
    }
  } else {
    out.push_back(static_cast<uint8_t>(0xc0 | value >> 56));
    for (int shift = 48; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(value >> shift));
    }
  }
}

}  // namespace trr::ohttp
