#include "trr/dns/wire_error.h"

#include "absl/strings/str_cat.h"

namespace trr::dns {

const char* WireErrorCodeName(WireErrorCode code) {
  switch (code) {
    case WireErrorCode::kOk:
      return "ok";
    case WireErrorCode::kTruncated:
      return "truncated";
    case WireErrorCode::kMessageTooLarge:
      return "message-too-large";
    case WireErrorCode::kNotAResponse:
      return "not-a-response";
    case WireErrorCode::kIdMismatch:
      return "id-mismatch";
    case WireErrorCode::kBadOpcode:
      return "bad-opcode";
    case WireErrorCode::kQuestionCount:
      return "question-count";
    case WireErrorCode::kQuestionMismatch:
      return "question-mismatch";
    case WireErrorCode::kBadLabel:
      return "bad-label";
    case WireErrorCode::kBadPointer:
      return "bad-pointer";
    case WireErrorCode::kTooManyPointers:
      return "too-many-pointers";
    case WireErrorCode::kNameTooLong:
      return "name-too-long";
    case WireErrorCode::kBadRdataLength:
      return "bad-rdata-length";
    case WireErrorCode::kBadRdata:
      return "bad-rdata";
    case WireErrorCode::kBadSvcParam:
      return "bad-svc-param";
    case WireErrorCode::kBadOpt:
      return "bad-opt";
    case WireErrorCode::kCnameChainTooLong:
      return "cname-chain-too-long";
    case WireErrorCode::kTrailingData:
      return "trailing-data";
    case WireErrorCode::kBadHostName:
      return "bad-host-name";
  }
  return "unknown";
}

absl::Status WireError::ToStatus() const {
  if (ok()) return absl::OkStatus();
  const std::string message = absl::StrCat("DNS ", WireErrorCodeName(code),
                                           " at offset ", offset, ": ", what);
  return code == WireErrorCode::kBadHostName
             ? absl::InvalidArgumentError(message)
             : absl::DataLossError(message);
}

}  // namespace trr::dns
