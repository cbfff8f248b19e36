#include "prefs/pref_store.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "prefs/prefs_parser.h"

namespace trr::prefs {

const char* PrefLayerName(PrefLayer layer) {
  switch (layer) {
    case PrefLayer::kDefault:
      return "default";
    case PrefLayer::kFile:
      return "file";
    case PrefLayer::kOverride:
      return "override";
  }
  return "unknown";
}

PrefStore::PrefStore(const PrefRegistry& registry) : registry_(registry) {}

PrefStore::~PrefStore() {
  // An observer may destroy the store while it is being notified: the
  // delivery on its stack stops touching it (Deliver, WatchLoop).
  alive_->store(false);
  StopWatching();
}

std::optional<EffectivePref> PrefStore::EffectiveIn(
    absl::string_view name, const PrefRegistry& registry, const FileLayer& file,
    const Overrides& overrides) {
  const PrefSpec* spec = registry.Find(name);
  auto in_file = file.find(name);
  const FileValue* file_value =
      in_file == file.end() ? nullptr : &in_file->second;
  auto overridden = overrides.find(name);
  EffectivePref pref;
  pref.name = std::string(name);
  pref.known = spec != nullptr;
  if (file_value != nullptr && file_value->locked &&
      file_value->default_branch) {
    // A locked pref keeps its default; user values and overrides are ignored.
    pref.value = *file_value->default_branch;
    pref.layer = PrefLayer::kFile;
    pref.locked = true;
  } else if (overridden != overrides.end()) {
    pref.value = overridden->second;
    pref.layer = PrefLayer::kOverride;
  } else if (file_value != nullptr &&
             (file_value->user_branch || file_value->default_branch)) {
    pref.value = file_value->user_branch ? *file_value->user_branch
                                         : *file_value->default_branch;
    pref.layer = PrefLayer::kFile;
  } else if (spec != nullptr) {
    pref.value = spec->default_value;
    pref.layer = PrefLayer::kDefault;
  } else {
    return std::nullopt;
  }
  return pref;
}

std::optional<EffectivePref> PrefStore::EffectiveLocked(
    absl::string_view name) const {
  return EffectiveIn(name, registry_, file_, overrides_);
}

absl::StatusOr<LoadReport> PrefStore::LoadFile(const std::string& path) {
  {
    MutexLock lock(&mu_);
    file_path_ = path;
  }
  // A directory opens and reads as empty: refused, or it would clear
  // every pref the previous file set.
  struct stat info {};
  if (stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return Apply(contents.str(), path);
}

absl::StatusOr<LoadReport> PrefStore::LoadText(absl::string_view text,
                                               absl::string_view filename) {
  return Apply(text, filename);
}

absl::StatusOr<LoadReport> PrefStore::Reload() {
  std::string path;
  {
    MutexLock lock(&mu_);
    path = file_path_;
  }
  if (path.empty()) {
    return absl::FailedPreconditionError("no pref file was loaded");
  }
  return LoadFile(path);
}

absl::StatusOr<LoadReport> PrefStore::Apply(absl::string_view text,
                                            absl::string_view filename) {
  auto statements = ParsePrefs(text, filename);
  if (!statements.ok()) return statements.status();
  LoadReport report;
  FileLayer layer;
  // A pref the file sets by its current name takes no value from its
  // deprecated alias, wherever each line is (Firefox reads only the
  // current name).
  absl::flat_hash_set<std::string> set_by_name;
  for (const PrefStatement& statement : *statements) {
    if (registry_.FindAlias(statement.name) == nullptr) {
      set_by_name.insert(statement.name);
    }
  }
  for (const PrefStatement& statement : *statements) {
    auto where = [&] {
      return absl::StrCat(filename, ":", statement.line, ":", statement.column);
    };
    std::string name = statement.name;
    if (const PrefAlias* alias = registry_.FindAlias(name)) {
      if (set_by_name.contains(alias->name)) {
        report.warnings.push_back(absl::StrCat(
            where(), ": ", name, " is deprecated and ignored: ", alias->name,
            " is set"));
        continue;
      }
      report.warnings.push_back(absl::StrCat(
          where(), ": ", name, " is deprecated; use ", alias->name));
      name = alias->name;
    }
    const PrefSpec* spec = registry_.Find(name);
    if (spec != nullptr) {
      if (absl::Status valid = Check(*spec, statement.value); !valid.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(), ": ", valid.message()));
      }
    } else {
      report.warnings.push_back(
          absl::StrCat(where(), ": unknown pref ", name, " (kept, unused)"));
    }
    FileValue& value = layer[name];
    value.known = spec != nullptr;
    if (statement.kind == PrefStatementKind::kUserPref) {
      value.user_branch = statement.value;
    } else {
      value.default_branch = statement.value;
      value.locked = value.locked || statement.locked;
    }
  }
  Commit(&layer, nullptr, report.changed);
  return report;
}

