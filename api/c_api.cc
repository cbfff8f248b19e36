// The C API (include/trr/trr.h) over trr::Resolver.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "trr/resolver.h"
#include "trr/trr.h"

struct trr_resolver {
  std::unique_ptr<trr::Resolver> resolver;
};

namespace {

// trr::StatusCode and trr_status are one list, numbered alike.
static_assert(static_cast<int>(trr::StatusCode::kInternal) == TRR_INTERNAL &&
              static_cast<int>(trr::StatusCode::kNotFound) == TRR_NOT_FOUND &&
              static_cast<int>(trr::StatusCode::kFailedPrecondition) ==
                  TRR_FAILED_PRECONDITION &&
              static_cast<int>(trr::StatusCode::kResourceExhausted) ==
                  TRR_RESOURCE_EXHAUSTED);

trr_status FromStatus(const trr::Status& status) {
  return static_cast<trr_status>(status.code());
}

trr_status Report(const trr::Status& status, trr_error* error) {
  const trr_status code = FromStatus(status);
  if (error != nullptr) {
    error->code = code;
    const std::string message(status.message());
    std::snprintf(error->message, sizeof(error->message), "%s",
                  message.c_str());
  }
  return code;
}

// A C enum's value as an int, read without loading it as the enum: C may
// hold any int there, and C++ may not read one outside the enum's range.
template <typename Enum>
int RawValue(const Enum& value) {
  static_assert(sizeof(Enum) == sizeof(int));
  int raw;
  std::memcpy(&raw, &value, sizeof(raw));
  return raw;
}

// The C type as the C++ one; nullopt for a value trr.h does not define.
std::optional<trr::QueryKind> KindFor(const trr_query_type& type) {
  switch (RawValue(type)) {
    case TRR_TYPE_UNSPEC:
      return trr::QueryKind::kUnspecified;
    case TRR_TYPE_A:
      return trr::QueryKind::kIpv4;
    case TRR_TYPE_AAAA:
      return trr::QueryKind::kIpv6;
    case TRR_TYPE_HTTPS:
      return trr::QueryKind::kHttps;
    case TRR_TYPE_TXT:
      return trr::QueryKind::kTxt;
  }
  return std::nullopt;
}

// The C options as ResolveOptions, or why they cannot be.
trr::StatusOr<trr::ResolveOptions> OptionsFor(const trr_resolve_options& o) {
  trr::ResolveOptions options;
  const std::optional<trr::QueryKind> kind = KindFor(o.type);
  if (!kind) {
    return trr::InvalidArgumentError(
        absl::StrCat("unknown query type ", RawValue(o.type)));
  }
  options.type = *kind;
  if (o.partition != nullptr) options.partition = o.partition;
  options.bypass_cache = o.bypass_cache != 0;
  options.disable_trr = o.disable_trr != 0;
  if (o.trr_mode < -1 || o.trr_mode > 5) {
    return trr::InvalidArgumentError(
        absl::StrCat("trr_mode ", o.trr_mode, " is not -1 or 0-5"));
  }
  if (o.trr_mode >= 0) options.trr_mode = o.trr_mode;
  options.port = o.port;
  return options;
}

// A lookup's options from C: NULL for the defaults; a null resolver or an
// option trr.h does not define is refused. Of the caller's struct, only the
// `size` bytes it says it has are read (a program built against an older,
// smaller one gets the defaults for the fields it does not know).
trr::StatusOr<trr::ResolveOptions> LookupOptions(
    const trr_resolver* r, const trr_resolve_options* c_options) {
  if (r == nullptr) return trr::InvalidArgumentError("null resolver");
  trr_resolve_options options;
  trr_resolve_options_init(&options);
  if (c_options != nullptr) {
    if (c_options->size <
            offsetof(trr_resolve_options, type) + sizeof(c_options->type) ||
        c_options->size > sizeof(trr_resolve_options)) {
      return trr::InvalidArgumentError(absl::StrCat(
          "trr_resolve_options.size is ", c_options->size,
          ": fill the options with trr_resolve_options_init first"));
    }
    std::memcpy(&options, c_options, c_options->size);
  }
  return OptionsFor(options);
}

// One pref from C as a PrefValue, or why it cannot be.
trr::StatusOr<std::pair<std::string, trr::prefs::PrefValue>> PrefFor(
    const trr_pref& pref) {
  if (pref.name == nullptr) return trr::InvalidArgumentError("null pref name");
  switch (RawValue(pref.type)) {
    case TRR_PREF_BOOL:
      return std::make_pair(std::string(pref.name),
                            trr::prefs::PrefValue(pref.bool_value != 0));
    case TRR_PREF_INT:
      return std::make_pair(std::string(pref.name),
                            trr::prefs::PrefValue(pref.int_value));
    case TRR_PREF_STRING:
      if (pref.string_value == nullptr) {
        return trr::InvalidArgumentError(
            absl::StrCat(pref.name, ": a null string value"));
      }
      return std::make_pair(
          std::string(pref.name),
          trr::prefs::PrefValue(std::string(pref.string_value)));
  }
  return trr::InvalidArgumentError(
      absl::StrCat(pref.name, ": unknown pref type ", RawValue(pref.type)));
}

// Sets `count` prefs, all or none.
trr_status SetPrefs(trr_resolver* r, const trr_pref* prefs, size_t count,
                    trr_error* error) {
  if (r == nullptr) {
    return Report(trr::InvalidArgumentError("null resolver"), error);
  }
  if (prefs == nullptr && count > 0) {
    return Report(trr::InvalidArgumentError("null prefs"), error);
  }
  std::vector<std::pair<std::string, trr::prefs::PrefValue>> values;
  for (size_t i = 0; i < count; ++i) {
    auto value = PrefFor(prefs[i]);
    if (!value.ok()) return Report(value.status(), error);
    values.push_back(*std::move(value));
  }
  return Report(r->resolver->SetPrefs(values), error);
}

// Runs `body`; an exception (out of memory, say) becomes `on_exception`
// instead of crossing into C.
template <typename T, typename Body>
T NoThrow(T on_exception, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return on_exception;
  }
}
template <typename Body>
void NoThrow(Body&& body) noexcept {
  try {
    body();
  } catch (...) {
  }
}
// As NoThrow, for the functions that report through a trr_error.
template <typename Body>
trr_status Reported(trr_error* error, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    trr_status status = TRR_INTERNAL;
    if (error != nullptr) {
      error->code = status;
      std::snprintf(error->message, sizeof(error->message), "%s",
                    "an exception inside trr (out of memory?)");
    }
    return status;
  }
}

