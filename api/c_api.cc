// The C API (include/trr/trr.h) over trr::Resolver.

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dump.h"
#include "trr/resolver.h"
#include "trr/trr.h"

struct trr_resolver {
  std::unique_ptr<trr::Resolver> resolver;
};

namespace {

trr_status FromStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return TRR_OK;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return TRR_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return TRR_NOT_FOUND;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return TRR_UNAVAILABLE;
    case absl::StatusCode::kCancelled:
      return TRR_CANCELLED;
    case absl::StatusCode::kPermissionDenied:
      return TRR_PERMISSION_DENIED;
    case absl::StatusCode::kFailedPrecondition:
      return TRR_FAILED_PRECONDITION;
    default:
      return TRR_INTERNAL;
  }
}

trr_status Report(const absl::Status& status, trr_error* error) {
  const trr_status code = FromStatus(status);
  if (error != nullptr) {
    error->code = code;
    const std::string message(status.message());
    std::snprintf(error->message, sizeof(error->message), "%s",
                  message.c_str());
  }
  return code;
}

trr::QueryKind KindFor(trr_query_type type) {
  switch (type) {
    case TRR_TYPE_A:
      return trr::QueryKind::kIpv4;
    case TRR_TYPE_AAAA:
      return trr::QueryKind::kIpv6;
    case TRR_TYPE_HTTPS:
      return trr::QueryKind::kHttps;
    case TRR_TYPE_TXT:
      return trr::QueryKind::kTxt;
    default:
      return trr::QueryKind::kUnspecified;
  }
}

trr_status SetPref(trr_resolver* r, const char* name,
                   trr::prefs::PrefValue value, trr_error* error) {
  if (r == nullptr || name == nullptr) {
    return Report(absl::InvalidArgumentError("null resolver or pref name"),
                  error);
  }
  return Report(r->resolver->SetPrefs({{name, std::move(value)}}), error);
}

// Calls the C callback with a trr_result whose strings live on this frame.
void Deliver(const trr::ResolveResult& r, trr_callback callback,
             void* user_data) {
  std::vector<std::string> addresses;
  for (const trr::IpAddress& ip : r.addresses)
    addresses.push_back(ip.ToString());
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
  result.ttl_seconds = static_cast<uint32_t>(absl::ToInt64Seconds(r.ttl));
  result.source = source.c_str();
  result.skip_reason = skip.c_str();
  result.trr_failure = TrrFailureName(r.trr_failure);
  callback(&result, user_data);
}

}  // namespace

extern "C" {

const char* trr_version(void) { return "0.1.0"; }

const char* trr_status_name(trr_status status) {
  switch (status) {
    case TRR_OK:
      return "OK";
    case TRR_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case TRR_NOT_FOUND:
      return "NOT_FOUND";
    case TRR_UNAVAILABLE:
      return "UNAVAILABLE";
    case TRR_CANCELLED:
      return "CANCELLED";
    case TRR_PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case TRR_FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case TRR_INTERNAL:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

trr_resolver* trr_resolver_new(trr_error* error) {
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) {
    Report(resolver.status(), error);
    return nullptr;
  }
  Report(absl::OkStatus(), error);
  return new trr_resolver{std::move(*resolver)};
}

void trr_resolver_free(trr_resolver* resolver) { delete resolver; }

trr_status trr_set_pref_bool(trr_resolver* r, const char* name, int value,
                             trr_error* error) {
  return SetPref(r, name, trr::prefs::PrefValue(value != 0), error);
}

trr_status trr_set_pref_int(trr_resolver* r, const char* name, int32_t value,
                            trr_error* error) {
  return SetPref(r, name, trr::prefs::PrefValue(value), error);
}

trr_status trr_set_pref_string(trr_resolver* r, const char* name,
                               const char* value, trr_error* error) {
  if (value == nullptr) {
    return Report(absl::InvalidArgumentError("null pref value"), error);
  }
  return SetPref(r, name, trr::prefs::PrefValue(std::string(value)), error);
}

trr_status trr_load_prefs_file(trr_resolver* r, const char* path,
                               trr_error* error) {
  if (r == nullptr || path == nullptr) {
    return Report(absl::InvalidArgumentError("null resolver or path"), error);
  }
  return Report(r->resolver->LoadPrefsFile(path).status(), error);
}

uint64_t trr_resolve_in_partition(trr_resolver* r, const char* host,
                                  trr_query_type type, const char* partition,
                                  trr_callback callback, void* user_data) {
  trr::ResolveOptions options;
  options.type = KindFor(type);
  if (partition != nullptr) options.partition = partition;
  return r->resolver->Resolve(
      host != nullptr ? host : "", options,
      [callback, user_data](const trr::ResolveResult& result) {
        if (callback != nullptr) Deliver(result, callback, user_data);
      });
}

uint64_t trr_resolve(trr_resolver* r, const char* host, trr_query_type type,
                     trr_callback callback, void* user_data) {
  return trr_resolve_in_partition(r, host, type, nullptr, callback, user_data);
}

void trr_cancel(trr_resolver* r, uint64_t request) {
  r->resolver->Cancel(request);
}
void trr_network_changed(trr_resolver* r) { r->resolver->OnNetworkChanged(); }
uint64_t trr_add_server_observer(trr_resolver* r, trr_server_callback callback,
                                 void* user_data) {
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
}

void trr_remove_server_observer(trr_resolver* r, uint64_t id) {
  r->resolver->RemoveServerObserver(id);
}

void trr_report_connect_failure(trr_resolver* r, const char* host) {
  if (host != nullptr) r->resolver->ReportConnectFailure(host);
}

void trr_set_captive_portal(trr_resolver* r, trr_portal_state state) {
  r->resolver->SetCaptivePortalState(
      state == TRR_PORTAL_CLEAR    ? trr::CaptivePortalState::kClear
      : state == TRR_PORTAL_LOCKED ? trr::CaptivePortalState::kLocked
                                   : trr::CaptivePortalState::kUnknown);
}

void trr_clear_cache(trr_resolver* r) { r->resolver->ClearCache(); }

char* trr_dump_json(trr_resolver* r) {
  const std::string json = trr::api::DumpJson(r->resolver->Snapshot());
  char* out = static_cast<char*>(std::malloc(json.size() + 1));
  if (out != nullptr) std::memcpy(out, json.c_str(), json.size() + 1);
  return out;
}

void trr_free_string(char* string) { std::free(string); }

}  // extern "C"
