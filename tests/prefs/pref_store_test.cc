#include "prefs/pref_store.h"

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/test_process.h"

namespace trr::prefs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kMode[] = "network.trr.mode";
constexpr char kUri[] = "network.trr.uri";

TEST(PrefStoreTest, StartsWithFirefoxDefaults) {
  PrefStore store;
  EXPECT_EQ(store.GetInt(kMode), 0);
  EXPECT_EQ(store.GetString("network.trr.default_provider_uri"),
            "https://mozilla.cloudflare-dns.com/dns-query");
  EXPECT_EQ(store.GetString("network.trr.confirmationNS"), "example.com");
  EXPECT_EQ(store.GetInt("network.trr.request_timeout_ms"), 1500);
  EXPECT_EQ(store.GetInt("network.trr.padding.length"), 128);
  EXPECT_TRUE(store.GetBool("network.trr.wait-for-A-and-AAAA"));
  EXPECT_EQ(store.GetInt("network.dnsCacheEntries"), 800);
  EXPECT_FALSE(store.GetBool("network.dns.serve_stale"));
  EXPECT_EQ(store.GetInt("network.dns.serve_stale.max_sec"), 86400);
  EXPECT_EQ(store.Lookup(kMode)->layer, PrefLayer::kDefault);
}

// PrefValues is made from pref_list.inc as the registry is: a fresh one
// holds every default the store starts with, and a snapshot's values are
// the store's values, pref by pref.
TEST(PrefValuesTest, HoldsTheDefaultsAndASnapshotsValuesForEveryPref) {
  PrefStore store;
  const PrefValues defaults;
  const PrefValues fresh = store.Snapshot().Values();
  int prefs = 0;
#define TRR_PREF_BOOL(key, name, ...)                              \
  EXPECT_EQ(defaults.Get(keys::key), store.GetBool(name)) << name; \
  EXPECT_EQ(fresh.Get(keys::key), store.GetBool(name)) << name;    \
  ++prefs;
#define TRR_PREF_INT(key, name, ...)                              \
  EXPECT_EQ(defaults.Get(keys::key), store.GetInt(name)) << name; \
  EXPECT_EQ(fresh.Get(keys::key), store.GetInt(name)) << name;    \
  ++prefs;
#define TRR_PREF_STRING(key, name, ...)                              \
  EXPECT_EQ(defaults.Get(keys::key), store.GetString(name)) << name; \
  EXPECT_EQ(fresh.Get(keys::key), store.GetString(name)) << name;    \
  ++prefs;
#include "prefs/pref_list.inc"
#undef TRR_PREF_BOOL
#undef TRR_PREF_INT
#undef TRR_PREF_STRING
  EXPECT_GT(prefs, 50);

  ASSERT_TRUE(store
                  .LoadText("user_pref(\"network.trr.mode\", 3);\n"
                            "user_pref(\"network.trr.useGET\", true);\n"
                            "user_pref(\"network.trr.confirmationNS\", "
                            "\"skip\");\n",
                            "user.js")
                  .ok());
  const PrefValues set = store.Snapshot().Values();
  EXPECT_EQ(set.Get(keys::kTrrMode), 3);
  EXPECT_TRUE(set.Get(keys::kTrrUseGET));
  EXPECT_EQ(set.Get(keys::kTrrConfirmationNS), "skip");
  EXPECT_EQ(set.Get(keys::kTrrRequestTimeoutMs),
            defaults.Get(keys::kTrrRequestTimeoutMs));
}

TEST(PrefStoreTest, FileValuesApplyAndUserPrefBeatsPref) {
  PrefStore store;
  auto report = store.LoadText(
      "user_pref(\"network.trr.mode\", 3);\n"
      "pref(\"network.trr.uri\", \"https://a.example/dns-query\");\n"
      "user_pref(\"network.trr.useGET\", true);\n"
      "pref(\"network.trr.useGET\", false);\n",
      "user.js");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->changed, ElementsAre(kMode, kUri, "network.trr.useGET"));
  EXPECT_EQ(store.GetInt(kMode), 3);
  EXPECT_EQ(store.GetString(kUri), "https://a.example/dns-query");
  EXPECT_TRUE(store.GetBool("network.trr.useGET"));
  EXPECT_EQ(store.Lookup(kMode)->layer, PrefLayer::kFile);
}

