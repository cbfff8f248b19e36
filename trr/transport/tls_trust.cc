#include "trr/transport/tls_trust.h"

#include <dirent.h>
#include <openssl/err.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"

namespace trr {
namespace {

struct Loaded {
  X509_STORE* store = nullptr;  // one reference, the cache's
  int64_t mtime_ns = 0;
  int64_t size = 0;
};

Mutex& CacheMutex() {
  static Mutex* const mu = new Mutex();
  return *mu;
}
// By ca_file; "" is the system store.
std::map<std::string, Loaded>& Cache()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(CacheMutex()) {
  static auto* const cache = new std::map<std::string, Loaded>();
  return *cache;
}
int loads = 0;  // under CacheMutex()

// The first error queued, and the rest cleared.
std::string LastOpenSslError() {
  std::string error = OpenSslError("no certificate in it");
  ERR_clear_error();
  return error;
}

// Whether `dir` holds at least one OpenSSL hash link ("1a2b3c4d.0").
bool HasHashLinks(const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) return false;
  bool found = false;
  while (!found) {
    const dirent* entry = readdir(d);
    if (entry == nullptr) break;
    const char* name = entry->d_name;
    if (std::strlen(name) < 10 || name[8] != '.' ||
        !absl::ascii_isdigit(static_cast<unsigned char>(name[9]))) {
      continue;
    }
    found = true;
    for (int i = 0; i < 8; ++i) {
      found =
          found && absl::ascii_isxdigit(static_cast<unsigned char>(name[i]));
    }
  }
  closedir(d);
  return found;
}

absl::StatusOr<X509_STORE*> LoadSystemStore() {
  X509_STORE* store = X509_STORE_new();
  ERR_clear_error();
  const char* file_env = std::getenv(X509_get_default_cert_file_env());
  const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
  bool ok = true;
  if (file_env != nullptr || dir_env != nullptr) {
    // As OpenSSL's defaults: both, each from its variable or its default.
    ok = X509_STORE_load_file(
             store, file_env ? file_env : X509_get_default_cert_file()) == 1;
    ok = X509_STORE_load_path(
             store, dir_env ? dir_env : X509_get_default_cert_dir()) == 1 ||
         ok;
  } else if (HasHashLinks(X509_get_default_cert_dir())) {
    ok = X509_STORE_load_path(store, X509_get_default_cert_dir()) == 1;
  } else {
    ok = X509_STORE_load_file(store, X509_get_default_cert_file()) == 1;
  }
  if (!ok) {
    X509_STORE_free(store);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load the system CA store: ", LastOpenSslError()));
  }
  return store;
}

}  // namespace

absl::StatusOr<X509_STORE*> TrustedStore(const std::string& ca_file) {
  Loaded now;
  if (!ca_file.empty()) {
    struct stat st;
    if (stat(ca_file.c_str(), &st) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot load the CA file ", ca_file, ": ", std::strerror(errno)));
    }
    now.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    now.size = st.st_size;
  }
  MutexLock lock(&CacheMutex());
  auto& cache = Cache();
  auto it = cache.find(ca_file);
  if (it != cache.end() && it->second.mtime_ns == now.mtime_ns &&
      it->second.size == now.size) {
    X509_STORE_up_ref(it->second.store);
    return it->second.store;
  }
  ++loads;
  if (ca_file.empty()) {
    auto store = LoadSystemStore();
    if (!store.ok()) return store.status();
    now.store = *store;
  } else {
    now.store = X509_STORE_new();
    ERR_clear_error();
    if (X509_STORE_load_file(now.store, ca_file.c_str()) != 1) {
      X509_STORE_free(now.store);
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot load the CA file ", ca_file, ": ", LastOpenSslError()));
    }
  }
  if (it != cache.end()) {
    X509_STORE_free(it->second.store);  // contexts using it keep theirs
    it->second = now;
  } else {
    cache.emplace(ca_file, now);
  }
  X509_STORE_up_ref(now.store);
  return now.store;
}

int TrustStoreLoads() {
  MutexLock lock(&CacheMutex());
  return loads;
}

std::string OpenSslError(const char* fallback) {
  const unsigned long code = ERR_get_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace trr
