// Resolver, the public class: each call goes to Resolver::Impl
// (trr/resolver/resolver_impl.h), ResolveSync waiting on its own stack.

#include "trr/public/public_status.h"
#include "trr/resolver.h"
#include "trr/resolver/resolver_impl.h"
#include "trr/resolver/resolver_testing.h"

namespace trr {

StatusOr<std::unique_ptr<Resolver>> Resolver::Create(Options options) {
  return ResolverFactory::Create(std::move(options), ResolverSeams());
}

StatusOr<std::unique_ptr<Resolver>> ResolverFactory::Create(
    Resolver::Options options, ResolverSeams seams) {
  if (options.native_threads < 1) {
    return InvalidArgumentError("Resolver::Options::native_threads < 1");
  }
  if (seams.clock == nullptr) seams.clock = RealClock::Get();
  auto impl =
      std::make_unique<Resolver::Impl>(std::move(options), std::move(seams));
  if (absl::Status status = impl->status(); !status.ok()) {
    return FromAbsl(status);
  }
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

Resolver::Started Resolver::Resolve(std::string_view host,
                                    const ResolveOptions& options,
                                    Callback done) {
  return impl_->Resolve(ToAbsl(host), options, Completion(std::move(done)));
}

ResolveResult Resolver::ResolveSync(std::string_view host,
                                    const ResolveOptions& options) {
  if (impl_->OnNetworkThread()) {
    // From a callback: the answer would need the thread that is waiting.
    ResolveResult refused;
    refused.status = FailedPreconditionError(
        "ResolveSync called on the resolver's network thread (from a "
        "callback or an observer); use Resolve there");
    return refused;
  }
  SyncWait wait;
  // An answer known at once comes back from Resolve, not the callback
  // (options are copied only when the caller asked for that).
  std::optional<ResolveOptions> sync_options;
  if (options.complete_async) {
    sync_options = options;
    sync_options->complete_async = false;
  }
  Started started = impl_->Resolve(
      ToAbsl(host), sync_options ? *sync_options : options, Completion(&wait));
  if (started.answered()) return std::move(*started.result);
  MutexLock lock(&wait.mu);
  while (!wait.result) wait.cv.Wait(&wait.mu);
  return std::move(*wait.result);
}

ResolveResult Resolver::LookupIpHint(std::string_view host,
                                     const ResolveOptions& options) {
  return impl_->IpHintAnswer(ToAbsl(host), options);
}

void Resolver::Cancel(RequestId id) { impl_->Cancel(id); }
Status Resolver::WatchPrefsFile(
    std::function<void(const StatusOr<prefs::LoadReport>&)> on_reload) {
  return FromAbsl(impl_->prefs().WatchFile(
      [on_reload = std::move(on_reload)](
          const absl::StatusOr<prefs::LoadReport>& report) {
        if (on_reload) on_reload(FromAbsl(report));
      }));
}

std::optional<prefs::EffectivePref> Resolver::GetPref(
    std::string_view name) const {
  return impl_->prefs().Lookup(ToAbsl(name));
}

uint64_t Resolver::AddPrefObserver(
    std::string_view prefix,
    std::function<void(const prefs::PrefChange&)> observer) {
  return impl_->prefs().AddPrefixObserver(ToAbsl(prefix), std::move(observer));
}

void Resolver::RemovePrefObserver(uint64_t id) {
  impl_->prefs().RemoveObserver(id);
}

// A pref observer may destroy the resolver while the change is notified:
// then nothing of it is touched after (its alive flag says so).
Status Resolver::SetPrefs(
    const std::vector<std::pair<std::string, prefs::PrefValue>>& values) {
  const std::shared_ptr<std::atomic<bool>> alive = impl_->alive();
  absl::Status status = impl_->prefs().SetOverrides(values);
  if (alive->load()) impl_->WaitForPrefs();
  return FromAbsl(status);
}

StatusOr<prefs::LoadReport> Resolver::LoadPrefsFile(const std::string& path) {
  const std::shared_ptr<std::atomic<bool>> alive = impl_->alive();
  auto report = impl_->prefs().LoadFile(path);
  if (alive->load()) impl_->WaitForPrefs();
  return FromAbsl(std::move(report));
}

void Resolver::OnNetworkChanged() { impl_->OnNetworkChanged(); }
void Resolver::SetCaptivePortalState(CaptivePortalState state) {
  impl_->SetCaptivePortalState(state);
}
uint64_t Resolver::AddServerObserver(
    std::function<void(const ServerEvent&)> observer) {
  return impl_->AddServerObserver(std::move(observer));
}
void Resolver::RemoveServerObserver(uint64_t id) {
  impl_->RemoveServerObserver(id);
}
void Resolver::ReportConnectFailure(std::string_view host) {
  impl_->ReportConnectFailure(ToAbsl(host));
}
void Resolver::SetDnsSuffixes(const std::vector<std::string>& suffixes) {
  impl_->SetDnsSuffixes(suffixes);
}
void Resolver::ClearCache() { impl_->ClearCache(); }
ResolverSnapshot Resolver::Snapshot() const { return impl_->Snapshot(); }

}  // namespace trr