// The C view of HTTPS records: the structs, and the strings and arrays
// they point into, which live as long as this does.
class HttpsView {
 public:
  explicit HttpsView(const std::vector<trr::SvcbRecord>& records)
      : records_(records.size()), texts_(records.size()) {
    for (size_t i = 0; i < records.size(); ++i) Fill(records[i], i);
  }
  size_t size() const { return records_.size(); }
  const trr_https_record* data() const { return records_.data(); }

 private:
  // Each record's strings, and the pointer arrays over them.
  struct Texts {
    std::vector<std::string> alpn, ipv4, ipv6;
    std::vector<const char*> alpn_ptrs, ipv4_ptrs, ipv6_ptrs;
  };
  static void Pointers(const std::vector<std::string>& strings,
                       std::vector<const char*>& ptrs) {
    for (const std::string& s : strings) ptrs.push_back(s.c_str());
  }

  void Fill(const trr::SvcbRecord& record, size_t i) {
    Texts& t = texts_[i];
    t.alpn = record.alpn;
    t.ipv4 = trr::api::AddressTexts(record.ipv4_hints);
    t.ipv6 = trr::api::AddressTexts(record.ipv6_hints);
    Pointers(t.alpn, t.alpn_ptrs);
    Pointers(t.ipv4, t.ipv4_ptrs);
    Pointers(t.ipv6, t.ipv6_ptrs);
    trr_https_record& c = records_[i];
    c.priority = record.priority;
    c.target = record.target.c_str();
    c.mandatory_count = record.mandatory.size();
    c.mandatory = record.mandatory.data();
    c.alpn_count = t.alpn_ptrs.size();
    c.alpn = t.alpn_ptrs.data();
    c.no_default_alpn = record.no_default_alpn ? 1 : 0;
    c.has_port = record.port.has_value() ? 1 : 0;
    c.port = record.port.value_or(0);
    c.ipv4_hint_count = t.ipv4_ptrs.size();
    c.ipv4_hints = t.ipv4_ptrs.data();
    c.ipv6_hint_count = t.ipv6_ptrs.size();
    c.ipv6_hints = t.ipv6_ptrs.data();
    c.ech_length = record.ech.size();
    c.ech = record.ech.data();
    c.dohpath = record.doh_path ? record.doh_path->c_str() : nullptr;
  }

