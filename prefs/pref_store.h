// PrefStore: the effective prefs of one resolver, from three layers —
// registry defaults < a prefs.js file < programmatic overrides (the CLI's
// --pref, the embedder's API) — with observers and file reload.
//
// A file is applied whole or not at all: any parse or validation error
// leaves every pref as it was. Observers run after a change is complete, on
// the thread that made it (the watcher thread for reloads from disk), once
// per changed pref, in the order they were added; they may read the store,
// and change it: no lock of the store is held while they run. Changes are
// notified in the order they were made, one change's notifications never
// interleaving with another's. A change made from inside an observer is
// notified after the one being notified, before the outermost call
// returns; any other call returns once its own change has been notified.

#ifndef TRR_PREFS_PREF_STORE_H_
#define TRR_PREFS_PREF_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/mutex.h"
#include "prefs/pref_keys.h"
#include "prefs/pref_registry.h"
#include "trr/pref_value.h"
#include "trr/prefs.h"

namespace trr::prefs {

// Every registered pref's effective value at one moment (PrefStore::
// Snapshot): what an apply reads, so it never sees half of a change.
class PrefSnapshot {
 public:
  bool Get(BoolPref key) const;
  int32_t Get(IntPref key) const;
  std::string Get(StringPref key) const;
  // Every pref of pref_list.inc at once.
  PrefValues Values() const;
  // The names whose values differ between `before` and this snapshot.
  std::vector<std::string> Differences(const PrefSnapshot& before) const;

 private:
  friend class PrefStore;
  const PrefValue* Find(const char* name) const;
  absl::flat_hash_map<std::string, PrefValue> values_;
};

class PrefStore {
 public:
  using Observer = std::function<void(const PrefChange&)>;
  using ObserverId = uint64_t;

  explicit PrefStore(const PrefRegistry& registry = PrefRegistry::Default());
  ~PrefStore();
  PrefStore(const PrefStore&) = delete;
  PrefStore& operator=(const PrefStore&) = delete;

  // Reads, parses and applies a prefs.js file, replacing the previous file
  // layer. InvalidArgument if it cannot be read or is not a regular file,
  // and ("FILE:LINE:COL: ...") for syntax errors and for values of the
  // wrong type or out of range.
  absl::StatusOr<LoadReport> LoadFile(const std::string& path);
  // The same for text already in memory; `filename` is for messages only.
  absl::StatusOr<LoadReport> LoadText(absl::string_view text,
                                      absl::string_view filename);
  // Loads the last file again; only prefs that changed notify.
  absl::StatusOr<LoadReport> Reload();

  // Programmatic overrides, above the file. Deprecated names are accepted;
  // unknown names are refused (there is no file to keep them for), as are
  // wrong types, values out of range and locked prefs. Applied together or
  // not at all.
  absl::Status SetOverrides(
      const std::vector<std::pair<std::string, PrefValue>>& overrides);
  absl::Status SetOverride(absl::string_view name, PrefValue value);
  void ClearOverride(absl::string_view name);

  // The effective value of a registered pref (its default if unset), by
  // typed key (prefs/pref_keys.h).
  bool Get(BoolPref key) const { return GetBool(key.name); }
  int32_t Get(IntPref key) const { return GetInt(key.name); }
  std::string Get(StringPref key) const { return GetString(key.name); }
  // Every registered pref at once, under one lock.
  PrefSnapshot Snapshot() const;
  // The same by name, for names that come from outside (files, flags,
  // the API). Asking for a name that is not registered is a programming
  // error.
  PrefValue Get(absl::string_view name) const;
  bool GetBool(absl::string_view name) const;
  int32_t GetInt(absl::string_view name) const;
  std::string GetString(absl::string_view name) const;
  // Any name, registered or kept from a file.
  std::optional<EffectivePref> Lookup(absl::string_view name) const;
  // Every registered pref and every unknown one kept, sorted by name.
  std::vector<EffectivePref> Effective() const;

  // An extra check for one pref's values, beyond its type and range (the
  // owner of the pref knows what a valid value is: a DoH server list, for
  // instance). Values it refuses are refused when set, from a file or by
  // override, with its message after the pref's name. Set it before the
  // first value arrives.
  using Validator = std::function<absl::Status(const PrefValue&)>;
  void SetValidator(absl::string_view name, Validator validator);

