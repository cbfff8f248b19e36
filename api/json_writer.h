// JsonWriter: builds compact JSON text as it goes, for the dump and the
// CLI's output; strings are escaped by nlohmann-json, and the text is
// always UTF-8.

#ifndef TRR_API_JSON_WRITER_H_
#define TRR_API_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace trr::api {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the key of the next value.
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  // Three decimals; null for infinities and NaN, which JSON cannot carry.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& StringArray(const std::vector<std::string>& values);

  const std::string& text() const { return out_; }

 private:
  // Writes a comma when a value already stands at this level.
  void Separate();
  std::string out_;
  // Per open container: whether it holds a value yet.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included; invalid UTF-8 becomes
// U+FFFD.
std::string JsonQuote(absl::string_view text);

}  // namespace trr::api

#endif  // TRR_API_JSON_WRITER_H_
