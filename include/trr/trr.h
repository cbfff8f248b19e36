/* trr/trr.h: the C API of trr, for C and for any language with a C FFI.
 *
 * A trr_resolver resolves host names over DNS-over-HTTPS under Firefox's
 * network.trr.* prefs (see docs/prefs.md), with native fallback as the mode
 * allows, and a TTL cache. One resolver per profile or private window:
 * resolvers share nothing.
 *
 * Every function refuses a NULL resolver or callback (an error, 0, NULL or
 * nothing, as it returns), and no C++ exception leaves one.
 *
 * Threads: every function may be called from any thread. trr_resolve()
 * calls its callback exactly once, always on the resolver's network thread
 * and never inside trr_resolve() (cache hits, IP literals, localhost and
 * invalid names too); with TRR_CANCELLED after trr_cancel() or
 * trr_resolver_free(). Callbacks must not block and must not call
 * trr_resolver_free(); they may call trr_resolve() and set prefs.
 *
 * Memory: strings passed in are copied; a trr_result and everything it
 * points to live only during the callback; strings returned by trr_dump_json
 * are freed with trr_free_string.
 */

#ifndef TRR_INCLUDE_TRR_TRR_H_
#define TRR_INCLUDE_TRR_TRR_H_

#include <stddef.h>
#include <stdint.h>

#include "trr/export.h"
#include "trr/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TRR_OK = 0,
  TRR_INVALID_ARGUMENT = 1,    /* a bad name, pref name, value or file */
  TRR_NOT_FOUND = 2,           /* NXDOMAIN, or no records of the type */
  TRR_UNAVAILABLE = 3,         /* every allowed path failed */
  TRR_CANCELLED = 4,           /* trr_cancel, or the resolver went away */
  TRR_PERMISSION_DENIED = 5,   /* the DoH resolver blocked the name (EDE) */
  TRR_FAILED_PRECONDITION = 6, /* e.g. a pref locked by the pref file */
  TRR_INTERNAL = 7,
  TRR_RESOURCE_EXHAUSTED = 8 /* max_pending_lookups outstanding (2.0) */
} trr_status;

typedef enum {
  TRR_TYPE_UNSPEC = 0, /* A and AAAA */
  TRR_TYPE_A = 1,
  TRR_TYPE_AAAA = 2,
  TRR_TYPE_HTTPS = 3,
  TRR_TYPE_TXT = 4
} trr_query_type;

typedef enum {
  TRR_PORTAL_UNKNOWN = 0,
  TRR_PORTAL_LOCKED = 1,
  TRR_PORTAL_CLEAR = 2
} trr_portal_state;

/* An error: a code and a message (may be NULL where errors are not wanted). */
typedef struct {
  trr_status code;
  char message[512];
} trr_error;

typedef struct trr_resolver trr_resolver;

/* One HTTPS record (RFC 9460) with every SvcParam trr knows. */
typedef struct {
  uint16_t priority;  /* 0: AliasMode; else ServiceMode, lower first */
  const char* target; /* "." is the owner name (ServiceMode) */
  size_t mandatory_count;
  const uint16_t* mandatory; /* SvcParamKeys */
  size_t alpn_count;
  const char* const* alpn; /* "h2", "h3", ... */
  int no_default_alpn;
  int has_port;
  uint16_t port;
  size_t ipv4_hint_count;
  const char* const* ipv4_hints;
  size_t ipv6_hint_count;
  const char* const* ipv6_hints;
  size_t ech_length;
  const uint8_t* ech;  /* the ECHConfigList, as sent */
  const char* dohpath; /* RFC 9461; NULL when absent */
} trr_https_record;

typedef struct {
  trr_status status;
  const char* error; /* "" when status is TRR_OK */
  size_t address_count;
  const char* const* addresses; /* "192.0.2.1", "2001:db8::1", ... */
  size_t txt_count;
  const char* const* txt;
  const char* canonical_name;
  uint32_t ttl_seconds;
  const char* source;      /* "trr", "native", "cache", "stale", "none" */
  const char* skip_reason; /* why TRR was not used: "none", "excluded"... */
  const char* trr_failure; /* why TRR failed, when it did: "timeout"... */
  size_t https_count;      /* TRR_TYPE_HTTPS lookups */
  const trr_https_record* https;
  /* The rule that let the name go to the native resolver: "none",
     "trr-off", "both-paths", "trr-skipped", "negative-answer",
     "unusable-answer", "trr-failed", "trr-timed-out" (2.0). */
  const char* native_reason;
} trr_result;

typedef void (*trr_callback)(const trr_result* result, void* user_data);

/* TRR_VERSION_STRING of the library linked ("2.0.0"). */
TRR_EXPORT const char* trr_version(void);
/* "OK", "NOT_FOUND", ... */
TRR_EXPORT const char* trr_status_name(trr_status status);

/* A new resolver with Firefox's default prefs (mode 0), or NULL. */
TRR_EXPORT trr_resolver* trr_resolver_new(trr_error* error);
/* Completes every outstanding request with TRR_CANCELLED, then frees it. */
TRR_EXPORT void trr_resolver_free(trr_resolver* resolver);

/* Pref overrides, by Firefox's names; in effect when these return. */
TRR_EXPORT trr_status trr_set_pref_bool(trr_resolver* resolver,
                                        const char* name, int value,
                                        trr_error* error);
TRR_EXPORT trr_status trr_set_pref_int(trr_resolver* resolver, const char* name,
                                       int32_t value, trr_error* error);
