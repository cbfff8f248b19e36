/* The C API, from C, against libtrr.so and a real unbound (its DoH URI and
 * CA come from the environment: DOH_PORT, CA_FILE; see run_with_unbound.sh). */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trr/trr.h"

static int failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int calls;
  trr_status status;
  char first_address[64];
  char source[16];
  /* The first HTTPS record, as text, checked after. */
  size_t https_count;
  char https[512];
  pthread_t thread; /* where the callback ran */
} Outcome;

static void OnResult(const trr_result* result, void* user_data) {
  Outcome* out = (Outcome*)user_data;
  pthread_mutex_lock(&out->mu);
  out->calls++;
  out->thread = pthread_self();
  out->status = result->status;
  snprintf(out->first_address, sizeof(out->first_address), "%s",
           result->address_count > 0 ? result->addresses[0] : "");
  snprintf(out->source, sizeof(out->source), "%s", result->source);
  out->https_count = result->https_count;
  if (result->https_count > 0) {
    const trr_https_record* h = &result->https[0];
    int n = snprintf(
        out->https, sizeof(out->https),
        "%u %s mandatory=%zu:%u,%u alpn=%zu:%s ndalpn=%d port=%d:%u "
        "v4=%zu:%s v6=%zu:%s ech=%zu:%02x%02x dohpath=%s",
        h->priority, h->target, h->mandatory_count,
        h->mandatory_count > 0 ? h->mandatory[0] : 0,
        h->mandatory_count > 1 ? h->mandatory[1] : 0, h->alpn_count,
        h->alpn_count > 0 ? h->alpn[0] : "", h->no_default_alpn, h->has_port,
        h->port, h->ipv4_hint_count,
        h->ipv4_hint_count > 0 ? h->ipv4_hints[0] : "", h->ipv6_hint_count,
        h->ipv6_hint_count > 0 ? h->ipv6_hints[0] : "", h->ech_length,
        h->ech_length > 1 ? h->ech[0] : 0, h->ech_length > 1 ? h->ech[1] : 0,
        h->dohpath != NULL ? h->dohpath : "(none)");
    (void)n;
  }
  pthread_cond_broadcast(&out->cv);
  pthread_mutex_unlock(&out->mu);
}

typedef struct {
  pthread_mutex_t mu;
  int confirmation_events;
  char last_confirmation[32];
} Events;

static void OnServerEvent(const trr_server_event* event, void* user_data) {
  Events* events = (Events*)user_data;
  pthread_mutex_lock(&events->mu);
  if (strcmp(event->what, "confirmation") == 0) {
    events->confirmation_events++;
    snprintf(events->last_confirmation, sizeof(events->last_confirmation), "%s",
             event->confirmation);
  }
  pthread_mutex_unlock(&events->mu);
}

static void Init(Outcome* out) {
  memset(out, 0, sizeof(*out));
  pthread_mutex_init(&out->mu, NULL);
  pthread_cond_init(&out->cv, NULL);
}

static void Wait(Outcome* out) {
  pthread_mutex_lock(&out->mu);
  while (out->calls == 0) pthread_cond_wait(&out->cv, &out->mu);
  pthread_mutex_unlock(&out->mu);
}

/* One lookup with `options`, waited for, into `out`. */
static void ResolveAndWait(trr_resolver* r, const char* host,
                           const trr_resolve_options* options, Outcome* out) {
  Init(out);
  if (trr_resolve_with_options(r, host, options, OnResult, out, NULL) != 0) {
    Wait(out);
  }
}

