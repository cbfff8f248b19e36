// MessageBuilder: hand-built DNS messages for tests, including broken ones.

#ifndef TRR_TESTS_TRR_DNS_MESSAGE_BUILDER_H_
#define TRR_TESTS_TRR_DNS_MESSAGE_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace trr::dns::testing {

using Bytes = std::vector<uint8_t>;

// "www.example.com" in uncompressed wire form.
inline Bytes WireName(absl::string_view name) {
  Bytes out;
  if (!name.empty() && name != ".") {
    for (absl::string_view label : absl::StrSplit(name, '.')) {
      out.push_back(static_cast<uint8_t>(label.size()));
      out.insert(out.end(), label.begin(), label.end());
    }
  }
  out.push_back(0);
  return out;
}

// A compression pointer to `offset`.
inline Bytes Pointer(uint16_t offset) {
  return {static_cast<uint8_t>(0xc0 | (offset >> 8)),
          static_cast<uint8_t>(offset)};
}

// Labels followed by a pointer: ("www", 12) -> 3 www C0 0C.
inline Bytes LabelsThenPointer(absl::string_view labels, uint16_t offset) {
  Bytes out = WireName(labels);
  out.pop_back();
  Bytes pointer = Pointer(offset);
  out.insert(out.end(), pointer.begin(), pointer.end());
  return out;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

inline Bytes U16(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}
inline Bytes U32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

class MessageBuilder {
 public:
  static constexpr uint16_t kQuestionOffset = 12;

  // A response: QR, RD and RA set, NOERROR, with one question.
  MessageBuilder(absl::string_view qname, uint16_t qtype) {
    question_ = Concat({WireName(qname), U16(qtype), U16(1)});
  }

  MessageBuilder& Id(uint16_t id) {
    id_ = id;
    return *this;
  }
  MessageBuilder& Flags(uint16_t flags) {
    flags_ = flags;
    return *this;
  }
  MessageBuilder& Rcode(uint8_t rcode) {
    flags_ = static_cast<uint16_t>((flags_ & ~0xf) | rcode);
    return *this;
  }
  MessageBuilder& RawQuestion(Bytes question) {
    question_ = std::move(question);
    return *this;
  }
  // Overrides the counts written in the header.
  MessageBuilder& Counts(uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    forced_counts_ = {qd, an, ns, ar};
    return *this;
  }

  // A record with the owner given in wire form (use Pointer(12) for the
  // question name).
  MessageBuilder& Answer(Bytes owner, uint16_t type, uint32_t ttl, Bytes rdata,
                         uint16_t klass = 1) {
    AppendRecord(answer_, owner, type, klass, ttl, rdata);
    ++an_;
    return *this;
  }
  MessageBuilder& Authority(Bytes owner, uint16_t type, uint32_t ttl,
                            Bytes rdata) {
    AppendRecord(authority_, owner, type, 1, ttl, rdata);
    ++ns_;
    return *this;
  }
  MessageBuilder& Additional(Bytes owner, uint16_t type, uint16_t klass,
                             uint32_t ttl, Bytes rdata) {
    AppendRecord(additional_, owner, type, klass, ttl, rdata);
    ++ar_;
    return *this;
  }
  // An OPT record with the given options (code, data) pairs already encoded.
  MessageBuilder& Opt(Bytes options, uint32_t ttl_field = 0,
                      uint16_t payload = 1232) {
    return Additional({0}, 41, payload, ttl_field, std::move(options));
  }
  // Raw bytes after everything else.
  MessageBuilder& Trailing(Bytes bytes) {
    trailing_ = std::move(bytes);
    return *this;
  }

  // The offset the next answer record would start at.
  size_t NextAnswerOffset() const {
    return 12 + question_.size() + answer_.size();
  }

  Bytes Build() const {
    Bytes out = Concat({U16(id_), U16(flags_)});
    if (forced_counts_.empty()) {
      out = Concat({out, U16(1), U16(an_), U16(ns_), U16(ar_)});
    } else {
      for (uint16_t c : forced_counts_) out = Concat({out, U16(c)});
    }
    return Concat(
        {out, question_, answer_, authority_, additional_, trailing_});
  }

 private:
  static void AppendRecord(Bytes& section, const Bytes& owner, uint16_t type,
                           uint16_t klass, uint32_t ttl, const Bytes& rdata) {
    Bytes record = Concat({owner, U16(type), U16(klass), U32(ttl),
                           U16(static_cast<uint16_t>(rdata.size())), rdata});
    section.insert(section.end(), record.begin(), record.end());
  }

  uint16_t id_ = 0;
  uint16_t flags_ = 0x8180;
  Bytes question_;
  Bytes answer_, authority_, additional_, trailing_;
  uint16_t an_ = 0, ns_ = 0, ar_ = 0;
  std::vector<uint16_t> forced_counts_;
};

}  // namespace trr::dns::testing

#endif  // TRR_TESTS_TRR_DNS_MESSAGE_BUILDER_H_
