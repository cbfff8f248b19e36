#include "trr/transport/proxy.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "trr/ip_address.h"
#include "trr/public/public_status.h"

namespace trr {
namespace {

ProxyReply Failed(std::string error) {
  ProxyReply reply;
  reply.state = ProxyReply::State::kFailed;
  reply.error = std::move(error);
  return reply;
}

ProxyReply Ok(size_t consumed) {
  ProxyReply reply;
  reply.state = ProxyReply::State::kOk;
  reply.consumed = consumed;
  return reply;
}

// RFC 1928 section 6.
const char* Socks5ReplyName(uint8_t code) {
  switch (code) {
    case 1:
      return "general SOCKS server failure";
    case 2:
      return "connection not allowed by ruleset";
    case 3:
      return "network unreachable";
    case 4:
      return "host unreachable";
    case 5:
      return "connection refused";
    case 6:
      return "TTL expired";
    case 7:
      return "command not supported";
    case 8:
      return "address type not supported";
    default:
      return "unknown reply";
  }
}

}  // namespace

std::string DescribeProxy(const ProxyConfig& proxy) {
  const bool v6 = absl::StrContains(proxy.host, ':');
  const std::string where =
      absl::StrCat(v6 ? "[" : "", proxy.host, v6 ? "]" : "", ":", proxy.port);
  switch (proxy.kind) {
    case ProxyConfig::Kind::kHttpConnect:
      return absl::StrCat("http-connect ", where);
    case ProxyConfig::Kind::kSocks5:
      return absl::StrCat("socks5 ", where);
    case ProxyConfig::Kind::kNone:
      break;
  }
  return "direct";
}

bool NoProxyFor(absl::string_view no_proxies_on, absl::string_view host) {
  const std::string name = absl::AsciiStrToLower(host);
  for (absl::string_view entry : absl::StrSplit(
           no_proxies_on, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
    std::string e = absl::AsciiStrToLower(entry);
    if (absl::StartsWith(e, ".")) {
      if (absl::EndsWith(name, e)) return true;
      continue;
    }
    if (name == e || absl::EndsWith(name, absl::StrCat(".", e))) return true;
  }
  return false;
}

std::string HttpConnectRequest(absl::string_view host, uint16_t port) {
  const bool v6 = absl::StrContains(host, ':');
  const std::string authority =
      absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
  return absl::StrCat("CONNECT ", authority, " HTTP/1.1\r\nHost: ", authority,
                      "\r\n\r\n");
}

ProxyReply ParseHttpConnectReply(absl::string_view data) {
  const size_t end = data.find("\r\n\r\n");
  if (end == absl::string_view::npos) {
    if (data.size() >= kMaxProxyReply) {
      return Failed("the proxy's answer to CONNECT has no end");
    }
    // A status line that is already wrong need not be waited out.
    if (data.size() >= 5 && !absl::StartsWith(data, "HTTP/")) {
      return Failed("the proxy's answer to CONNECT is not HTTP");
    }
    return ProxyReply();
  }
  const absl::string_view status_line = data.substr(0, data.find("\r\n"));
  // "HTTP/1.1 200 Connection established"
  const std::vector<absl::string_view> parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int status = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      parts[1].size() != 3 || !absl::SimpleAtoi(parts[1], &status)) {
    return Failed("the proxy's answer to CONNECT is not HTTP");
  }
  if (status < 200 || status > 299) {
    std::string line(status_line.substr(0, 200));
    for (char& c : line) {
      if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
    }
    return Failed(absl::StrCat("the proxy refused CONNECT: ", line));
  }
  return Ok(end + 4);
}

std::vector<uint8_t> Socks5Greeting() { return {5, 1, 0}; }

ProxyReply ParseSocks5Method(absl::Span<const uint8_t> data) {
  if (data.size() < 2) return ProxyReply();
  if (data[0] != 5) return Failed("the SOCKS server does not speak SOCKS5");
  if (data[1] != 0) {
    return Failed(absl::StrCat(
        "the SOCKS server accepts no method trr offers (it chose ",
        static_cast<int>(data[1]), "; trr offers only no authentication)"));
  }
  return Ok(2);
}

std::vector<uint8_t> Socks5Connect(absl::string_view host, uint16_t port) {
  std::vector<uint8_t> out = {5, 1, 0};
  if (auto ip = IpAddress::Parse(ToStd(host))) {
    out.push_back(ip->is_v4() ? 1 : 4);
    const auto& bytes = ip->bytes();
    out.insert(out.end(), bytes.begin(),
               bytes.begin() + (ip->is_v4() ? 4 : 16));
  } else {
    // The name goes to the proxy, which resolves it (no local lookup).
    const size_t length = std::min<size_t>(host.size(), 255);
    out.push_back(3);
    out.push_back(static_cast<uint8_t>(length));
    out.insert(out.end(), host.begin(), host.begin() + length);
  }
  out.push_back(static_cast<uint8_t>(port >> 8));
  out.push_back(static_cast<uint8_t>(port));
  return out;
}

ProxyReply ParseSocks5Reply(absl::Span<const uint8_t> data) {
  if (data.size() < 5) return ProxyReply();
  if (data[0] != 5) return Failed("the SOCKS server's reply is not SOCKS5");
  if (data[1] != 0) {
    return Failed(
        absl::StrCat("the SOCKS server refused: ", Socks5ReplyName(data[1])));
  }
  size_t length = 0;  // of the bound address and port
  switch (data[3]) {
    case 1:
      length = 4 + 2;
      break;
    case 4:
      length = 16 + 2;
      break;
    case 3:
      length = 1 + data[4] + 2;
      break;
    default:
      return Failed("the SOCKS server's reply has an unknown address type");
  }
  if (data.size() < 4 + length) return ProxyReply();
  return Ok(4 + length);
}

ProxyHandshake::ProxyHandshake(const ProxyConfig& proxy, std::string host,
                               uint16_t port)
    : proxy_(proxy),
      host_(std::move(host)),
      port_(port),
      state_(proxy.kind == ProxyConfig::Kind::kHttpConnect
                 ? State::kHttpConnectReply
                 : State::kSocks5Method) {}

std::vector<uint8_t> ProxyHandshake::Start() {
  if (state_ == State::kSocks5Method) return Socks5Greeting();
  const std::string request = HttpConnectRequest(host_, port_);
  return std::vector<uint8_t>(request.begin(), request.end());
}

ProxyHandshake::Step ProxyHandshake::Fail(std::string error) {
  state_ = State::kFailed;
  in_.clear();
  return Step{state_, {}, std::move(error)};
}

ProxyHandshake::Step ProxyHandshake::Read(absl::Span<const uint8_t> bytes) {
  if (state_ == State::kTunneled || state_ == State::kFailed) {
    return Fail(absl::StrCat(DescribeProxy(proxy_),
                             ": bytes after the proxy's answer"));
  }
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  if (in_.size() > kMaxProxyReply)
    return Fail("the proxy's answer is too long");
  ProxyReply reply;
  switch (state_) {
    case State::kHttpConnectReply:
      reply = ParseHttpConnectReply(absl::string_view(
          reinterpret_cast<const char*>(in_.data()), in_.size()));
      break;
    case State::kSocks5Method:
      reply = ParseSocks5Method(in_);
      break;
    default:
      reply = ParseSocks5Reply(in_);
      break;
  }
  if (reply.state == ProxyReply::State::kNeedMore) return Step{state_, {}, {}};
  if (reply.state == ProxyReply::State::kFailed) {
    return Fail(absl::StrCat(DescribeProxy(proxy_), ": ", reply.error));
  }
  if (reply.consumed != in_.size()) {
    return Fail(absl::StrCat(DescribeProxy(proxy_),
                             ": bytes after the proxy's answer"));
  }
  in_.clear();
  if (state_ == State::kSocks5Method) {
    state_ = State::kSocks5Reply;
    return Step{state_, Socks5Connect(host_, port_), {}};
  }
  state_ = State::kTunneled;
  return Step{state_, {}, {}};
}

}  // namespace trr
