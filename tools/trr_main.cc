// trr: the command line of the trr resolver.
//
//   trr resolve [--prefs FILE] [--pref NAME=VALUE]... [--type A|AAAA|HTTPS|TXT]
//               [--json] [--dump[=text|json]] NAME...
//   trr serve   [--prefs FILE] [--pref NAME=VALUE]... [--port N]
//   trr uri URI...      trr ip ADDRESS...
//
// Exit status: 0 when every name resolved, 1 when any failed, 2 for usage
// and configuration errors (the message names the flag or pref, and
// FILE:LINE:COLUMN for a pref file).

#include <signal.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "api/dump.h"
#include "base/mutex.h"
#include "prefs/pref_registry.h"
#include "tools/dashboard.h"
#include "trr/dns/base64url.h"
#include "trr/ip_address.h"
#include "trr/resolver.h"
#include "trr/transport/doh_uri.h"

ABSL_FLAG(std::string, prefs, "", "a prefs.js / user.js file to load");
ABSL_FLAG(std::vector<std::string>, pref, {},
          "NAME=VALUE, a pref override; may be repeated");
ABSL_FLAG(std::string, type, "", "A, AAAA, HTTPS or TXT (default: A and AAAA)");
ABSL_FLAG(bool, json, false, "print the results as one JSON array");
ABSL_FLAG(std::string, dump, "",
          "after the results, print the about:networking view: text or json");
ABSL_FLAG(int, port, 8053,
          "trr serve: the port on 127.0.0.1 (0: any free one)");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    R"(usage:
  trr resolve [--prefs FILE] [--pref NAME=VALUE]... [--type A|AAAA|HTTPS|TXT]
              [--json] [--dump[=text|json]] NAME...
      Resolves every NAME under the prefs and prints one line per name (or,
      with --json, one JSON array); --dump then prints the about:networking
      view. Exit status 0 if every name resolved, 1 if any failed, 2 for
      usage or configuration errors.
  trr serve [--prefs FILE] [--pref NAME=VALUE]... [--port N]
      A live about:networking#dns dashboard on http://127.0.0.1:N/.
  trr uri URI...
      Parses DoH URIs as network.trr.uri takes them.
  trr ip ADDRESS...
      Classifies addresses as network.trr.allow-rfc1918 sees them.

Prefs use Firefox's names (docs/prefs.md), e.g.
  trr resolve --pref network.trr.mode=3 \
      --pref network.trr.uri=https://dns.example/dns-query www.example.com
)";

int Usage(const std::string& error) {
  if (!error.empty()) std::fprintf(stderr, "trr: %s\n", error.c_str());
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

// Splits argv into the --pref values (which may hold commas, so they do
// not go through absl's comma-splitting) and the rest, rewrites a bare
// --dump to --dump=text, and refuses flags trr does not have.
struct SplitArgs {
  std::vector<std::string> prefs;
  std::vector<std::string> rest;
  std::string error;
  bool help = false;
};

SplitArgs Split(int argc, char** argv) {
  static const char* const kFlags[] = {"prefs",  "type", "json",
                                       "nojson", "dump", "port"};
  SplitArgs out;
  out.rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) out.rest.push_back(argv[i]);
      break;
    }
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      out.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "-")) {
      out.rest.push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = name.find('=');
    const std::string bare = name.substr(0, eq);
    if (bare == "pref") {
      if (eq != std::string::npos) {
        out.prefs.push_back(name.substr(eq + 1));
      } else if (i + 1 < argc) {
        out.prefs.push_back(argv[++i]);
      } else {
        out.error = "--pref needs NAME=VALUE";
      }
      continue;
    }
    if (std::find(std::begin(kFlags), std::end(kFlags), bare) ==
        std::end(kFlags)) {
      out.error = absl::StrCat("unknown flag ", arg);
      continue;
    }
    if (bare == "dump" && eq == std::string::npos) arg = "--dump=text";
    out.rest.push_back(arg);
  }
  return out;
}

std::string Addresses(const trr::ResolveResult& r) {
  std::vector<std::string> out;
  for (const trr::IpAddress& ip : r.addresses) out.push_back(ip.ToString());
  for (const auto& record : r.https) {
    out.push_back(absl::StrCat("HTTPS ", trr::api::SvcbPresentation(record)));
  }
  for (const std::string& txt : r.txt)
    out.push_back(absl::StrCat("\"", txt, "\""));
  return absl::StrJoin(out, ", ");
}

