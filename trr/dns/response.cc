#include "trr/dns/response.h"

#include <algorithm>
#include <cstring>

#include "trr/dns/dns_types.h"
#include "trr/dns/name.h"

namespace trr::dns {
namespace {

// Byte views use data() + offset, not &span[offset]: hardened abseil traps on
// an index equal to the size, which an empty field at the end of a message is.

// More CNAME records than this in one answer is not a real answer.
constexpr int kMaxCnameRecords = 32;

// Reads go through data(): every offset is checked against the size first,
// and the span's own per-index check is not free on this path.
inline uint16_t Get16(absl::Span<const uint8_t> m, size_t at) {
  const uint8_t* p = m.data() + at;
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t Get32(absl::Span<const uint8_t> m, size_t at) {
  const uint8_t* p = m.data() + at;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}

// RFC 2181 section 8: a TTL with the top bit set is treated as zero.
uint32_t ClampTtl(uint32_t ttl) { return ttl > 0x7fffffff ? 0 : ttl; }

WireError Fail(WireErrorCode code, size_t offset, const char* what) {
  return WireError{code, offset, what};
}

struct Record {
  size_t owner = 0;
  // Where the owner's first label is: after its pointer, when the owner is
  // just a pointer (as it nearly always is), else the owner itself.
  size_t owner_labels = 0;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  size_t rdata = 0;
  size_t rdlength = 0;
};

struct Cname {
  size_t owner;
  size_t target;
  uint32_t ttl;
};

enum class Section : uint8_t { kAnswer, kAuthority, kAdditional };

// Reads the record at `pos` and advances `pos` past it. `question_length` is
// the wire length of the (checked) question name at offset 12.
WireError ReadRecord(absl::Span<const uint8_t> m, size_t& pos, Record& rr,
                     size_t question_length) {
  rr.owner = pos;
  rr.owner_labels = pos;
  const uint8_t* p = m.data() + pos;
  if (pos + 2 <= m.size() && p[0] == 0xc0 && p[1] == kHeaderSize) {
    // A pointer to the question name, which is checked already.
    rr.owner_labels = kHeaderSize;
    pos += 2;
  } else {
    NameInfo name;
    if (WireError error = ReadName(m, pos, name, kHeaderSize, question_length);
        !error.ok()) {
      return error;
    }
    pos = name.end;
  }
  if (pos + 10 > m.size()) {
    return Fail(WireErrorCode::kTruncated, pos,
                "record header runs past the end");
  }
  rr.type = Get16(m, pos);
  rr.klass = Get16(m, pos + 2);
  rr.ttl = ClampTtl(Get32(m, pos + 4));
  rr.rdlength = Get16(m, pos + 8);
  rr.rdata = pos + 10;
  if (rr.rdata + rr.rdlength > m.size()) {
    return Fail(WireErrorCode::kTruncated, rr.rdata, "rdata runs past the end");
  }
  pos = rr.rdata + rr.rdlength;
  return WireError();
}

// A name that must fill [at, end) exactly (CNAME, NS targets).
WireError CheckNameFills(absl::Span<const uint8_t> m, size_t at, size_t end) {
  NameInfo name;
  if (WireError error = ReadName(m.first(end), at, name); !error.ok()) {
    return error;
  }
  if (name.end != end) {
    return Fail(WireErrorCode::kBadRdataLength, at,
                "name does not fill the rdata");
  }
  return WireError();
}

// SOA rdata: MNAME, RNAME, then five 32-bit fields (RFC 1035 section 3.3.13).
WireError CheckSoa(absl::Span<const uint8_t> m, const Record& rr,
                   uint32_t* minimum) {
  const size_t end = rr.rdata + rr.rdlength;
  NameInfo name;
  if (WireError error = ReadName(m.first(end), rr.rdata, name); !error.ok()) {
    return error;
  }
  if (WireError error = ReadName(m.first(end), name.end, name); !error.ok()) {
    return error;
  }
  if (name.end + 20 != end) {
    return Fail(WireErrorCode::kBadRdataLength, rr.rdata,
                "SOA rdata is not two names and 20 bytes");
  }
  *minimum = Get32(m, name.end + 16);
  return WireError();
}

// TXT rdata: one or more <length><bytes> strings filling it exactly.
WireError CheckTxt(absl::Span<const uint8_t> m, const Record& rr,
                   std::string* joined) {
  const size_t end = rr.rdata + rr.rdlength;
  if (rr.rdlength == 0) {
    return Fail(WireErrorCode::kBadRdataLength, rr.rdata, "empty TXT rdata");
  }
  for (size_t pos = rr.rdata; pos < end;) {
    const size_t length = m[pos];
    if (pos + 1 + length > end) {
      return Fail(WireErrorCode::kBadRdataLength, pos,
                  "TXT string runs past the rdata");
    }
    if (joined != nullptr) {
      joined->append(reinterpret_cast<const char*>(m.data() + pos + 1), length);
    }
    pos += 1 + length;
  }
  return WireError();
}

// The OPT pseudo-record (RFC 6891 section 6.1) and its options.
WireError ReadOpt(absl::Span<const uint8_t> m, const Record& rr,
                  Response& out) {
  if (m[rr.owner] != 0) {
    return Fail(WireErrorCode::kBadOpt, rr.owner, "OPT owner is not the root");
  }
  if (out.has_edns) {
    return Fail(WireErrorCode::kBadOpt, rr.owner, "more than one OPT record");
  }
  out.has_edns = true;
  out.edns_udp_payload_size = rr.klass;
  // The TTL field holds the upper 8 bits of the RCODE; rr.ttl was clamped,
  // so read it again.
  const uint32_t ttl_field = Get32(m, rr.rdata - 6);
  out.rcode = static_cast<uint16_t>(((ttl_field >> 24) << 4) | out.rcode);
  const size_t end = rr.rdata + rr.rdlength;
  for (size_t pos = rr.rdata; pos < end;) {
    if (pos + 4 > end) {
      return Fail(WireErrorCode::kBadOpt, pos,
                  "EDNS option header runs past the rdata");
    }
    const uint16_t code = Get16(m, pos);
    const size_t length = Get16(m, pos + 2);
    if (pos + 4 + length > end) {
      return Fail(WireErrorCode::kBadOpt, pos,
                  "EDNS option runs past the rdata");
    }
    if (code == kOptionExtendedError) {
      if (length < 2) {
        return Fail(WireErrorCode::kBadOpt, pos,
                    "Extended DNS Error shorter than its info code");
      }
      if (!out.extended_error) {
        out.extended_error = ExtendedError{
            Get16(m, pos + 4),
            absl::string_view(reinterpret_cast<const char*>(m.data() + pos + 6),
                              length - 2)};
      }
    }
    pos += 4 + length;
  }
  return WireError();
}

class ResponseParser {
 public:
  ResponseParser(absl::Span<const uint8_t> m, const Question& q, Response& out)
      : m_(m), question_(q), out_(out) {}

  WireError Parse();

 private:
  WireError ParseHeaderAndQuestion(size_t& pos);
  WireError ParseSection(Section section, uint16_t count, size_t& pos);
  // Checks one record's rdata, and keeps what the answer needs from it.
  WireError TakeRecord(Section section, const Record& rr);
  // Keeps the record if it is of the question's type and owned by `name_`.
  WireError Collect(const Record& rr);
  WireError FollowCnameChain();
  WireError CollectAgain();
  // Fills out_.target_addresses from the additional section.
  void CollectTargetAddresses();
  void Reset();

  absl::Span<const uint8_t> m_;
  const Question& question_;
  Response& out_;
  size_t question_length_ = 0;
  size_t answer_start_ = 0;
  uint16_t answer_count_ = 0;
  size_t additional_start_ = 0;
  // The name records are collected for: the question, then the chain's end.
  size_t name_ = kHeaderSize;
  uint32_t min_ttl_ = UINT32_MAX;
  bool collected_any_ = false;
  Cname cnames_[kMaxCnameRecords];
  int cname_count_ = 0;
};

void ResponseParser::Reset() {
  out_.message = m_;
  out_.id = 0;
  out_.authoritative = out_.truncated = out_.recursion_desired = false;
  out_.recursion_available = out_.authentic_data = false;
  out_.checking_disabled = false;
  out_.rcode = 0;
  out_.addresses.clear();
  out_.ttl = 0;
  out_.cname_chain_length = 0;
  out_.ends_at_cname = false;
  out_.negative_ttl.reset();
  out_.has_edns = false;
  out_.edns_udp_payload_size = 0;
  out_.extended_error.reset();
  out_.svcb.clear();
  out_.ignored_svcb_records = 0;
  out_.txt.clear();
  out_.ns.clear();
  out_.target_addresses.clear();
  out_.canonical_name_offset = kHeaderSize;
}

WireError ResponseParser::ParseHeaderAndQuestion(size_t& pos) {
  if (m_.size() > kMaxMessageSize) {
    return Fail(WireErrorCode::kMessageTooLarge, kMaxMessageSize,
                "message over 65535 bytes");
  }
  if (m_.size() < kHeaderSize) {
    return Fail(WireErrorCode::kTruncated, m_.size(),
                "message shorter than the 12-byte header");
  }
  out_.id = Get16(m_, 0);
  if (out_.id != question_.id) {
    return Fail(WireErrorCode::kIdMismatch, 0, "ID differs from the query's");
  }
  const uint16_t flags = Get16(m_, 2);
  if ((flags & 0x8000) == 0) {
    return Fail(WireErrorCode::kNotAResponse, 2, "QR bit is clear");
  }
  if (((flags >> 11) & 0xf) != 0) {
    return Fail(WireErrorCode::kBadOpcode, 2, "opcode is not QUERY");
  }
  out_.authoritative = flags & 0x0400;
  out_.truncated = flags & 0x0200;
  out_.recursion_desired = flags & 0x0100;
  out_.recursion_available = flags & 0x0080;
  out_.authentic_data = flags & 0x0020;
  out_.checking_disabled = flags & 0x0010;
  out_.rcode = flags & 0xf;
  if (Get16(m_, 4) != 1) {
    return Fail(WireErrorCode::kQuestionCount, 4, "QDCOUNT is not 1");
  }

  pos = kHeaderSize;
  // Fast path: the server echoed the question exactly as it was sent, so it
  // is both well formed and a match.
  const absl::Span<const uint8_t> wire = question_.wire;
  if (wire.size() > 4 && m_.size() >= kHeaderSize + wire.size() &&
      std::memcmp(m_.data() + kHeaderSize, wire.data(), wire.size()) == 0) {
    question_length_ = wire.size() - 4;
    pos = kHeaderSize + wire.size();
    return WireError();
  }
  NameInfo name;
  if (WireError error = ReadName(m_, pos, name); !error.ok()) return error;
  if (name.end + 4 > m_.size()) {
    return Fail(WireErrorCode::kTruncated, name.end,
                "question type and class run past the end");
  }
  question_length_ = name.wire_length;
  if (!NameEqualsText(m_, pos, question_.name)) {
    return Fail(WireErrorCode::kQuestionMismatch, pos,
                "question name differs from the query's");
  }
  if (Get16(m_, name.end) != question_.type) {
    return Fail(WireErrorCode::kQuestionMismatch, name.end,
                "question type differs from the query's");
  }
  if (Get16(m_, name.end + 2) != kClassIN) {
    return Fail(WireErrorCode::kQuestionMismatch, name.end + 2,
                "question class is not IN");
  }
  pos = name.end + 4;
  return WireError();
}

WireError ResponseParser::Collect(const Record& rr) {
  if (rr.type != question_.type || rr.klass != kClassIN ||
      (rr.owner_labels != name_ && !NamesEqual(m_, rr.owner, name_))) {
    return WireError();
  }
  switch (rr.type) {
    case kTypeA:
    case kTypeAAAA:
      out_.addresses.push_back(
          rr.type == kTypeA ? IpAddress::FromV4Bytes(m_.data() + rr.rdata)
                            : IpAddress::FromV6Bytes(m_.data() + rr.rdata));
      break;
    case kTypeHTTPS:
    case kTypeSVCB: {
      SvcbParse usable;
      out_.svcb.emplace_back();
      if (WireError error = ParseSvcbRdata(m_, rr.rdata, rr.rdlength,
                                           out_.svcb.back(), usable);
          !error.ok()) {
        return error;
      }
      if (usable != SvcbParse::kUsable) {
        out_.svcb.pop_back();
        ++out_.ignored_svcb_records;
        return WireError();
      }
      break;
    }
    case kTypeTXT:
      out_.txt.emplace_back();
      CheckTxt(m_, rr, &out_.txt.back());
      break;
    case kTypeNS:
      out_.ns.push_back(NameText(m_, rr.rdata));
      break;
    default:
      break;
  }
  collected_any_ = true;
  min_ttl_ = std::min(min_ttl_, rr.ttl);
  return WireError();
}

WireError ResponseParser::TakeRecord(Section section, const Record& rr) {
  if (rr.type == kTypeOPT) {
    if (section != Section::kAdditional) {
      return Fail(WireErrorCode::kBadOpt, rr.owner,
                  "OPT record outside the additional section");
    }
    return ReadOpt(m_, rr, out_);
  }
  switch (rr.type) {
    case kTypeA:
      if (rr.rdlength != 4) {
        return Fail(WireErrorCode::kBadRdataLength, rr.rdata - 2,
                    "A rdata is not 4 bytes");
      }
      break;
    case kTypeAAAA:
      if (rr.rdlength != 16) {
        return Fail(WireErrorCode::kBadRdataLength, rr.rdata - 2,
                    "AAAA rdata is not 16 bytes");
      }
      break;
    case kTypeCNAME:
    case kTypeNS:
      if (WireError error =
              CheckNameFills(m_, rr.rdata, rr.rdata + rr.rdlength);
          !error.ok()) {
        return error;
      }
      break;
    case kTypeSOA: {
      uint32_t minimum = 0;
      if (WireError error = CheckSoa(m_, rr, &minimum); !error.ok()) {
        return error;
      }
      if (section == Section::kAuthority && !out_.negative_ttl) {
        out_.negative_ttl = std::min(rr.ttl, ClampTtl(minimum));
      }
      break;
    }
    case kTypeTXT:
      if (WireError error = CheckTxt(m_, rr, nullptr); !error.ok()) {
        return error;
      }
      break;
    case kTypeHTTPS:
    case kTypeSVCB:
      // Records that Collect() parses now need no second look; the rest
      // (other names or types, or names a CNAME chain may lead to) are
      // checked here.
      if (rr.type != question_.type || !NamesEqual(m_, rr.owner, name_)) {
        SvcbRecord scratch;
        SvcbParse usable;
        if (WireError error =
                ParseSvcbRdata(m_, rr.rdata, rr.rdlength, scratch, usable);
            !error.ok()) {
          return error;
        }
      }
      break;
    default:
      break;
  }
  if (section != Section::kAnswer) return WireError();
  if (rr.type == kTypeCNAME && rr.klass == kClassIN) {
    if (cname_count_ == kMaxCnameRecords) {
      return Fail(WireErrorCode::kCnameChainTooLong, rr.owner,
                  "more CNAME records than any chain needs");
    }
    cnames_[cname_count_++] = Cname{rr.owner, rr.rdata, rr.ttl};
    return WireError();
  }
  return Collect(rr);
}

WireError ResponseParser::ParseSection(Section section, uint16_t count,
                                       size_t& pos) {
  for (uint16_t i = 0; i < count; ++i) {
    Record rr;
    if (WireError error = ReadRecord(m_, pos, rr, question_length_);
        !error.ok()) {
      return error;
    }
    if (WireError error = TakeRecord(section, rr); !error.ok()) return error;
  }
  return WireError();
}

WireError ResponseParser::FollowCnameChain() {
  size_t name = kHeaderSize;
  uint32_t chain_ttl = UINT32_MAX;
  int length = 0;
  while (true) {
    const Cname* next = nullptr;
    for (int i = 0; i < cname_count_; ++i) {
      if (NamesEqual(m_, cnames_[i].owner, name)) {
        next = &cnames_[i];
        break;
      }
    }
    if (next == nullptr) break;
    if (++length > kMaxCnameChain) {
      return Fail(WireErrorCode::kCnameChainTooLong, next->owner,
                  "CNAME chain too long or looping");
    }
    chain_ttl = std::min(chain_ttl, next->ttl);
    name = next->target;
  }
  out_.cname_chain_length = length;
  out_.canonical_name_offset = name;
  if (length > 0) {
    min_ttl_ = chain_ttl;
    name_ = name;
    return CollectAgain();
  }
  return WireError();
}

WireError ResponseParser::CollectAgain() {
  out_.addresses.clear();
  out_.svcb.clear();
  out_.ignored_svcb_records = 0;
  out_.txt.clear();
  out_.ns.clear();
  collected_any_ = false;
  size_t pos = answer_start_;
  for (uint16_t i = 0; i < answer_count_; ++i) {
    Record rr;
    ReadRecord(m_, pos, rr, question_length_);  // checked in the first pass
    if (WireError error = Collect(rr); !error.ok()) return error;
  }
  return WireError();
}

void ResponseParser::CollectTargetAddresses() {
  size_t pos = additional_start_;
  const uint16_t count = Get16(m_, 10);
  for (uint16_t i = 0; i < count; ++i) {
    Record rr;
    ReadRecord(m_, pos, rr, question_length_);  // checked in the first pass
    if ((rr.type != kTypeA && rr.type != kTypeAAAA) || rr.klass != kClassIN) {
      continue;
    }
    for (const SvcbRecord& svcb : out_.svcb) {
      // An AliasMode record's "." means no service: nothing to address.
      const bool owner = svcb.target == ".";
      if (owner && svcb.is_alias()) continue;
      if (owner ? !NamesEqual(m_, rr.owner, name_)
                : !NameEqualsText(m_, rr.owner, svcb.target)) {
        continue;
      }
      if (out_.target_addresses.size() ==
          static_cast<size_t>(kMaxTargetAddresses)) {
        return;
      }
      TargetAddress& t = out_.target_addresses.emplace_back();
      t.name = owner ? out_.CanonicalName() : svcb.target;
      t.address = rr.type == kTypeA
                      ? IpAddress::FromV4Bytes(m_.data() + rr.rdata)
                      : IpAddress::FromV6Bytes(m_.data() + rr.rdata);
      t.ttl = rr.ttl;
      break;
    }
  }
}

WireError ResponseParser::Parse() {
  Reset();
  size_t pos = 0;
  if (WireError error = ParseHeaderAndQuestion(pos); !error.ok()) {
    return error;
  }
  answer_start_ = pos;
  answer_count_ = Get16(m_, 6);
  if (WireError error = ParseSection(Section::kAnswer, answer_count_, pos);
      !error.ok()) {
    return error;
  }
  if (WireError error = ParseSection(Section::kAuthority, Get16(m_, 8), pos);
      !error.ok()) {
    return error;
  }
  additional_start_ = pos;
  if (WireError error = ParseSection(Section::kAdditional, Get16(m_, 10), pos);
      !error.ok()) {
    return error;
  }
  if (pos != m_.size()) {
    return Fail(WireErrorCode::kTrailingData, pos,
                "bytes after the last record");
  }
  if (cname_count_ > 0) {
    if (WireError error = FollowCnameChain(); !error.ok()) return error;
  }
  if ((question_.type == kTypeHTTPS || question_.type == kTypeSVCB) &&
      !out_.svcb.empty()) {
    CollectTargetAddresses();
  }
  out_.ends_at_cname = out_.cname_chain_length > 0 && !collected_any_;
  out_.ttl = min_ttl_ == UINT32_MAX ||
                     (!collected_any_ && out_.cname_chain_length == 0)
                 ? 0
                 : min_ttl_;
  return WireError();
}

}  // namespace

absl::Span<const uint8_t> QuestionSection(absl::Span<const uint8_t> query) {
  size_t end = kHeaderSize;
  while (end < query.size() && query[end] != 0) end += 1 + query[end];
  end += 5;  // the root label, QTYPE and QCLASS
  if (end > query.size()) return {};
  return query.subspan(kHeaderSize, end - kHeaderSize);
}

std::string Response::CanonicalName() const {
  return NameText(message, canonical_name_offset);
}

WireError ParseResponse(absl::Span<const uint8_t> message,
                        const Question& question, Response& out) {
  return ResponseParser(message, question, out).Parse();
}

}  // namespace trr::dns