TEST(PrefStoreTest, OverridesBeatTheFile) {
  PrefStore store;
  ASSERT_TRUE(store.LoadText("user_pref(\"network.trr.mode\", 2);", "f").ok());
  ASSERT_TRUE(store.SetOverride(kMode, int32_t{3}).ok());
  EXPECT_EQ(store.GetInt(kMode), 3);
  EXPECT_EQ(store.Lookup(kMode)->layer, PrefLayer::kOverride);
  // A new file does not disturb the override.
  ASSERT_TRUE(store.LoadText("user_pref(\"network.trr.mode\", 1);", "f").ok());
  EXPECT_EQ(store.GetInt(kMode), 3);
  store.ClearOverride(kMode);
  EXPECT_EQ(store.GetInt(kMode), 1);
}

TEST(PrefStoreTest, LockedPrefIgnoresUserValuesAndOverrides) {
  PrefStore store;
  ASSERT_TRUE(store
                  .LoadText("pref(\"network.trr.mode\", 3, locked);\n"
                            "user_pref(\"network.trr.mode\", 0);",
                            "f")
                  .ok());
  EXPECT_EQ(store.GetInt(kMode), 3);
  EXPECT_TRUE(store.Lookup(kMode)->locked);
  auto status = store.SetOverride(kMode, int32_t{0});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.GetInt(kMode), 3);
}

TEST(PrefStoreTest, DeprecatedNamesAreAliasesWithAWarning) {
  PrefStore store;
  auto report = store.LoadText(
      "user_pref(\"network.trr.bootstrapAddress\", \"192.0.2.1\");\n"
      "user_pref(\"network.trr.blacklist-duration\", 30);\n"
      "user_pref(\"network.trr.request-timeout\", 900);\n",
      "old.js");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(store.GetString("network.trr.bootstrapAddr"), "192.0.2.1");
  EXPECT_EQ(store.GetInt("network.trr.temp_blocklist_duration_sec"), 30);
  EXPECT_EQ(store.GetInt("network.trr.request_timeout_ms"), 900);
  ASSERT_EQ(report->warnings.size(), 3u);
  EXPECT_THAT(report->warnings[0],
              HasSubstr("old.js:1:1: network.trr.bootstrapAddress is "
                        "deprecated; use network.trr.bootstrapAddr"));
  ASSERT_TRUE(
      store.SetOverride("network.trr.request-timeout", int32_t{700}).ok());
  EXPECT_EQ(store.GetInt("network.trr.request_timeout_ms"), 700);
}

// Both names set: the current one wins whatever the order, as Firefox,
// which reads only the current name, would have it.
TEST(PrefStoreTest, TheCurrentNameWinsOverItsDeprecatedAlias) {
  for (const bool alias_last : {false, true}) {
    SCOPED_TRACE(alias_last ? "alias last" : "alias first");
    const std::string current =
        "user_pref(\"network.trr.bootstrapAddr\", \"192.0.2.2\");\n";
    const std::string old =
        "user_pref(\"network.trr.bootstrapAddress\", \"192.0.2.1\");\n";
    PrefStore store;
    auto report =
        store.LoadText(alias_last ? current + old : old + current, "both.js");
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(store.GetString("network.trr.bootstrapAddr"), "192.0.2.2");
    ASSERT_EQ(report->warnings.size(), 1u);
    EXPECT_THAT(report->warnings[0],
                HasSubstr("network.trr.bootstrapAddress is deprecated and "
                          "ignored: network.trr.bootstrapAddr is set"));
    // The same in one call of overrides.
    const std::vector<std::pair<std::string, PrefValue>> both = {
        {"network.trr.bootstrapAddr", std::string("192.0.2.4")},
        {"network.trr.bootstrapAddress", std::string("192.0.2.3")}};
    ASSERT_TRUE(
        store.SetOverrides(alias_last ? both : decltype(both){both[1], both[0]})
            .ok());
    EXPECT_EQ(store.GetString("network.trr.bootstrapAddr"), "192.0.2.4");
  }
}

