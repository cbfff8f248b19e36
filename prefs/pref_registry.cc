#include "prefs/pref_registry.h"

#include "absl/strings/str_cat.h"

namespace trr::prefs {
namespace {

constexpr int32_t kMaxInt = std::numeric_limits<int32_t>::max();

PrefSpec Bool(const char* name, bool value, const char* doc,
              PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), 0, 0, origin, doc};
}

PrefSpec Int(const char* name, int32_t value, int32_t min, int32_t max,
             const char* doc, PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), min, max, origin, doc};
}

PrefSpec String(const char* name, const char* value, const char* doc,
                PrefOrigin origin = PrefOrigin::kFirefox) {
  return PrefSpec{name, PrefValue(value), 0, 0, origin, doc};
}

std::vector<PrefSpec> DefaultSpecs() {
  constexpr int32_t kMinInt = std::numeric_limits<int32_t>::min();
  constexpr PrefOrigin kFirefox = PrefOrigin::kFirefox;
  constexpr PrefOrigin kTrr = PrefOrigin::kTrr;
  (void)kTrr;
  (void)kFirefox;
  (void)kMinInt;
  return {
#define TRR_PREF_BOOL(key, name, value, origin, doc) \
  Bool(name, value, doc, origin),
#define TRR_PREF_INT(key, name, value, min, max, origin, doc) \
  Int(name, value, min, max, doc, origin),
#define TRR_PREF_STRING(key, name, value, origin, doc) \
  String(name, value, doc, origin),
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING
  };
}

std::vector<PrefAlias> DefaultAliases() {
  return {
      {"network.trr.bootstrapAddress", "network.trr.bootstrapAddr"},
      {"network.trr.blacklist-duration",
       "network.trr.temp_blocklist_duration_sec"},
      {"network.trr.request-timeout", "network.trr.request_timeout_ms"},
  };
}

}  // namespace

const PrefRegistry& PrefRegistry::Default() {
  static const PrefRegistry* registry =
      new PrefRegistry(DefaultSpecs(), DefaultAliases());
  return *registry;
}

PrefRegistry::PrefRegistry(std::vector<PrefSpec> specs,
                           std::vector<PrefAlias> aliases)
    : specs_(std::move(specs)), aliases_(std::move(aliases)) {
  for (size_t i = 0; i < specs_.size(); ++i) by_name_[specs_[i].name] = i;
  for (size_t i = 0; i < aliases_.size(); ++i) {
    by_alias_[aliases_[i].old_name] = i;
  }
}

const PrefSpec* PrefRegistry::Find(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &specs_[it->second];
}

const PrefAlias* PrefRegistry::FindAlias(absl::string_view old_name) const {
  auto it = by_alias_.find(old_name);
  return it == by_alias_.end() ? nullptr : &aliases_[it->second];
}

std::string PrefRegistry::MarkdownTable(PrefOrigin origin) const {
  std::string out =
      "| pref | type | default | range | meaning |\n|---|---|---|---|---|\n";
  for (const PrefSpec& spec : specs_) {
    if (spec.origin != origin) continue;
    std::string range;
    if (spec.type() == PrefType::kInt) {
      if (spec.min == std::numeric_limits<int32_t>::min() &&
          spec.max == kMaxInt) {
        range = "any";
      } else if (spec.max == kMaxInt) {
        range = absl::StrCat(spec.min, " and up");
      } else {
        range = absl::StrCat(spec.min, "..", spec.max);
      }
    }
    absl::StrAppend(&out, "| `", spec.name, "` | ", PrefTypeName(spec.type()),
                    " | `", spec.default_value.ToLiteral(), "` | ", range,
                    " | ", spec.doc, " |\n");
  }
  return out;
}

absl::Status PrefRegistry::Validate(const PrefSpec& spec,
                                    const PrefValue& value) {
  if (value.type() != spec.type()) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " is a ", PrefTypeName(spec.type()), " pref; got ",
        PrefTypeName(value.type()), " ", value.ToLiteral()));
  }
  if (value.is_int() &&
      (value.int_value() < spec.min || value.int_value() > spec.max)) {
    return absl::OutOfRangeError(absl::StrCat(spec.name, " must be within ",
                                              spec.min, "..", spec.max,
                                              "; got ", value.int_value()));
  }
  if (value.is_string() &&
      value.string_value().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.name, " must not contain NUL characters"));
  }
  // These go out as HTTP headers: a line break would start another (over
  // HTTP/1.1, a header of the pref file's choosing). The resolver checks
  // their whole shape too (pref_checks::HeaderValue).
  const absl::string_view name = spec.name;
  const bool header = name == "network.trr.credentials" ||
                      name == "general.useragent.override" ||
                      name == "intl.accept_languages";
  if (value.is_string() && header &&
      value.string_value().find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " must not contain line breaks (it is an HTTP header)"));
  }
  return absl::OkStatus();
}

}  // namespace trr::prefs