TRR_EXPORT trr_status trr_set_pref_string(trr_resolver* resolver,
                                          const char* name, const char* value,
                                          trr_error* error);
/* Several prefs at once, all or none (as one pref file would): a C
 * embedder sets mode 3 and its URI together, never one before the other. */
typedef enum {
  TRR_PREF_BOOL = 0,
  TRR_PREF_INT = 1,
  TRR_PREF_STRING = 2
} trr_pref_type;
typedef struct {
  const char* name;
  trr_pref_type type;
  int bool_value;
  int32_t int_value;
  const char* string_value; /* NULL is refused, naming the pref */
} trr_pref;
TRR_EXPORT trr_status trr_set_prefs(trr_resolver* resolver,
                                    const trr_pref* prefs, size_t count,
                                    trr_error* error);
/* Loads a prefs.js file, whole or not at all; errors say FILE:LINE:COLUMN. */
TRR_EXPORT trr_status trr_load_prefs_file(trr_resolver* resolver,
                                          const char* path, trr_error* error);

/* What one lookup asks for, beyond the name. Fill it with
 * trr_resolve_options_init, then change what differs. `size` (set by init)
 * lets the struct grow: a library newer than the program reads only the
 * fields the program knows. */
typedef struct {
  size_t size;           /* sizeof(trr_resolve_options), set by init */
  trr_query_type type;   /* TRR_TYPE_UNSPEC: A and AAAA */
  const char* partition; /* NULL or "": the default cache partition */
  int bypass_cache;      /* skip the cache (the answer still fills it) */
  int disable_trr;       /* native whatever the mode (mode 3 excepted) */
  int trr_mode;          /* -1: network.trr.mode; 0-5: this lookup's */
  uint16_t port;         /* HTTPS lookups: the origin's port (0: 443); see
                            network.dns.port_prefixed_qname_https_rr */
} trr_resolve_options;
TRR_EXPORT void trr_resolve_options_init(trr_resolve_options* options);

/* Starts a lookup with `options` (NULL: the defaults) and returns its id
 * (for trr_cancel). Options it does not know (a type or mode out of range)
 * are refused: it returns 0, calls nothing and fills `error`. */
TRR_EXPORT uint64_t trr_resolve_with_options(trr_resolver* resolver,
                                             const char* host,
                                             const trr_resolve_options* options,
                                             trr_callback callback,
                                             void* user_data, trr_error* error);
/* The IP hints (ipv4hint, ipv6hint) that a cached HTTPS answer gave for
 * `host` as a target, as Firefox's RESOLVE_IP_HINT reads them: from the
 * cache only, never asking anyone. Calls `callback` once, before it
 * returns, on the calling thread, and returns the result's status
 * (TRR_NOT_FOUND when no hint is cached). `options` (NULL: the defaults)
 * picks the entry as for a lookup; its type must be UNSPEC, A or AAAA.
 * Options it does not know are refused: nothing is called. */
TRR_EXPORT trr_status trr_lookup_ip_hint(trr_resolver* resolver,
                                         const char* host,
                                         const trr_resolve_options* options,
                                         trr_callback callback, void* user_data,
                                         trr_error* error);
/* Starts a lookup; returns its id (for trr_cancel), or 0 for an unknown
 * type or a NULL resolver or callback (refused, nothing called). */
TRR_EXPORT uint64_t trr_resolve(trr_resolver* resolver, const char* host,
                                trr_query_type type, trr_callback callback,
                                void* user_data);
/* The same with a cache partition (private browsing, origin attributes). */
TRR_EXPORT uint64_t trr_resolve_in_partition(
    trr_resolver* resolver, const char* host, trr_query_type type,
    const char* partition, trr_callback callback, void* user_data);
TRR_EXPORT void trr_cancel(trr_resolver* resolver, uint64_t request);

/* A DoH server's availability or confirmation state changed (Firefox's
 * "network:trr-confirmation"). The strings live for the call only. */
typedef struct {
  const char* what;         /* "availability" or "confirmation" */
  const char* uri;          /* the server, as configured */
  const char* state;        /* "available" or "unavailable" */
  const char* confirmation; /* "ok", "failed", "trying-ok", ... */
} trr_server_event;
typedef void (*trr_server_callback)(const trr_server_event* event,
                                    void* user_data);
/* Calls `callback` on the resolver's network thread for each change (it
 * must not block). Returns an id for trr_remove_server_observer, after
 * which the callback is not called again. */
TRR_EXPORT uint64_t trr_add_server_observer(trr_resolver* resolver,
                                            trr_server_callback callback,
                                            void* user_data);
TRR_EXPORT void trr_remove_server_observer(trr_resolver* resolver, uint64_t id);

TRR_EXPORT void trr_network_changed(trr_resolver* resolver);
/* The embedder could not connect to any address TRR gave for `host`: in
 * mode 2 the name is resolved natively next time (Firefox's retry without
 * TRR). Other modes ignore it. */
TRR_EXPORT void trr_report_connect_failure(trr_resolver* resolver,
                                           const char* host);
/* TRR_INVALID_ARGUMENT, and no change, for a state it does not know. */
TRR_EXPORT trr_status trr_set_captive_portal(trr_resolver* resolver,
                                             trr_portal_state state);
TRR_EXPORT void trr_clear_cache(trr_resolver* resolver);

/* The about:networking#dns view as one JSON object (docs/CLI.md). */
TRR_EXPORT char* trr_dump_json(trr_resolver* resolver);
TRR_EXPORT void trr_free_string(char* string);

#ifdef __cplusplus
}
#endif

#endif /* TRR_INCLUDE_TRR_TRR_H_ */