void PrefStore::SetValidator(absl::string_view name, Validator validator) {
  MutexLock lock(&mu_);
  validators_[std::string(name)] = std::move(validator);
}

absl::Status PrefStore::Check(const PrefSpec& spec,
                              const PrefValue& value) const {
  if (absl::Status valid = PrefRegistry::Validate(spec, value); !valid.ok()) {
    return valid;
  }
  Validator validator;
  {
    MutexLock lock(&mu_);
    auto v = validators_.find(spec.name);
    if (v == validators_.end()) return absl::OkStatus();
    validator = v->second;
  }
  if (absl::Status valid = validator(value); !valid.ok()) {
    return absl::Status(valid.code(),
                        absl::StrCat(spec.name, ": ", valid.message()));
  }
  return absl::OkStatus();
}

absl::Status PrefStore::SetOverrides(
    const std::vector<std::pair<std::string, PrefValue>>& overrides) {
  Overrides updated;
  {
    MutexLock lock(&mu_);
    updated = overrides_;
    for (const auto& [given_name, value] : overrides) {
      std::string name = given_name;
      if (const PrefAlias* alias = registry_.FindAlias(name)) {
        name = alias->name;
        // Given by both names at once: the current name's value, as in a
        // file.
        const bool both = std::any_of(
            overrides.begin(), overrides.end(),
            [&](const auto& other) { return other.first == alias->name; });
        if (both) continue;
      }
      const PrefSpec* spec = registry_.Find(name);
      if (spec == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown pref ", given_name));
      }
      if (absl::Status valid = PrefRegistry::Validate(*spec, value);
          !valid.ok()) {
        return valid;
      }
      if (auto v = validators_.find(name); v != validators_.end()) {
        if (absl::Status valid = v->second(value); !valid.ok()) {
          return absl::Status(valid.code(),
                              absl::StrCat(name, ": ", valid.message()));
        }
      }
      auto in_file = file_.find(name);
      if (in_file != file_.end() && in_file->second.locked) {
        return absl::FailedPreconditionError(
            absl::StrCat(name, " is locked by the pref file"));
      }
      updated[name] = value;
    }
  }
  std::vector<std::string> changed;
  Commit(nullptr, &updated, changed);
  return absl::OkStatus();
}

absl::Status PrefStore::SetOverride(absl::string_view name, PrefValue value) {
  return SetOverrides({{std::string(name), std::move(value)}});
}

void PrefStore::ClearOverride(absl::string_view name) {
  Overrides updated;
  {
    MutexLock lock(&mu_);
    updated = overrides_;
  }
  std::string canonical(name);
  if (const PrefAlias* alias = registry_.FindAlias(canonical)) {
    canonical = alias->name;
  }
  if (updated.erase(canonical) == 0) return;
  std::vector<std::string> changed;
  Commit(nullptr, &updated, changed);
}

void PrefStore::Commit(FileLayer* file, Overrides* overrides,
                       std::vector<std::string>& changed) {
  uint64_t number = 0;
  {
    MutexLock apply_lock(&apply_mu_);
    std::vector<PrefChange> changes;
    {
      MutexLock lock(&mu_);
      const FileLayer& new_file = file != nullptr ? *file : file_;
      const Overrides& new_overrides =
          overrides != nullptr ? *overrides : overrides_;
      // Only names set in some layer, before or after, can change.
      absl::flat_hash_set<std::string> names;
      for (const auto& [name, value] : file_) names.insert(name);
      for (const auto& [name, value] : new_file) names.insert(name);
      for (const auto& [name, value] : overrides_) names.insert(name);
      for (const auto& [name, value] : new_overrides) names.insert(name);
      for (const std::string& name : names) {
        auto before = EffectiveIn(name, registry_, file_, overrides_);
        auto after = EffectiveIn(name, registry_, new_file, new_overrides);
        const bool had = before.has_value(), has = after.has_value();
        if (had != has || (had && before->value != after->value)) {
          PrefChange change;
          change.name = name;
          if (had) change.old_value = before->value;
          if (has) change.new_value = after->value;
          changes.push_back(std::move(change));
        }
      }
      if (file != nullptr) file_ = std::move(*file);
      if (overrides != nullptr) overrides_ = std::move(*overrides);
    }
    std::sort(changes.begin(), changes.end(),
              [](const PrefChange& a, const PrefChange& b) {
                return a.name < b.name;
              });
    for (const PrefChange& change : changes) changed.push_back(change.name);
    if (changes.empty()) return;
    number = Enqueue(std::move(changes));
  }
  Deliver(number);
}