  // Calls `observer` for changes of exactly `name`, or with
  // AddPrefixObserver of every name starting with `prefix`.
  ObserverId AddObserver(absl::string_view name, Observer observer);
  ObserverId AddPrefixObserver(absl::string_view prefix, Observer observer);
  void RemoveObserver(ObserverId id);

  // Reloads the last loaded file whenever it changes on disk (inotify on its
  // folder, so editors that replace the file are seen), until StopWatching()
  // or destruction. `on_reload` gets each reload's result, errors included.
  absl::Status WatchFile(
      std::function<void(const absl::StatusOr<LoadReport>&)> on_reload);
  void StopWatching();

 private:
  struct FileValue {
    std::optional<PrefValue> default_branch;  // pref(), sticky_pref()
    std::optional<PrefValue> user_branch;     // user_pref()
    bool locked = false;
    bool known = true;
  };
  using FileLayer = absl::flat_hash_map<std::string, FileValue>;
  using Overrides = absl::flat_hash_map<std::string, PrefValue>;
  struct ObserverEntry {
    ObserverId id;
    std::string key;
    bool prefix;
    Observer observer;
  };

  absl::StatusOr<LoadReport> Apply(absl::string_view text,
                                   absl::string_view filename);
  // Swaps in new layers and notifies; `changed` gets the changed names.
  void Commit(FileLayer* file, Overrides* overrides,
              std::vector<std::string>& changed);
  std::optional<EffectivePref> EffectiveLocked(absl::string_view name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::optional<EffectivePref> EffectiveIn(absl::string_view name,
                                                  const PrefRegistry& registry,
                                                  const FileLayer& file,
                                                  const Overrides& overrides);
  // Queues one change's notifications (apply_mu_ held, so the queue is in
  // the order of the changes) and returns its number.
  uint64_t Enqueue(std::vector<PrefChange> changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Delivers queued notifications up to and including change `number`.
  void Deliver(uint64_t number);
  // Calls the observers of `changes`, stopping if one destroyed the store.
  void Notify(const std::vector<PrefChange>& changes,
              const std::atomic<bool>& alive);
  void WatchLoop(int inotify_fd, int stop_fd, std::string basename);

  const PrefRegistry& registry_;
  // Held while a change is computed, swapped in and queued for notifying.
  Mutex apply_mu_;
  // The changes waiting to be notified, and who is notifying them: one
  // thread at a time delivers the queue in order, with no lock held while
  // an observer runs.
  struct Pending {
    uint64_t number;
    std::vector<PrefChange> changes;
  };
  Mutex notify_mu_ ABSL_ACQUIRED_AFTER(apply_mu_);
  CondVar notified_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(notify_mu_);
  uint64_t queued_ ABSL_GUARDED_BY(notify_mu_) = 0;
  uint64_t delivered_ ABSL_GUARDED_BY(notify_mu_) = 0;
  bool delivering_ ABSL_GUARDED_BY(notify_mu_) = false;
  std::thread::id deliverer_ ABSL_GUARDED_BY(notify_mu_);
  mutable Mutex mu_;
  FileLayer file_ ABSL_GUARDED_BY(mu_);
  Overrides overrides_ ABSL_GUARDED_BY(mu_);
  std::string file_path_ ABSL_GUARDED_BY(mu_);
  std::vector<ObserverEntry> observers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Validator> validators_ ABSL_GUARDED_BY(mu_);
  // Type, range and the pref's own validator.
  absl::Status Check(const PrefSpec& spec, const PrefValue& value) const;
  ObserverId next_observer_id_ ABSL_GUARDED_BY(mu_) = 1;

  // False once the destructor has begun: a delivery on an observer's stack
  // stops there.
  std::shared_ptr<std::atomic<bool>> alive_ =
      std::make_shared<std::atomic<bool>>(true);
  std::thread watcher_;
  int watch_stop_fd_ = -1;
  std::function<void(const absl::StatusOr<LoadReport>&)> on_reload_;
};

}  // namespace trr::prefs

#endif  // TRR_PREFS_PREF_STORE_H_