// Applies --prefs and --pref to the resolver; prints problems to stderr.
bool ApplyPrefs(trr::Resolver& resolver, const std::string& file,
                const std::vector<std::string>& overrides) {
  if (!file.empty()) {
    auto report = resolver.LoadPrefsFile(file);
    if (!report.ok()) {
      std::fprintf(stderr, "trr: --prefs: %s\n",
                   std::string(report.status().message()).c_str());
      return false;
    }
    for (const std::string& warning : report->warnings) {
      std::fprintf(stderr, "trr: warning: %s\n", warning.c_str());
    }
  }
  std::vector<std::pair<std::string, trr::prefs::PrefValue>> values;
  for (const std::string& assignment : overrides) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "trr: --pref %s: expected NAME=VALUE\n",
                   assignment.c_str());
      return false;
    }
    std::string name = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    auto value = trr::prefs::PrefValue::ParseFlagValue(text);
    if (!value.ok()) {
      std::fprintf(stderr, "trr: --pref %s: %s\n", assignment.c_str(),
                   std::string(value.status().message()).c_str());
      return false;
    }
    // A string pref takes the text as given: "--pref ...excluded-domains=10"
    // means the string "10".
    const auto& registry = trr::prefs::PrefRegistry::Default();
    const trr::prefs::PrefAlias* alias = registry.FindAlias(name);
    const trr::prefs::PrefSpec* spec =
        registry.Find(alias != nullptr ? alias->name : name);
    if (spec != nullptr && spec->type() == trr::prefs::PrefType::kString &&
        !value->is_string()) {
      *value = trr::prefs::PrefValue(text);
    }
    values.emplace_back(std::move(name), std::move(*value));
  }
  if (trr::Status status = resolver.SetPrefs(values); !status.ok()) {
    std::fprintf(stderr, "trr: --pref: %s\n",
                 std::string(status.message()).c_str());
    return false;
  }
  return true;
}

int Resolve(const std::vector<std::string>& names, const SplitArgs& args) {
  if (names.empty()) return Usage("trr resolve needs at least one NAME");
  const auto type = trr::tools::ParseQueryType(absl::GetFlag(FLAGS_type));
  if (!type) {
    return Usage(absl::StrCat("--type ", absl::GetFlag(FLAGS_type),
                              ": expected A, AAAA, HTTPS or TXT"));
  }
  const std::string dump = absl::GetFlag(FLAGS_dump);
  if (!dump.empty() && dump != "text" && dump != "json") {
    return Usage(absl::StrCat("--dump=", dump, ": expected text or json"));
  }
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) {
    std::fprintf(stderr, "trr: %s\n",
                 std::string(resolver.status().message()).c_str());
    return kExitUsage;
  }
  if (!ApplyPrefs(**resolver, absl::GetFlag(FLAGS_prefs), args.prefs)) {
    return kExitUsage;
  }

  // All names at once; results printed in the order given.
  trr::ResolveOptions options;
  options.type = *type;
  trr::Mutex mu;
  trr::CondVar cv;
  std::vector<std::optional<trr::ResolveResult>> results(names.size());
  size_t done = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    auto complete = [&, i](const trr::ResolveResult& r) {
      trr::MutexLock lock(&mu);
      results[i] = r;
      ++done;
      cv.SignalAll();
    };
    // Literals, localhost and bad names are answered by Resolve itself.
    auto started = (*resolver)->Resolve(names[i], options, complete);
    if (started.answered()) complete(*started.result);
  }
  {
    trr::MutexLock lock(&mu);
    while (done < names.size()) cv.Wait(&mu);
  }

  bool all_ok = true;
  if (absl::GetFlag(FLAGS_json)) {
    trr::api::JsonWriter json;
    json.BeginArray();
    for (size_t i = 0; i < names.size(); ++i) {
      trr::api::WriteResultJson(names[i], *results[i], json);
      all_ok = all_ok && results[i]->ok();
    }
    json.EndArray();
    std::printf("%s\n", json.text().c_str());
  } else {
    for (size_t i = 0; i < names.size(); ++i) {
      const trr::ResolveResult& r = *results[i];
      all_ok = all_ok && r.ok();
      std::string line = absl::StrCat(names[i], "  ");
      if (r.ok()) {
        absl::StrAppend(&line, Addresses(r), "  ",
                        trr::ResultSourceName(r.source),
                        "  ttl=", r.ttl.count(), "s");
      } else {
        absl::StrAppend(&line, "error: ", r.status.message(), "  ",
                        trr::ResultSourceName(r.source));
      }
      if (r.skip_reason != trr::SkipReason::kNone) {
        absl::StrAppend(
            &line, "  (TRR skipped: ", trr::SkipReasonName(r.skip_reason), ")");
      }
      if (r.trr_failure != trr::TrrFailure::kNone &&
          r.source != trr::ResultSource::kTrr) {
        absl::StrAppend(
            &line, "  (TRR failed: ", trr::TrrFailureName(r.trr_failure), ")");
      }
      if (r.native_reason != trr::NativeReason::kNone &&
          r.native_reason != trr::NativeReason::kTrrOff) {
        absl::StrAppend(
            &line, "  (native: ", trr::NativeReasonName(r.native_reason), ")");
      }
      std::printf("%s\n", line.c_str());
    }
  }
  if (!dump.empty()) {
    const trr::ResolverSnapshot snapshot = (*resolver)->Snapshot();
    if (dump == "json") {
      std::printf("%s\n", trr::api::DumpJson(snapshot).c_str());
    } else {
      std::printf("\n%s", trr::api::DumpText(snapshot).c_str());
    }
  }
  std::fflush(stdout);
  return all_ok ? kExitOk : kExitFailed;
}