TEST(PrefStoreTest, UnknownPrefsAreKeptWithAWarning) {
  PrefStore store;
  auto report = store.LoadText(
      "user_pref(\"browser.startup.page\", 3);\n"
      "user_pref(\"network.trr.mode\", 2);",
      "prefs.js");
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_THAT(report->warnings[0],
              HasSubstr("prefs.js:1:1: unknown pref browser.startup.page"));
  auto kept = store.Lookup("browser.startup.page");
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->known);
  EXPECT_EQ(kept->value, PrefValue(int32_t{3}));
  // NotFound is for names that do not resolve; an unknown pref is a bad
  // argument.
  const absl::Status unknown =
      store.SetOverride("browser.startup.page", int32_t{1});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(),
              HasSubstr("unknown pref browser.startup.page"));
}

TEST(PrefStoreTest, APrefsOwnValidatorRefusesWhenSetAndKeepsThePrevious) {
  PrefStore store;
  store.SetValidator(kUri, [](const PrefValue& value) {
    return value.string_value().find(' ') == std::string::npos
               ? absl::OkStatus()
               : absl::InvalidArgumentError("at character 3: a space");
  });
  ASSERT_TRUE(store.SetOverride(kUri, std::string("https://a/q")).ok());
  const absl::Status refused = store.SetOverride(kUri, std::string("ab cd"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "network.trr.uri: at character 3: a space");
  EXPECT_EQ(store.GetString(kUri), "https://a/q");
  auto file = store.LoadText(
      "user_pref(\"network.trr.mode\", 3);\n"
      "user_pref(\"network.trr.uri\", \"x y\");",
      "v.js");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            "v.js:2:1: network.trr.uri: at character 3: a space");
  EXPECT_EQ(store.GetString(kUri), "https://a/q");
}

TEST(PrefStoreTest, WrongTypeOrRangeRejectsTheWholeFile) {
  PrefStore store;
  ASSERT_TRUE(
      store.LoadText("user_pref(\"network.trr.mode\", 2);", "a.js").ok());
  auto wrong_type = store.LoadText(
      "user_pref(\"network.trr.mode\", 3);\n"
      "user_pref(\"network.trr.uri\", 5);",
      "b.js");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().message(),
            "b.js:2:1: network.trr.uri is a string pref; got int 5");
  EXPECT_EQ(store.GetInt(kMode), 2);  // nothing of b.js applied
  auto out_of_range = store.LoadText(
      "user_pref(\"network.trr.padding.length\", 4096);", "c.js");
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_THAT(out_of_range.status().message(),
              HasSubstr("c.js:1:1: network.trr.padding.length must be within "
                        "0..1024; got 4096"));
  EXPECT_EQ(store.SetOverride(kUri, int32_t{1}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PrefStoreTest, TypedKeysAndASnapshotReadTheSameValues) {
  PrefStore store;
  ASSERT_TRUE(store
                  .LoadText("user_pref(\"network.trr.mode\", 3);\n"
                            "user_pref(\"network.trr.useGET\", true);\n"
                            "user_pref(\"network.trr.uri\", \"https://a/q\");",
                            "a.js")
                  .ok());
  EXPECT_EQ(store.Get(keys::kTrrMode), 3);
  EXPECT_TRUE(store.Get(keys::kTrrUseGET));
  EXPECT_EQ(store.Get(keys::kTrrUri), "https://a/q");
  const PrefSnapshot snapshot = store.Snapshot();
  // Later changes do not reach a snapshot taken before them.
  ASSERT_TRUE(store.SetOverride(kMode, int32_t{2}).ok());
  EXPECT_EQ(snapshot.Get(keys::kTrrMode), 3);
  EXPECT_EQ(store.Get(keys::kTrrMode), 2);
  EXPECT_EQ(snapshot.Get(keys::kTrrPaddingLength), 128);  // a default
  EXPECT_EQ(snapshot.Get(keys::kTrrConfirmationNS), "example.com");
}

TEST(PrefStoreTest, CredentialsWithALineBreakAreRefused) {
  // They go out as the Authorization header; over HTTP/1.1 a line break
  // would add a header of the file's choosing.
  PrefStore store;
  ASSERT_TRUE(store.SetOverride("network.trr.credentials", "Bearer a").ok());
  const absl::Status status =
      store.SetOverride("network.trr.credentials", "Bearer a\r\nX-Injected: 1");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "network.trr.credentials must not contain line breaks (it is an "
            "HTTP header)");
  EXPECT_EQ(store.GetString("network.trr.credentials"), "Bearer a");
}