uint64_t PrefStore::Enqueue(std::vector<PrefChange> changes) {
  MutexLock lock(&notify_mu_);
  pending_.push_back(Pending{++queued_, std::move(changes)});
  return queued_;
}

void PrefStore::Deliver(uint64_t number) {
  // Held by hand: after an observer has run, the store (and this mutex)
  // may be gone, and then nothing here touches it again.
  const std::shared_ptr<std::atomic<bool>> alive = alive_;
  notify_mu_.Lock();
  if (delivering_) {
    // An observer changed a pref: its change is notified after the current
    // one, by this same loop further up the stack.
    if (deliverer_ == std::this_thread::get_id()) {
      notify_mu_.Unlock();
      return;
    }
    while (delivered_ < number && delivering_) notified_.Wait(&notify_mu_);
    if (delivered_ >= number) {
      notify_mu_.Unlock();
      return;
    }
  }
  delivering_ = true;
  deliverer_ = std::this_thread::get_id();
  while (!pending_.empty()) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    notify_mu_.Unlock();
    Notify(next.changes, *alive);
    if (!alive->load()) return;  // an observer destroyed the store
    notify_mu_.Lock();
    delivered_ = next.number;
    notified_.SignalAll();
  }
  delivering_ = false;
  notified_.SignalAll();
  notify_mu_.Unlock();
}

void PrefStore::Notify(const std::vector<PrefChange>& changes,
                       const std::atomic<bool>& alive) {
  if (changes.empty()) return;
  std::vector<ObserverEntry> observers;
  {
    MutexLock lock(&mu_);
    observers = observers_;
  }
  for (const ObserverEntry& entry : observers) {
    for (const PrefChange& change : changes) {
      const bool matches = entry.prefix
                               ? absl::StartsWith(change.name, entry.key)
                               : change.name == entry.key;
      if (matches) entry.observer(change);
      if (!alive.load()) return;
    }
  }
}

PrefValue PrefStore::Get(absl::string_view name) const {
  MutexLock lock(&mu_);
  auto pref = EffectiveLocked(name);
  return pref ? pref->value : PrefValue();
}

bool PrefStore::GetBool(absl::string_view name) const {
  const PrefValue value = Get(name);
  return value.is_bool() && value.bool_value();
}

int32_t PrefStore::GetInt(absl::string_view name) const {
  const PrefValue value = Get(name);
  return value.is_int() ? value.int_value() : 0;
}

std::string PrefStore::GetString(absl::string_view name) const {
  const PrefValue value = Get(name);
  return value.is_string() ? value.string_value() : std::string();
}

PrefSnapshot PrefStore::Snapshot() const {
  PrefSnapshot snapshot;
  MutexLock lock(&mu_);
  for (const PrefSpec& spec : registry_.specs()) {
    auto pref = EffectiveLocked(spec.name);
    snapshot.values_[spec.name] = pref ? pref->value : spec.default_value;
  }
  return snapshot;
}

std::vector<std::string> PrefSnapshot::Differences(
    const PrefSnapshot& before) const {
  std::vector<std::string> names;
  for (const auto& [name, value] : values_) {
    const PrefValue* old = before.Find(name.c_str());
    if (old == nullptr || *old != value) names.push_back(name);
  }
  for (const auto& [name, value] : before.values_) {
    if (Find(name.c_str()) == nullptr) names.push_back(name);
  }
  return names;
}