int Serve(const SplitArgs& args) {
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) return kExitUsage;
  if (!ApplyPrefs(**resolver, absl::GetFlag(FLAGS_prefs), args.prefs)) {
    return kExitUsage;
  }
  if (!absl::GetFlag(FLAGS_prefs).empty()) {
    // Edits to the pref file apply live; a broken edit keeps the old prefs.
    trr::Status watching = (*resolver)->WatchPrefsFile([](const auto& result) {
      if (!result.ok()) {
        std::fprintf(stderr, "trr: pref file not reloaded: %s\n",
                     std::string(result.status().message()).c_str());
      }
    });
    if (!watching.ok()) {
      std::fprintf(stderr, "trr: not watching the pref file: %s\n",
                   std::string(watching.message()).c_str());
    }
  }
  // Wait for SIGINT or SIGTERM with the signals blocked in every thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  trr::tools::Dashboard dashboard(resolver->get());
  auto port = dashboard.Start(absl::GetFlag(FLAGS_port));
  if (!port.ok()) {
    std::fprintf(stderr, "trr: --port: %s\n",
                 std::string(port.status().message()).c_str());
    return kExitUsage;
  }
  std::printf("trr: dashboard on http://127.0.0.1:%d/\n", *port);
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  dashboard.Stop();
  return kExitOk;
}

int ShowUris(const std::vector<std::string>& uris) {
  int status = kExitOk;
  // The RFC 8484 section 4.1.1 example query for www.example.com A.
  const uint8_t query[] = {0,   0,   1,   0,   0,   1,   0,   0,   0,
                           0,   0,   0,   3,   'w', 'w', 'w', 7,   'e',
                           'x', 'a', 'm', 'p', 'l', 'e', 3,   'c', 'o',
                           'm', 0,   0,   1,   0,   1};
  for (const std::string& text : uris) {
    auto uri = trr::ParseDohUri(text);
    if (!uri.ok()) {
      std::fprintf(stderr, "trr: %s\n",
                   std::string(uri.status().message()).c_str());
      status = kExitFailed;
      continue;
    }
    std::printf("%s\n  host %s port %u path %s\n  GET %s\n", text.c_str(),
                uri->host.c_str(), uri->port, uri->path.c_str(),
                uri->GetUrl(trr::dns::Base64UrlEncode(query)).c_str());
  }
  return status;
}

int ClassifyAddresses(const std::vector<std::string>& addresses) {
  int status = kExitOk;
  for (const std::string& text : addresses) {
    auto ip = trr::IpAddress::Parse(text);
    if (!ip) {
      std::fprintf(stderr, "trr: '%s' is not an IP address\n", text.c_str());
      status = kExitFailed;
      continue;
    }
    const char* kind = ip->IsLoopback()      ? "loopback"
                       : ip->IsPrivate()     ? "private"
                       : ip->IsLinkLocal()   ? "link-local"
                       : ip->IsUnspecified() ? "unspecified"
                                             : "public";
    std::printf("%-40s IPv%c %-12s %s\n", ip->ToString().c_str(),
                ip->is_v4() ? '4' : '6', kind,
                ip->IsLocal() ? "rejected in TRR answers (allow-rfc1918 off)"
                              : "allowed in TRR answers");
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  SplitArgs args = Split(argc, argv);
  if (args.help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!args.error.empty()) return Usage(args.error);
  std::vector<char*> rest;
  for (std::string& arg : args.rest) rest.push_back(arg.data());
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(rest.size()), rest.data());
  if (positional.size() < 2) return Usage("");
  const std::string command = positional[1];
  const std::vector<std::string> operands(positional.begin() + 2,
                                          positional.end());
  if (command == "resolve") return Resolve(operands, args);
  if (command == "serve") return Serve(args);
  if (command == "uri" && !operands.empty()) return ShowUris(operands);
  if (command == "ip" && !operands.empty()) return ClassifyAddresses(operands);
  return Usage(absl::StrCat("unknown command ", command));
}