TEST(PrefStoreTest, BrokenFileChangesNothingAndNotifiesNoOne) {
  PrefStore store;
  ASSERT_TRUE(
      store.LoadText("user_pref(\"network.trr.mode\", 2);", "a.js").ok());
  int notifications = 0;
  store.AddPrefixObserver("", [&](const PrefChange&) { ++notifications; });
  auto broken = store.LoadText(
      "user_pref(\"network.trr.mode\", 3);\nuser_pref(\"network.trr.uri\"",
      "a.js");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("a.js:2:28: expected ','"));
  EXPECT_EQ(store.GetInt(kMode), 2);
  EXPECT_EQ(notifications, 0);
}

TEST(PrefStoreTest, ObserversSeeOneConsistentSnapshotOncePerChange) {
  PrefStore store;
  std::vector<std::string> log;
  store.AddObserver(kMode, [&](const PrefChange& c) {
    // The whole file is applied before anyone hears of it.
    log.push_back(absl::StrCat("first:", c.name, ":", c.old_value.ToLiteral(),
                               "->", c.new_value.ToLiteral(),
                               " uri=", store.GetString(kUri)));
  });
  store.AddPrefixObserver("network.trr.", [&](const PrefChange& c) {
    log.push_back(absl::StrCat("prefix:", c.name));
  });
  store.AddObserver("network.trr.useGET",
                    [&](const PrefChange&) { log.push_back("never"); });
  ASSERT_TRUE(store
                  .LoadText("user_pref(\"network.trr.mode\", 3);\n"
                            "user_pref(\"network.trr.uri\", \"https://x/\");\n"
                            "user_pref(\"network.trr.mode\", 3);\n"
                            "user_pref(\"network.dnsCacheEntries\", 5);",
                            "f")
                  .ok());
  EXPECT_THAT(log,
              ElementsAre("first:network.trr.mode:0->3 uri=https://x/",
                          "prefix:network.trr.mode", "prefix:network.trr.uri"));
}

TEST(PrefStoreTest, RemovedObserverIsNotCalled) {
  PrefStore store;
  int calls = 0;
  auto id = store.AddObserver(kMode, [&](const PrefChange&) { ++calls; });
  ASSERT_TRUE(store.SetOverride(kMode, int32_t{2}).ok());
  store.RemoveObserver(id);
  ASSERT_TRUE(store.SetOverride(kMode, int32_t{3}).ok());
  EXPECT_EQ(calls, 1);
}

TEST(PrefStoreTest, AnObserverMayDestroyTheStore) {
  // The store goes away in the first observer's call: the second observer
  // and the second change are not notified, and nothing of the store is
  // touched after (ASan runs this too).
  auto store = std::make_unique<PrefStore>(PrefRegistry::Default());
  int calls = 0;
  store->AddPrefixObserver("network.", [&](const PrefChange&) {
    ++calls;
    store.reset();
  });
  store->AddPrefixObserver("network.", [&](const PrefChange&) { ++calls; });
  PrefStore* raw = store.get();
  ASSERT_TRUE(
      raw->SetOverrides({{"network.trr.mode", PrefValue(int32_t{2})},
                         {"network.trr.max-fails", PrefValue(int32_t{3})}})
          .ok());
  EXPECT_EQ(store, nullptr);
  EXPECT_EQ(calls, 1);
}

TEST(PrefStoreTest, ReloadNotifiesOnlyWhatChanged) {
  testing::TempDir dir;
  const std::string path = dir.WriteFile(
      "user.js",
      "user_pref(\"network.trr.mode\", 2);\nuser_pref(\"network.trr.uri\", "
      "\"https://a/\");");
  PrefStore store;
  ASSERT_TRUE(store.LoadFile(path).ok());
  std::vector<std::string> changed;
  store.AddPrefixObserver(
      "", [&](const PrefChange& c) { changed.push_back(c.name); });
  auto same = store.Reload();
  ASSERT_TRUE(same.ok());
  EXPECT_THAT(same->changed, IsEmpty());
  EXPECT_THAT(changed, IsEmpty());
  dir.WriteFile(
      "user.js",
      "user_pref(\"network.trr.mode\", 3);\nuser_pref(\"network.trr.uri\", "
      "\"https://a/\");");
  auto reloaded = store.Reload();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_THAT(changed, ElementsAre(kMode));
  // Removing a pref from the file returns it to its default.
  dir.WriteFile("user.js", "user_pref(\"network.trr.mode\", 3);");
  ASSERT_TRUE(store.Reload().ok());
  EXPECT_THAT(changed, ElementsAre(kMode, kUri));
  EXPECT_EQ(store.GetString(kUri), "");
}

