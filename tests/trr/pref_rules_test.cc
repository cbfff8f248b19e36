// The one table of what a pref's change does (trr/resolver/pref_rules.h):
// its rows name registered prefs, checks sit on string prefs, and the
// effects the resolver relies on are there.

#include "trr/resolver/pref_rules.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "prefs/pref_registry.h"

namespace trr {
namespace {

TEST(PrefRulesTest, EveryRowIsARegisteredPrefOnce) {
  std::set<std::string> seen;
  for (const PrefRule& rule : PrefRules()) {
    SCOPED_TRACE(rule.name);
    const prefs::PrefSpec* spec =
        prefs::PrefRegistry::Default().Find(rule.name);
    ASSERT_NE(spec, nullptr);
    EXPECT_TRUE(seen.insert(rule.name).second) << "listed twice";
    if (rule.check != nullptr || rule.secret) {
      EXPECT_TRUE(spec->default_value.is_string()) << "a string pref";
    }
  }
}

TEST(PrefRulesTest, TheEffectsTheResolverReliesOn) {
  // A new URI or bootstrap address is a new server list, which confirms
  // itself; how servers are reached reconfigures them.
  EXPECT_TRUE(EffectsOf({"network.trr.uri"}) & kRebuildServers);
  EXPECT_TRUE(EffectsOf({"network.trr.uri"}) & kClearBlocklist);
  EXPECT_TRUE(EffectsOf({"network.trr.bootstrapAddr"}) & kRebuildServers);
  EXPECT_TRUE(EffectsOf({"network.trr.ca_file"}) & kReconfigureTransports);
  EXPECT_TRUE(EffectsOf({"network.proxy.ssl"}) & kReconfigureTransports);
  EXPECT_TRUE(EffectsOf({"network.trr.mode"}) & kRestartConfirmation);
  EXPECT_TRUE(EffectsOf({"network.dns.native_nameserver"}) &
              kNewNativeResolver);
  // Prefs read at each use have no effect of their own.
  EXPECT_EQ(EffectsOf({"network.trr.request_timeout_ms",
                       "network.trr.temp_blocklist_duration_sec"}),
            static_cast<uint32_t>(kNoEffect));
  // Effects add up.
  EXPECT_EQ(EffectsOf({"network.trr.ddr.enabled",
                       "network.trr.split_horizon_mitigations"}),
            static_cast<uint32_t>(kDiscovery | kReadSuffixes));
  EXPECT_TRUE(IsSecretPref("network.trr.credentials"));
  EXPECT_FALSE(IsSecretPref("network.trr.uri"));
}

}  // namespace
}  // namespace trr
