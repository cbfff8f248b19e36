/* A C embedder of trr: resolve a few names in mode 3, print the dump.
 *   DOH_PORT=... CA_FILE=... c_embedder */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "trr/trr.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending = 0, ok = 0;

static void on_result(const trr_result* r, void* name) {
  pthread_mutex_lock(&mu);
  if (r->status == TRR_OK) {
    printf("%s -> %s (%s, ttl %u s)\n", (const char*)name,
           r->address_count ? r->addresses[0] : "-", r->source, r->ttl_seconds);
    ++ok;
  } else {
    printf("%s -> %s: %s\n", (const char*)name, trr_status_name(r->status),
           r->error);
  }
  --pending;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

int main(void) {
  const char* port = getenv("DOH_PORT");
  const char* ca = getenv("CA_FILE");
  if (!port || !ca) {
    fprintf(stderr, "set DOH_PORT and CA_FILE\n");
    return 2;
  }
  trr_error error;
  trr_resolver* r = trr_resolver_new(&error);
  if (!r) {
    fprintf(stderr, "trr_resolver_new: %s\n", error.message);
    return 1;
  }
  char uri[128];
  snprintf(uri, sizeof(uri), "https://doh.test:%s/dns-query", port);
  if (trr_set_pref_int(r, "network.trr.mode", 3, &error) != TRR_OK ||
      trr_set_pref_string(r, "network.trr.uri", uri, &error) != TRR_OK ||
      trr_set_pref_string(r, "network.trr.bootstrapAddr", "127.0.0.1", &error) != TRR_OK ||
      trr_set_pref_string(r, "network.trr.ca_file", ca, &error) != TRR_OK) {
    fprintf(stderr, "prefs: %s\n", error.message);
    return 1;
  }
  static const char* names[] = {"www.example.test", "alias.example.test",
                                "nope.example.test"};
  pending = 3;
  for (int i = 0; i < 3; ++i) {
    trr_resolve(r, names[i], TRR_TYPE_UNSPEC, on_result, (void*)names[i]);
  }
  pthread_mutex_lock(&mu);
  while (pending > 0) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);

  char* dump = trr_dump_json(r);
  printf("\n%s\n", dump);
  trr_free_string(dump);
  trr_resolver_free(r);
  printf("%s\n", ok == 2 ? "c_embedder: ok" : "c_embedder: FAILED");
  return ok == 2 ? 0 : 1;
}
