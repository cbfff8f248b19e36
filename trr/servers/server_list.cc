#include "trr/servers/server_list.h"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace trr {
namespace {

absl::Status ErrorAt(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("at character ", at + 1, ": ", what));
}

using Json = nlohmann::json;

// Deeper than a server list ever is; refused before it is built.
constexpr int kMaxJsonDepth = 16;
struct TooDeep {};

// nlohmann-json's parse error as "at character N: what", without the
// library's prefix and without echoing the text it last read.
absl::Status ParseErrorOf(const Json::parse_error& e) {
  absl::string_view what = e.what();
  if (size_t column = what.find("column "); column != what.npos) {
    if (size_t colon = what.find(": ", column); colon != what.npos) {
      what.remove_prefix(colon + 2);
    }
  }
  std::string text(what);
  if (size_t last = text.find("; last read: '"); last != text.npos) {
    const size_t expected = text.rfind("'; expected");
    text.erase(last, expected == text.npos || expected < last
                         ? text.npos
                         : expected + 1 - last);
  }
  return ErrorAt(e.byte == 0 ? 0 : e.byte - 1, text);
}

// The path of a value in the document, as `servers[1].endpoints[0]`.
absl::Status ErrorIn(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::StatusOr<DohServerSpec> ServerFrom(absl::string_view uri_text,
                                         size_t at) {
  auto uri = ParseDohUri(uri_text);
  if (!uri.ok()) return ErrorAt(at, uri.status().message());
  DohServerSpec spec;
  spec.template_text = std::string(uri_text);
  spec.uri = *std::move(uri);
  return spec;
}

absl::StatusOr<std::vector<DohServerSpec>> FromJson(absl::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end(),
                      [](int depth, Json::parse_event_t, Json&) {
                        if (depth > kMaxJsonDepth) throw TooDeep{};
                        return true;
                      });
  } catch (const Json::parse_error& e) {
    return ParseErrorOf(e);
  } catch (const Json::exception& e) {
    // A number past a double's range (out_of_range.406), which the JSON
    // grammar allows: the message names the number, never a template.
    absl::string_view what = e.what();
    if (size_t end = what.find("] "); end != what.npos) {
      what.remove_prefix(end + 2);
    }
    return absl::InvalidArgumentError(what);
  } catch (const TooDeep&) {
    return absl::InvalidArgumentError(
        absl::StrCat("nested too deeply (more than ", kMaxJsonDepth, ")"));
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "the JSON form is an object with \"servers\"");
  }
  const auto servers = doc.find("servers");
  if (servers == doc.end() || !servers->is_array()) {
    return absl::InvalidArgumentError("\"servers\" must be an array");
  }
  if (servers->size() > kMaxDohServers) {
    return ErrorIn("servers",
                   absl::StrCat("more than ", kMaxDohServers, " servers"));
  }
  std::vector<DohServerSpec> list;
  for (size_t i = 0; i < servers->size(); ++i) {
    const Json& server = (*servers)[i];
    const std::string where = absl::StrCat("servers[", i, "]");
    const auto tmpl =
        server.is_object() ? server.find("template") : server.end();
    if (!server.is_object() || tmpl == server.end() || !tmpl->is_string()) {
      return ErrorIn(where, "a server is an object with a \"template\" string");
    }
    const std::string& uri_text = tmpl->get_ref<const std::string&>();
    auto uri = ParseDohUri(uri_text);
    if (!uri.ok()) {
      return ErrorIn(absl::StrCat(where, ".template"), uri.status().message());
    }
    DohServerSpec spec;
    spec.template_text = uri_text;
    spec.uri = *std::move(uri);
    if (const auto endpoints = server.find("endpoints");
        endpoints != server.end()) {
      if (!endpoints->is_array()) {
        return ErrorIn(absl::StrCat(where, ".endpoints"), "must be an array");
      }
      for (size_t e = 0; e < endpoints->size(); ++e) {
        const Json& endpoint = (*endpoints)[e];
        const std::string at = absl::StrCat(where, ".endpoints[", e, "]");
        const auto ips =
            endpoint.is_object() ? endpoint.find("ips") : endpoint.end();
        if (!endpoint.is_object() || ips == endpoint.end() ||
            !ips->is_array()) {
          return ErrorIn(at, "an endpoint is {\"ips\": [...]}");
        }
        for (size_t k = 0; k < ips->size(); ++k) {
          const Json& ip = (*ips)[k];
          auto parsed = ip.is_string()
                            ? IpAddress::Parse(ip.get_ref<const std::string&>())
                            : std::nullopt;
          const std::string ip_at = absl::StrCat(at, ".ips[", k, "]");
          if (!parsed) return ErrorIn(ip_at, "not an IP address");
          if (spec.bootstrap.size() == kMaxServerAddresses) {
            return ErrorIn(ip_at,
                           absl::StrCat("more than ", kMaxServerAddresses,
                                        " addresses for one server"));
          }
          spec.bootstrap.push_back(*parsed);
        }
      }
    }
    list.push_back(std::move(spec));
  }
  return list;
}

}  // namespace

absl::StatusOr<std::vector<DohServerSpec>> ParseServerList(
    absl::string_view text) {
  size_t first = 0;
  while (first < text.size() &&
         absl::ascii_isspace(static_cast<unsigned char>(text[first]))) {
    ++first;
  }
  if (first < text.size() && text[first] == '{') return FromJson(text);
  std::vector<DohServerSpec> list;
  size_t pos = first;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() &&
           !absl::ascii_isspace(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    if (list.size() == kMaxDohServers) {
      return ErrorAt(pos,
                     absl::StrCat("more than ", kMaxDohServers, " servers"));
    }
    auto spec = ServerFrom(text.substr(pos, end - pos), pos);
    if (!spec.ok()) return spec.status();
    list.push_back(*std::move(spec));
    pos = end;
    while (pos < text.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(text[pos]))) {
      ++pos;
    }
  }
  return list;
}

}  // namespace trr