const PrefValue* PrefSnapshot::Find(const char* name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

bool PrefSnapshot::Get(BoolPref key) const {
  const PrefValue* value = Find(key.name);
  return value != nullptr && value->is_bool() && value->bool_value();
}

int32_t PrefSnapshot::Get(IntPref key) const {
  const PrefValue* value = Find(key.name);
  return value != nullptr && value->is_int() ? value->int_value() : 0;
}

std::string PrefSnapshot::Get(StringPref key) const {
  const PrefValue* value = Find(key.name);
  return value != nullptr && value->is_string() ? value->string_value()
                                                : std::string();
}

PrefValues PrefSnapshot::Values() const {
  PrefValues values;
#define TRR_PREF_BOOL(key, ...) values.key = Get(keys::key);
#define TRR_PREF_INT(key, ...) values.key = Get(keys::key);
#define TRR_PREF_STRING(key, ...) values.key = Get(keys::key);
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING
  return values;
}

std::optional<EffectivePref> PrefStore::Lookup(absl::string_view name) const {
  MutexLock lock(&mu_);
  return EffectiveLocked(name);
}

std::vector<EffectivePref> PrefStore::Effective() const {
  MutexLock lock(&mu_);
  std::vector<EffectivePref> out;
  for (const PrefSpec& spec : registry_.specs()) {
    if (auto pref = EffectiveLocked(spec.name)) out.push_back(*pref);
  }
  for (const auto& [name, value] : file_) {
    if (!value.known) {
      if (auto pref = EffectiveLocked(name)) out.push_back(*pref);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const EffectivePref& a, const EffectivePref& b) {
              return a.name < b.name;
            });
  return out;
}

PrefStore::ObserverId PrefStore::AddObserver(absl::string_view name,
                                             Observer observer) {
  MutexLock lock(&mu_);
  const ObserverId id = next_observer_id_++;
  observers_.push_back({id, std::string(name), false, std::move(observer)});
  return id;
}

PrefStore::ObserverId PrefStore::AddPrefixObserver(absl::string_view prefix,
                                                   Observer observer) {
  MutexLock lock(&mu_);
  const ObserverId id = next_observer_id_++;
  observers_.push_back({id, std::string(prefix), true, std::move(observer)});
  return id;
}

void PrefStore::RemoveObserver(ObserverId id) {
  MutexLock lock(&mu_);
  observers_.erase(std::remove_if(observers_.begin(), observers_.end(),
                                  [id](const ObserverEntry& entry) {
                                    return entry.id == id;
                                  }),
                   observers_.end());
}

absl::Status PrefStore::WatchFile(
    std::function<void(const absl::StatusOr<LoadReport>&)> on_reload) {
  StopWatching();
  std::string path;
  {
    MutexLock lock(&mu_);
    path = file_path_;
  }
  if (path.empty()) {
    return absl::FailedPreconditionError("no pref file was loaded");
  }
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string basename =
      slash == std::string::npos ? path : path.substr(slash + 1);
  const int inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd < 0) {
    return absl::InternalError(
        absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  if (inotify_add_watch(inotify_fd, dir.c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    const int saved = errno;
    close(inotify_fd);
    return absl::InternalError(
        absl::StrCat("cannot watch ", dir, ": ", std::strerror(saved)));
  }
  watch_stop_fd_ = eventfd(0, EFD_CLOEXEC);
  on_reload_ = std::move(on_reload);
  watcher_ = std::thread(&PrefStore::WatchLoop, this, inotify_fd,
                         watch_stop_fd_, basename);
  return absl::OkStatus();
}

void PrefStore::StopWatching() {
  if (!watcher_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(watch_stop_fd_, &one, sizeof(one));
  if (watcher_.get_id() == std::this_thread::get_id()) {
    // Called from a reload's own callback (the store going away): the
    // watcher cannot wait for itself; it stops when the callback returns.
    watcher_.detach();
    close(watch_stop_fd_);
    watch_stop_fd_ = -1;
    return;
  }
  watcher_.join();
  close(watch_stop_fd_);
  watch_stop_fd_ = -1;
}

void PrefStore::WatchLoop(int inotify_fd, int stop_fd, std::string basename) {
  alignas(inotify_event) char buffer[4096];
  while (true) {
    pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    bool ours = false;
    ssize_t n;
    while ((n = read(inotify_fd, buffer, sizeof(buffer))) > 0) {
      for (char* p = buffer; p < buffer + n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(p);
        if (event->len > 0 && basename == event->name) ours = true;
        p += sizeof(inotify_event) + event->len;
      }
    }
    if (!ours) continue;
    const std::shared_ptr<std::atomic<bool>> alive = alive_;
    // A copy: the callback may destroy the store, and its member with it.
    const auto on_reload = on_reload_;
    auto result = Reload();
    if (alive->load() && on_reload) on_reload(result);
    // An observer or the reload callback destroyed the store: its
    // StopWatching left this thread detached, to end here.
    if (!alive->load()) break;
  }
  close(inotify_fd);
}

}  // namespace trr::prefs
