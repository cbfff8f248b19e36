#include "trr/servers/server_list.h"

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace trr {
namespace {

// A JSON value, as much of RFC 8259 as a server list needs: every value is
// parsed and checked, numbers are kept as their text.
struct Json {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  size_t at = 0;     // where it starts, counted from 0
  std::string text;  // kString (decoded), kNumber (as written)
  bool boolean = false;
  std::vector<Json> items;                           // kArray
  std::vector<std::pair<std::string, Json>> fields;  // kObject

  const Json* Field(absl::string_view name) const {
    for (const auto& [key, value] : fields) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

absl::Status ErrorAt(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("at character ", at + 1, ": ", what));
}

class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Json> ParseDocument() {
    Json value;
    if (absl::Status s = ParseValue(value, 0); !s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return ErrorAt(pos_, "text after the JSON value");
    return value;
  }

 private:
  static constexpr int kMaxDepth = 16;

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(Json& out, int depth) {
    if (depth > kMaxDepth) return ErrorAt(pos_, "nested too deeply");
    SkipSpace();
    out.at = pos_;
    if (pos_ >= text_.size()) return ErrorAt(pos_, "a value is missing");
    const char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out.type = Json::Type::kString;
      return ParseString(out.text);
    }
    if (Consume("true") || Consume("false")) {
      out.type = Json::Type::kBool;
      out.boolean = c == 't';
      return absl::OkStatus();
    }
    if (Consume("null")) return absl::OkStatus();
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return ParseNumber(out);
    }
    return ErrorAt(pos_, absl::StrCat("unexpected '", std::string(1, c), "'"));
  }

  // The members of an object or an array, after its opening character:
  // `item` reads one, then a ',' goes on and `close` ends it.
  template <typename Item>
  absl::Status ParseMembers(char close, absl::string_view what, Item item) {
    ++pos_;  // '{' or '['
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return absl::OkStatus();
    }
    for (;;) {
      if (absl::Status s = item(); !s.ok()) return s;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == close) {
        ++pos_;
        return absl::OkStatus();
      }
      return ErrorAt(pos_, absl::StrCat("expected ',' or '",
                                        std::string(1, close), "' in ", what));
    }
  }

  absl::Status ParseObject(Json& out, int depth) {
    out.type = Json::Type::kObject;
    return ParseMembers('}', "an object", [&]() -> absl::Status {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return ErrorAt(pos_, "expected a field name in quotes");
      }
      std::string key;
      if (absl::Status s = ParseString(key); !s.ok()) return s;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        return ErrorAt(pos_, "expected ':' after a field name");
      }
      ++pos_;
      Json value;
      if (absl::Status s = ParseValue(value, depth + 1); !s.ok()) return s;
      out.fields.emplace_back(std::move(key), std::move(value));
      return absl::OkStatus();
    });
  }

  absl::Status ParseArray(Json& out, int depth) {
    out.type = Json::Type::kArray;
    return ParseMembers(']', "an array", [&]() -> absl::Status {
      Json item;
      if (absl::Status s = ParseValue(item, depth + 1); !s.ok()) return s;
      out.items.push_back(std::move(item));
      return absl::OkStatus();
    });
  }

  absl::Status ParseNumber(Json& out) {
    out.type = Json::Type::kNumber;
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_.size() &&
             absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      return pos_ > from;
    };
    if (text_[pos_] == '-') ++pos_;
    if (!digits()) return ErrorAt(pos_, "a number needs digits");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return ErrorAt(pos_, "a fraction needs digits");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (!digits()) return ErrorAt(pos_, "an exponent needs digits");
    }
    out.text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  bool Hex4(uint32_t& value) {
    if (pos_ + 4 > text_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return false;
      }
      value = value << 4 | static_cast<uint32_t>(digit);
    }
    pos_ += 4;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | cp >> 18));
      out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  absl::Status ParseString(std::string& out) {
    const size_t open = pos_;
    ++pos_;  // '"'
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return ErrorAt(pos_, "a control character in a string");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      const size_t escape = pos_++;
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp))
            return ErrorAt(escape, "a \\u escape needs 4 hex digits");
          if (cp >= 0xd800 && cp < 0xdc00) {
            uint32_t low;
            if (!Consume("\\u") || !Hex4(low) || low < 0xdc00 ||
                low >= 0xe000) {
              return ErrorAt(escape, "an unpaired surrogate");
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            return ErrorAt(escape, "an unpaired surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return ErrorAt(escape, "an unknown escape");
      }
    }
    return ErrorAt(open, "a string is not closed");
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

absl::Status Describe(const Json& where, absl::string_view what) {
  return ErrorAt(where.at, what);
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
  auto doc = JsonParser(text).ParseDocument();
  if (!doc.ok()) return doc.status();
  if (doc->type != Json::Type::kObject) {
    return Describe(*doc, "the JSON form is an object with \"servers\"");
  }
  const Json* servers = doc->Field("servers");
  if (servers == nullptr || servers->type != Json::Type::kArray) {
    return Describe(*doc, "\"servers\" must be an array");
  }
  if (servers->items.size() > kMaxDohServers) {
    return Describe(*servers,
                    absl::StrCat("more than ", kMaxDohServers, " servers"));
  }
  std::vector<DohServerSpec> list;
  for (const Json& server : servers->items) {
    if (server.type != Json::Type::kObject) {
      return Describe(server, "each server is an object");
    }
    const Json* tmpl = server.Field("template");
    if (tmpl == nullptr || tmpl->type != Json::Type::kString) {
      return Describe(server, "a server needs a \"template\" string");
    }
    auto spec = ServerFrom(tmpl->text, tmpl->at);
    if (!spec.ok()) return spec.status();
    if (const Json* endpoints = server.Field("endpoints")) {
      if (endpoints->type != Json::Type::kArray) {
        return Describe(*endpoints, "\"endpoints\" must be an array");
      }
      for (const Json& endpoint : endpoints->items) {
        const Json* ips = endpoint.type == Json::Type::kObject
                              ? endpoint.Field("ips")
                              : nullptr;
        if (ips == nullptr || ips->type != Json::Type::kArray) {
          return Describe(endpoint, "an endpoint is {\"ips\": [...]}");
        }
        for (const Json& ip : ips->items) {
          auto parsed = ip.type == Json::Type::kString
                            ? IpAddress::Parse(ip.text)
                            : std::nullopt;
          if (!parsed) return Describe(ip, "not an IP address");
          if (spec->bootstrap.size() == kMaxServerAddresses) {
            return Describe(ip, absl::StrCat("more than ", kMaxServerAddresses,
                                             " addresses for one server"));
          }
          spec->bootstrap.push_back(*parsed);
        }
      }
    }
    list.push_back(*std::move(spec));
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