  std::vector<trr_https_record> records_;
  std::vector<Texts> texts_;
};

// Calls the C callback with a trr_result whose strings live on this frame.
void Deliver(const trr::ResolveResult& r, trr_callback callback,
             void* user_data) {
  const std::vector<std::string> addresses =
      trr::api::AddressTexts(r.addresses);
  std::vector<const char*> address_ptrs;
  for (const std::string& a : addresses) address_ptrs.push_back(a.c_str());
  std::vector<const char*> txt_ptrs;
  for (const std::string& t : r.txt) txt_ptrs.push_back(t.c_str());
  const std::string error(r.status.message());
  const std::string source(trr::ResultSourceName(r.source));
  const std::string skip(trr::SkipReasonName(r.skip_reason));
  trr_result result{};
  result.status = FromStatus(r.status);
  result.error = error.c_str();
  result.address_count = address_ptrs.size();
  result.addresses = address_ptrs.data();
  result.txt_count = txt_ptrs.size();
  result.txt = txt_ptrs.data();
  result.canonical_name = r.canonical_name.c_str();
  result.ttl_seconds = static_cast<uint32_t>(r.ttl.count());
  result.source = source.c_str();
  result.skip_reason = skip.c_str();
  result.trr_failure = TrrFailureName(r.trr_failure);
  const HttpsView https(r.https);
  result.https_count = https.size();
  result.https = https.data();
  result.native_reason = trr::NativeReasonName(r.native_reason);
  callback(&result, user_data);
}

}  // namespace

