#include "trr/dns/dns_types.h"

#include "absl/strings/str_cat.h"

namespace trr::dns {

std::string RecordTypeName(uint16_t type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeNS:
      return "NS";
    case kTypeCNAME:
      return "CNAME";
    case kTypeSOA:
      return "SOA";
    case kTypeTXT:
      return "TXT";
    case kTypeAAAA:
      return "AAAA";
    case kTypeOPT:
      return "OPT";
    case kTypeSVCB:
      return "SVCB";
    case kTypeHTTPS:
      return "HTTPS";
    default:
      return absl::StrCat("TYPE", type);
  }
}

std::string RcodeName(uint16_t rcode) {
  switch (rcode) {
    case kRcodeNoError:
      return "NOERROR";
    case kRcodeFormErr:
      return "FORMERR";
    case kRcodeServFail:
      return "SERVFAIL";
    case kRcodeNxDomain:
      return "NXDOMAIN";
    case kRcodeNotImp:
      return "NOTIMP";
    case kRcodeRefused:
      return "REFUSED";
    case kRcodeBadVers:
      return "BADVERS";
    default:
      return absl::StrCat("RCODE", rcode);
  }
}

}  // namespace trr::dns