TEST(PrefStoreTest, AMissingFileOrADirectoryIsRefusedAndChangesNothing) {
  PrefStore store;
  ASSERT_TRUE(
      store.LoadText("user_pref(\"network.trr.mode\", 2);", "a.js").ok());
  auto missing = store.LoadFile("/nonexistent/user.js");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("cannot read /nonexistent/user.js"));
  // A directory opens and reads as empty: it must not clear the prefs.
  const std::string dir = ::testing::TempDir();
  auto directory = store.LoadFile(dir);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(directory.status().message(), HasSubstr("not a regular file"));
  EXPECT_EQ(store.GetInt(kMode), 2);
}

// An observer may change prefs: nothing of the store is locked while it
// runs. Its change is notified after the one that called it, in order, and
// both are in effect when the outer call returns.
TEST(PrefStoreTest, AnObserverMaySetPrefsAndItsChangeIsNotifiedNext) {
  PrefStore store;
  std::vector<std::string> seen;
  store.AddObserver(kMode, [&](const PrefChange& c) {
    seen.push_back(absl::StrCat("mode=", c.new_value.int_value()));
    if (c.new_value.int_value() == 2) {
      EXPECT_TRUE(
          store.SetOverride(kUri, std::string("https://x.test/q")).ok());
      // Not notified yet: the mode's notifications come first.
      seen.push_back("set uri");
    }
  });
  store.AddObserver(kUri, [&](const PrefChange& c) {
    seen.push_back(absl::StrCat("uri=", c.new_value.string_value()));
  });
  ASSERT_TRUE(store.SetOverride(kMode, int32_t{2}).ok());
  EXPECT_THAT(seen, ElementsAre("mode=2", "set uri", "uri=https://x.test/q"));
  EXPECT_EQ(store.GetString(kUri), "https://x.test/q");
  // A file load from an observer too.
  seen.clear();
  store.AddObserver("network.trr.useGET", [&](const PrefChange&) {
    auto loaded = store.LoadText("user_pref(\"network.trr.mode\", 3);", "b.js");
    EXPECT_TRUE(loaded.ok());
  });
  ASSERT_TRUE(store.SetOverride("network.trr.useGET", true).ok());
  EXPECT_EQ(store.GetInt(kMode), 2);  // the override still beats the file
  ASSERT_TRUE(store.SetOverride("network.trr.useGET", false).ok());
}

// Another thread's change, made while an observer runs, waits for its own
// notification (so it is in effect when its call returns) and is notified
// after the running one, never in the middle of it.
TEST(PrefStoreTest, ChangesFromTwoThreadsAreNotifiedOneAfterTheOther) {
  PrefStore store;
  Mutex mu;
  CondVar cv;
  bool in_observer = false, release = false;
  std::vector<std::string> seen;
  store.AddPrefixObserver("network.trr.", [&](const PrefChange& c) {
    MutexLock lock(&mu);
    seen.push_back(absl::StrCat(c.name, " begins"));
    if (c.name == kMode) {
      in_observer = true;
      cv.SignalAll();
      while (!release) cv.Wait(&mu);
    }
    seen.push_back(absl::StrCat(c.name, " ends"));
  });
  std::thread first(
      [&] { ASSERT_TRUE(store.SetOverride(kMode, int32_t{3}).ok()); });
  {
    MutexLock lock(&mu);
    while (!in_observer) cv.Wait(&mu);
  }
  bool second_returned = false;
  std::thread second([&] {
    ASSERT_TRUE(store.SetOverride(kUri, std::string("https://y.test/q")).ok());
    MutexLock lock(&mu);
    second_returned = true;
    // Its own notification ran before it returned.
    EXPECT_EQ(seen.back(), "network.trr.uri ends");
  });
  {
    MutexLock lock(&mu);
    EXPECT_FALSE(second_returned);
    release = true;
    cv.SignalAll();
  }
  first.join();
  second.join();
  EXPECT_THAT(seen,
              ElementsAre("network.trr.mode begins", "network.trr.mode ends",
                          "network.trr.uri begins", "network.trr.uri ends"));
}