extern "C" {

const char* trr_version(void) { return TRR_VERSION_STRING; }

const char* trr_status_name(trr_status status) {
  // One list of names, the C++ API's.
  return trr::StatusCodeName(static_cast<trr::StatusCode>(RawValue(status)));
}

trr_resolver* trr_resolver_new(trr_error* error) {
  trr_resolver* out = nullptr;
  Reported(error, [&] {
    auto resolver = trr::Resolver::Create();
    if (!resolver.ok()) return Report(resolver.status(), error);
    out = new trr_resolver{std::move(*resolver)};
    return Report(trr::OkStatus(), error);
  });
  return out;
}

void trr_resolver_free(trr_resolver* resolver) {
  NoThrow([&] { delete resolver; });
}

trr_status trr_set_pref_bool(trr_resolver* r, const char* name, int value,
                             trr_error* error) {
  return Reported(error, [&] {
    trr_pref pref = {name, TRR_PREF_BOOL, value, 0, nullptr};
    return SetPrefs(r, &pref, 1, error);
  });
}

trr_status trr_set_pref_int(trr_resolver* r, const char* name, int32_t value,
                            trr_error* error) {
  return Reported(error, [&] {
    trr_pref pref = {name, TRR_PREF_INT, 0, value, nullptr};
    return SetPrefs(r, &pref, 1, error);
  });
}

trr_status trr_set_pref_string(trr_resolver* r, const char* name,
                               const char* value, trr_error* error) {
  return Reported(error, [&] {
    trr_pref pref = {name, TRR_PREF_STRING, 0, 0, value};
    return SetPrefs(r, &pref, 1, error);
  });
}

trr_status trr_set_prefs(trr_resolver* r, const trr_pref* prefs, size_t count,
                         trr_error* error) {
  return Reported(error, [&] { return SetPrefs(r, prefs, count, error); });
}

trr_status trr_load_prefs_file(trr_resolver* r, const char* path,
                               trr_error* error) {
  return Reported(error, [&] {
    if (r == nullptr || path == nullptr) {
      return Report(trr::InvalidArgumentError("null resolver or path"), error);
    }
    return Report(r->resolver->LoadPrefsFile(path).status(), error);
  });
}

void trr_resolve_options_init(trr_resolve_options* options) {
  if (options == nullptr) return;
  *options = trr_resolve_options{};
  options->size = sizeof(trr_resolve_options);
  options->type = TRR_TYPE_UNSPEC;
  options->trr_mode = -1;
}

uint64_t trr_resolve_with_options(trr_resolver* r, const char* host,
                                  const trr_resolve_options* c_options,
                                  trr_callback callback, void* user_data,
                                  trr_error* error) {
  uint64_t id = 0;
  Reported(error, [&] {
    if (callback == nullptr) {
      return Report(trr::InvalidArgumentError("null callback"), error);
    }
    auto options = LookupOptions(r, c_options);
    if (Report(options.status(), error) != TRR_OK) return TRR_INVALID_ARGUMENT;
    // C gets one path: every answer through the callback, on the network
    // thread, never inside this call.
    options->complete_async = true;
    id = r->resolver
             ->Resolve(host != nullptr ? host : "", *options,
                       [callback, user_data](const trr::ResolveResult& result) {
                         NoThrow([&] { Deliver(result, callback, user_data); });
                       })
             .id;
    return TRR_OK;
  });
  return id;
}

trr_status trr_lookup_ip_hint(trr_resolver* r, const char* host,
                              const trr_resolve_options* c_options,
                              trr_callback callback, void* user_data,
                              trr_error* error) {
  return Reported(error, [&] {
    if (callback == nullptr) {
      return Report(trr::InvalidArgumentError("null callback"), error);
    }
    auto options = LookupOptions(r, c_options);
    if (!options.ok()) return Report(options.status(), error);
    const trr::ResolveResult result =
        r->resolver->LookupIpHint(host != nullptr ? host : "", *options);
    Deliver(result, callback, user_data);
    return Report(result.status, error);
  });
}

uint64_t trr_resolve_in_partition(trr_resolver* r, const char* host,
                                  trr_query_type type, const char* partition,
                                  trr_callback callback, void* user_data) {
  trr_resolve_options options;
  trr_resolve_options_init(&options);
  std::memcpy(&options.type, &type, sizeof(type));  // may be out of range
  options.partition = partition;
  return trr_resolve_with_options(r, host, &options, callback, user_data,
                                  nullptr);
}

uint64_t trr_resolve(trr_resolver* r, const char* host, trr_query_type type,
                     trr_callback callback, void* user_data) {
  return trr_resolve_in_partition(r, host, type, nullptr, callback, user_data);
}

void trr_cancel(trr_resolver* r, uint64_t request) {
  if (r != nullptr) NoThrow([&] { r->resolver->Cancel(request); });
}

void trr_network_changed(trr_resolver* r) {
  if (r != nullptr) NoThrow([&] { r->resolver->OnNetworkChanged(); });
}

uint64_t trr_add_server_observer(trr_resolver* r, trr_server_callback callback,
                                 void* user_data) {
  if (r == nullptr || callback == nullptr) return 0;
  return NoThrow<uint64_t>(0, [&] {
    return r->resolver->AddServerObserver(
        [callback, user_data](const trr::ServerEvent& e) {
          trr_server_event event;
          event.what = e.what == trr::ServerEvent::What::kAvailability
                           ? "availability"
                           : "confirmation";
          event.uri = e.uri.c_str();
          event.state = e.state.c_str();
          event.confirmation = e.confirmation.c_str();
          callback(&event, user_data);
        });
  });
}

void trr_remove_server_observer(trr_resolver* r, uint64_t id) {
  if (r != nullptr) NoThrow([&] { r->resolver->RemoveServerObserver(id); });
}

void trr_report_connect_failure(trr_resolver* r, const char* host) {
  if (r != nullptr && host != nullptr) {
    NoThrow([&] { r->resolver->ReportConnectFailure(host); });
  }
}

trr_status trr_set_captive_portal(trr_resolver* r, trr_portal_state state) {
  if (r == nullptr) return TRR_INVALID_ARGUMENT;
  trr::CaptivePortalState portal;
  switch (RawValue(state)) {
    case TRR_PORTAL_UNKNOWN:
      portal = trr::CaptivePortalState::kUnknown;
      break;
    case TRR_PORTAL_LOCKED:
      portal = trr::CaptivePortalState::kLocked;
      break;
    case TRR_PORTAL_CLEAR:
      portal = trr::CaptivePortalState::kClear;
      break;
    default:
      return TRR_INVALID_ARGUMENT;
  }
  return NoThrow(TRR_INTERNAL, [&] {
    r->resolver->SetCaptivePortalState(portal);
    return TRR_OK;
  });
}

void trr_clear_cache(trr_resolver* r) {
  if (r != nullptr) NoThrow([&] { r->resolver->ClearCache(); });
}

char* trr_dump_json(trr_resolver* r) {
  if (r == nullptr) return nullptr;
  return NoThrow<char*>(nullptr, [&]() -> char* {
    const std::string json = trr::api::DumpJson(r->resolver->Snapshot());
    char* out = static_cast<char*>(std::malloc(json.size() + 1));
    if (out != nullptr) std::memcpy(out, json.c_str(), json.size() + 1);
    return out;
  });
}

void trr_free_string(char* string) { std::free(string); }

}  // extern "C"