int main(void) {
  const char* doh_port = getenv("DOH_PORT");
  const char* ca_file = getenv("CA_FILE");
  if (doh_port == NULL || ca_file == NULL) {
    fprintf(stderr, "DOH_PORT and CA_FILE must be set\n");
    return 2;
  }
  /* One version: the library's, the header's and the macros agree. */
  CHECK(strcmp(trr_version(), TRR_VERSION_STRING) == 0);
  {
    char from_macros[32];
    snprintf(from_macros, sizeof(from_macros), "%d.%d.%d", TRR_VERSION_MAJOR,
             TRR_VERSION_MINOR, TRR_VERSION_PATCH);
    CHECK(strcmp(trr_version(), from_macros) == 0);
  }
  CHECK(strcmp(trr_status_name(TRR_NOT_FOUND), "NOT_FOUND") == 0);

  trr_error error;
  trr_resolver* r = trr_resolver_new(&error);
  CHECK(r != NULL && error.code == TRR_OK);

  /* Errors are codes with messages. */
  CHECK(trr_set_pref_int(r, "no.such.pref", 1, &error) == TRR_INVALID_ARGUMENT);
  CHECK(strstr(error.message, "unknown pref no.such.pref") != NULL);
  CHECK(trr_set_pref_string(r, "network.trr.mode", "three", &error) ==
        TRR_INVALID_ARGUMENT);
  CHECK(strstr(error.message, "network.trr.mode is a int pref") != NULL);
  CHECK(trr_load_prefs_file(r, "/nonexistent/user.js", &error) ==
        TRR_INVALID_ARGUMENT);

  /* Answers known at once (localhost, a bad name, an IP literal) complete
   * like the rest: once, on the network thread, never inside trr_resolve. */
  Outcome local;
  Init(&local);
  CHECK(trr_resolve(r, "localhost", TRR_TYPE_A, OnResult, &local) != 0);
  Wait(&local);
  CHECK(local.calls == 1 && local.status == TRR_OK);
  CHECK(!pthread_equal(local.thread, pthread_self()));
  CHECK(strcmp(local.first_address, "127.0.0.1") == 0);
  Outcome bad;
  Init(&bad);
  CHECK(trr_resolve(r, "bad name", TRR_TYPE_A, OnResult, &bad) != 0);
  Wait(&bad);
  CHECK(bad.calls == 1 && bad.status == TRR_INVALID_ARGUMENT);
  CHECK(!pthread_equal(bad.thread, pthread_self()));
  Outcome literal;
  Init(&literal);
  trr_resolve(r, "[2001:db8::5]", TRR_TYPE_UNSPEC, OnResult, &literal);
  Wait(&literal);
  CHECK(literal.status == TRR_OK &&
        strcmp(literal.first_address, "2001:db8::5") == 0);

  /* Server events: a new server list in mode 3 disables confirmation,
   * and SetPrefs returns after the observers have heard. */
  Events events;
  memset(&events, 0, sizeof(events));
  pthread_mutex_init(&events.mu, NULL);
  const uint64_t observer = trr_add_server_observer(r, OnServerEvent, &events);

  /* Mode 3 through the test DoH server: set together, all or none. */
  char uri[128];
  snprintf(uri, sizeof(uri), "https://doh.test:%s/dns-query", doh_port);
  {
    trr_pref broken[] = {
        {"network.trr.mode", TRR_PREF_INT, 0, 3, NULL},
        {"network.trr.uri", TRR_PREF_STRING, 0, 0, NULL},
    };
    CHECK(trr_set_prefs(r, broken, 2, &error) == TRR_INVALID_ARGUMENT);
    CHECK(strstr(error.message, "network.trr.uri: a null string value") !=
          NULL);
    char* before = trr_dump_json(r);
    CHECK(before != NULL && strstr(before, "\"mode\":0") != NULL);
    trr_free_string(before);
    trr_pref prefs[] = {
        {"network.trr.mode", TRR_PREF_INT, 0, 3, NULL},
        {"network.trr.uri", TRR_PREF_STRING, 0, 0, uri},
        {"network.trr.bootstrapAddr", TRR_PREF_STRING, 0, 0, "127.0.0.1"},
        {"network.trr.ca_file", TRR_PREF_STRING, 0, 0, ca_file},
    };
    CHECK(trr_set_prefs(r, prefs, 4, &error) == TRR_OK);
  }
  pthread_mutex_lock(&events.mu);
  CHECK(events.confirmation_events >= 1);
  CHECK(strcmp(events.last_confirmation, "disabled") == 0);
  pthread_mutex_unlock(&events.mu);
  trr_remove_server_observer(r, observer);
  Outcome www;
  Init(&www);
  trr_resolve(r, "www.example.test", TRR_TYPE_A, OnResult, &www);
  Wait(&www);
  CHECK(www.status == TRR_OK);
  CHECK(strcmp(www.first_address, "192.0.2.1") == 0);
  CHECK(strcmp(www.source, "trr") == 0);
  Outcome nx;
  Init(&nx);
  trr_resolve(r, "nope.example.test", TRR_TYPE_A, OnResult, &nx);
  Wait(&nx);
  CHECK(nx.status == TRR_NOT_FOUND);

  /* Every option of the C++ API, and every SvcParam of an HTTPS record. */
  trr_resolve_options options;
  trr_resolve_options_init(&options);
  CHECK(options.type == TRR_TYPE_UNSPEC && options.trr_mode == -1 &&
        options.partition == NULL && !options.bypass_cache &&
        !options.disable_trr && options.port == 0);
  options.type = TRR_TYPE_HTTPS;
  Outcome svc;
  Init(&svc);
  CHECK(trr_resolve_with_options(r, "fullsvc.example.test", &options, OnResult,
                                 &svc, &error) != 0);
  Wait(&svc);
  CHECK(svc.status == TRR_OK);
  CHECK(svc.https_count == 1);
  CHECK(strcmp(svc.https,
               "1 svc.example.test mandatory=2:1,3 alpn=1:h2 ndalpn=1 "
               "port=1:8443 v4=1:192.0.2.1 v6=1:2001:db8::1 ech=75:0049 "
               "dohpath=/q{?dns}") == 0);
  /* Its IP hints, from the cache, through the callback before the call
   * returns; none for a name no HTTPS record pointed at. */
  Outcome hint;
  Init(&hint);
  CHECK(trr_lookup_ip_hint(r, "svc.example.test", NULL, OnResult, &hint,
                           &error) == TRR_OK);
  CHECK(hint.calls == 1 && pthread_equal(hint.thread, pthread_self()));
  CHECK(strcmp(hint.first_address, "192.0.2.1") == 0);
  CHECK(strcmp(hint.source, "cache") == 0);
  Outcome no_hint;
  Init(&no_hint);
  CHECK(trr_lookup_ip_hint(r, "other.example.test", NULL, OnResult, &no_hint,
                           &error) == TRR_NOT_FOUND);
  CHECK(no_hint.calls == 1 && no_hint.status == TRR_NOT_FOUND);
  /* bypass_cache asks the server again; without it, the cache answers. */
  trr_resolve_options_init(&options);
  options.type = TRR_TYPE_A;
  options.bypass_cache = 1;
  Outcome fresh;
  ResolveAndWait(r, "www.example.test", &options, &fresh);
  CHECK(fresh.status == TRR_OK && strcmp(fresh.source, "trr") == 0);
  options.bypass_cache = 0;
  options.partition = "private";
  Outcome other;
  ResolveAndWait(r, "www.example.test", &options, &other);
  CHECK(other.status == TRR_OK && strcmp(other.source, "trr") == 0);
  Outcome cached;
  ResolveAndWait(r, "www.example.test", &options, &cached);
  CHECK(strcmp(cached.source, "cache") == 0);
  /* Values trr.h does not define are refused, and nothing is called. */
  Outcome refused;
  Init(&refused);
  options.type = (trr_query_type)99;
  CHECK(trr_resolve_with_options(r, "www.example.test", &options, OnResult,
                                 &refused, &error) == 0);
  CHECK(error.code == TRR_INVALID_ARGUMENT);
  CHECK(strstr(error.message, "unknown query type 99") != NULL);
  CHECK(trr_resolve(r, "www.example.test", (trr_query_type)7, OnResult,
                    &refused) == 0);
  trr_resolve_options_init(&options);
  options.trr_mode = 6;
  CHECK(trr_resolve_with_options(r, "www.example.test", &options, OnResult,
                                 &refused, &error) == 0);
  CHECK(strstr(error.message, "trr_mode 6") != NULL);
  CHECK(refused.calls == 0);
  CHECK(trr_set_captive_portal(r, (trr_portal_state)42) ==
        TRR_INVALID_ARGUMENT);
  /* Options whose size says they were never initialized are refused. */
  trr_resolve_options_init(&options);
  CHECK(options.size == sizeof(trr_resolve_options));
  options.size = 0;
  CHECK(trr_resolve_with_options(r, "www.example.test", &options, OnResult,
                                 &refused, &error) == 0);
  CHECK(strstr(error.message, "trr_resolve_options.size") != NULL);
  /* NULL handles and callbacks are refused, never followed. */
  CHECK(trr_resolve(NULL, "www.example.test", TRR_TYPE_A, OnResult,
                    &refused) == 0);
  CHECK(trr_resolve(r, "www.example.test", TRR_TYPE_A, NULL, NULL) == 0);
  CHECK(trr_resolve_with_options(NULL, "x.test", NULL, OnResult, &refused,
                                 &error) == 0 &&
        error.code == TRR_INVALID_ARGUMENT);
  CHECK(trr_lookup_ip_hint(r, "x.test", NULL, NULL, NULL, &error) ==
        TRR_INVALID_ARGUMENT);
  CHECK(trr_set_pref_int(NULL, "network.trr.mode", 3, &error) ==
        TRR_INVALID_ARGUMENT);
  CHECK(trr_set_pref_string(r, "network.trr.uri", NULL, &error) ==
        TRR_INVALID_ARGUMENT);
  CHECK(strstr(error.message, "network.trr.uri") != NULL);
  CHECK(trr_set_prefs(NULL, NULL, 0, &error) == TRR_INVALID_ARGUMENT);
  CHECK(trr_set_captive_portal(NULL, TRR_PORTAL_CLEAR) ==
        TRR_INVALID_ARGUMENT);
  CHECK(trr_add_server_observer(NULL, OnServerEvent, NULL) == 0);
  CHECK(trr_add_server_observer(r, NULL, NULL) == 0);
  CHECK(trr_dump_json(NULL) == NULL);
  trr_cancel(NULL, 1);
  trr_network_changed(NULL);
  trr_clear_cache(NULL);
  trr_remove_server_observer(NULL, 1);
  trr_report_connect_failure(NULL, "x.test");
  trr_resolver_free(NULL);
  CHECK(refused.calls == 0);
  /* A name for a value outside the list says so. */
  CHECK(strcmp(trr_status_name((trr_status)99), "UNKNOWN") == 0);

  char* dump = trr_dump_json(r);
  CHECK(dump != NULL &&
        strstr(dump, "\"hostname\":\"www.example.test\"") != NULL);
  CHECK(dump != NULL && strstr(dump, "\"servers\":[{\"uri\":") != NULL);
  trr_free_string(dump);
  /* Mode 3 ignores it; it must not fail on a NULL host either. */
  trr_report_connect_failure(r, "www.example.test");
  trr_report_connect_failure(r, NULL);
  trr_network_changed(r);
  CHECK(trr_set_captive_portal(r, TRR_PORTAL_CLEAR) == TRR_OK);
  trr_clear_cache(r);
  trr_resolver_free(r);

  if (failures == 0) printf("C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