TEST(PrefStoreTest, WatchedFileReloadsWhenItChangesOnDisk) {
  testing::TempDir dir;
  const std::string path =
      dir.WriteFile("user.js", "user_pref(\"network.trr.mode\", 2);");
  PrefStore store;
  ASSERT_TRUE(store.LoadFile(path).ok());
  Mutex mu;
  CondVar cv;
  int mode_seen = 0;
  std::string last_error;
  ASSERT_TRUE(store
                  .WatchFile([&](const absl::StatusOr<LoadReport>& result) {
                    MutexLock lock(&mu);
                    if (!result.ok())
                      last_error = std::string(result.status().message());
                    cv.SignalAll();
                  })
                  .ok());
  store.AddObserver(kMode, [&](const PrefChange& c) {
    MutexLock lock(&mu);
    mode_seen = c.new_value.int_value();
    cv.SignalAll();
  });
  // An editor's way: write a new file and rename it over the old one.
  dir.WriteFile("user.js.tmp", "user_pref(\"network.trr.mode\", 3);");
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                     [&] { return mode_seen == 3; }));
  }
  // A broken save is reported and changes nothing.
  dir.WriteFile("user.js", "user_pref(\"network.trr.mode\", ");
  {
    MutexLock lock(&mu);
    ASSERT_TRUE(cv.AwaitWithDeadline(&mu, absl::Now() + absl::Seconds(10),
                                     [&] { return !last_error.empty(); }));
    EXPECT_THAT(last_error, HasSubstr("user.js:1:"));
  }
  EXPECT_EQ(store.GetInt(kMode), 3);
  store.StopWatching();
}

TEST(PrefStoreTest, EffectiveListsEveryPrefWithItsLayer) {
  PrefStore store;
  ASSERT_TRUE(store
                  .LoadText("user_pref(\"network.trr.mode\", 2);"
                            "user_pref(\"zzz.unknown\", true);",
                            "f")
                  .ok());
  ASSERT_TRUE(store.SetOverride(kUri, std::string("https://o/")).ok());
  auto all = store.Effective();
  EXPECT_EQ(all.size(), PrefRegistry::Default().specs().size() + 1);
  for (const EffectivePref& pref : all) {
    if (pref.name == kMode) {
      EXPECT_EQ(pref.layer, PrefLayer::kFile);
    }
    if (pref.name == kUri) {
      EXPECT_EQ(pref.layer, PrefLayer::kOverride);
    }
    if (pref.name == "network.trr.useGET") {
      EXPECT_EQ(pref.layer, PrefLayer::kDefault);
    }
  }
  EXPECT_EQ(all.back().name, "zzz.unknown");
  EXPECT_STREQ(PrefLayerName(PrefLayer::kOverride), "override");
}

TEST(PrefRegistryTest, EveryPrefIsDocumentedInDocsPrefsMd) {
  std::ifstream in("docs/prefs.md");
  ASSERT_TRUE(in) << "docs/prefs.md missing (tests run from the source root)";
  const std::string doc((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  // The two tables are the registry's own (prefs/pref_list.inc), verbatim:
  // on a change there, paste what this prints into docs/prefs.md.
  for (PrefOrigin origin : {PrefOrigin::kFirefox, PrefOrigin::kTrr}) {
    const std::string table = PrefRegistry::Default().MarkdownTable(origin);
    EXPECT_THAT(doc, HasSubstr(table)) << "docs/prefs.md should have:\n"
                                       << table;
  }
  for (const PrefAlias& alias : PrefRegistry::Default().aliases()) {
    EXPECT_THAT(doc, HasSubstr(absl::StrCat("`", alias.old_name, "`")));
  }
}

}  // namespace
}  // namespace trr::prefs
