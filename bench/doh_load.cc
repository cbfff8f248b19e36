// doh_load: a DoH load generator built on trr's transport, to compare with
// h2load against the same server. Keeps --concurrency queries in flight on
// one HTTP/2 connection for --duration seconds, cycling through --names.
// The last line it prints is exactly:
//   queries_per_second=Q p50_us=A p99_us=B cpu_us_per_query=C errors=E

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "base/mutex.h"
#include "bench/curl_doh_transport.h"
#include "trr/dns/base64url.h"
#include "trr/dns/dns_types.h"
#include "trr/dns/query.h"
#include "trr/transport/doh_transport.h"

ABSL_FLAG(std::string, uri, "", "DoH URI, https://host:port/path");
ABSL_FLAG(std::string, ca_file, "", "PEM file of the CA to trust");
ABSL_FLAG(
    std::string, bootstrap, "",
    "comma-separated addresses of the DoH host (network.trr.bootstrapAddr)");
ABSL_FLAG(std::string, names, "", "file with one host name per line");
ABSL_FLAG(int, concurrency, 16, "queries in flight on the one connection");
ABSL_FLAG(double, duration, 10, "seconds to run");
ABSL_FLAG(bool, get, false, "GET ?dns= instead of POST");
ABSL_FLAG(bool, print_get_urls, false,
          "print the GET URL of each query, exactly as sent, and exit (so "
          "h2load can send the same bytes)");
ABSL_FLAG(double, warmup, 0.5, "seconds to run before measuring");
ABSL_FLAG(std::string, transport, "trr",
          "trr: DohTransport, the resolver's (nghttp2 over OpenSSL, or "
          "http-parser for HTTP/1.1 servers); curl: CurlDohTransport, the "
          "libcurl one it replaced, over HTTP/2; curl-http1: the same over "
          "HTTP/1.1 on a pool of 4 connections, as trr once spoke to "
          "HTTP/1.1 servers");

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class Load {
 public:
  Load(trr::EventLoop* loop, std::vector<std::vector<uint8_t>> queries,
       int concurrency)
      : loop_(loop), queries_(std::move(queries)), concurrency_(concurrency) {}

  void Start(trr::DohConfig config, absl::Duration warmup,
             absl::Duration duration) {
    loop_->RunSync([&] {
      const std::string transport = absl::GetFlag(FLAGS_transport);
      if (transport == "curl") {
        transport_ = std::make_unique<trr::CurlDohTransport>(loop_);
      } else if (transport == "curl-http1") {
        transport_ = std::make_unique<trr::CurlDohTransport>(
            loop_, trr::CurlDohTransport::Options{
                       trr::CurlDohTransport::Http::k1_1, 4});
      } else {
        transport_ = std::make_unique<trr::DohTransport>(loop_);
      }
      transport_->Configure(std::move(config));
      const absl::Time now = trr::EventLoop::MonotonicNow();
      measure_from_ = now + warmup;
      stop_at_ = measure_from_ + duration;
      for (int i = 0; i < concurrency_; ++i) SendOne();
    });
  }

  void WaitDone() {
    trr::MutexLock lock(&mu_);
    while (!done_) cv_.Wait(&mu_);
  }

  void Stop() {
    loop_->RunSync([&] { transport_.reset(); });
  }

  std::vector<double> latencies_us;
  int64_t errors = 0;
  double cpu_start = 0, cpu_end = 0;
  absl::Time measured_from, measured_to;

 private:
  void SendOne() {
    const auto& query = queries_[next_++ % queries_.size()];
    const absl::Time sent = trr::EventLoop::MonotonicNow();
    ++in_flight_;
    transport_->Send(query, absl::Seconds(10), [this, sent](trr::DohResult r) {
      --in_flight_;
      const absl::Time now = trr::EventLoop::MonotonicNow();
      if (now >= measure_from_ && !measuring_) {
        measuring_ = true;
        cpu_start = CpuSeconds();
        measured_from = now;
      }
      if (measuring_ && now < stop_at_) {
        if (r.ok()) {
          latencies_us.push_back(absl::ToDoubleMicroseconds(now - sent));
        } else {
          ++errors;
        }
      }
      if (now < stop_at_) {
        SendOne();
      } else if (in_flight_ == 0) {
        cpu_end = CpuSeconds();
        measured_to = now;
        trr::MutexLock lock(&mu_);
        done_ = true;
        cv_.SignalAll();
      }
    });
  }

  trr::EventLoop* loop_;
  std::vector<std::vector<uint8_t>> queries_;
  int concurrency_;
  std::unique_ptr<trr::DohSender> transport_;
  size_t next_ = 0;
  int in_flight_ = 0;
  bool measuring_ = false;
  absl::Time measure_from_, stop_at_;
  trr::Mutex mu_;
  trr::CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  const size_t index = static_cast<size_t>(p * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "doh_load --uri URI --names FILE [--ca-file PEM] [--bootstrap IPS] "
      "[--concurrency N] [--duration S] [--get]");
  absl::ParseCommandLine(argc, argv);
  auto uri = trr::ParseDohUri(absl::GetFlag(FLAGS_uri));
  if (!uri.ok()) {
    std::fprintf(stderr, "doh_load: --uri: %s\n",
                 std::string(uri.status().message()).c_str());
    return 2;
  }
  std::ifstream names_file(absl::GetFlag(FLAGS_names));
  std::vector<std::vector<uint8_t>> queries;
  for (std::string name; std::getline(names_file, name);) {
    if (name.empty()) continue;
    std::vector<uint8_t> query;
    if (!trr::dns::EncodeQuery(name, trr::dns::kTypeA, trr::dns::QueryOptions(),
                               query)
             .ok()) {
      std::fprintf(stderr, "doh_load: bad name %s\n", name.c_str());
      return 2;
    }
    queries.push_back(std::move(query));
  }
  if (queries.empty()) {
    std::fprintf(stderr, "doh_load: --names must name a file of host names\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_print_get_urls)) {
    for (const auto& query : queries) {
      std::printf("%s\n",
                  uri->GetUrl(trr::dns::Base64UrlEncode(query)).c_str());
    }
    return 0;
  }
  trr::DohConfig config;
  config.uri = *uri;
  config.use_get = absl::GetFlag(FLAGS_get);
  config.ca_file = absl::GetFlag(FLAGS_ca_file);
  for (absl::string_view ip :
       absl::StrSplit(absl::GetFlag(FLAGS_bootstrap), ',', absl::SkipEmpty())) {
    auto parsed = trr::IpAddress::Parse(std::string_view(ip.data(), ip.size()));
    if (!parsed) {
      std::fprintf(stderr, "doh_load: --bootstrap: bad address\n");
      return 2;
    }
    config.bootstrap.push_back(*parsed);
  }

  trr::EventLoop loop;
  Load load(&loop, std::move(queries), absl::GetFlag(FLAGS_concurrency));
  load.Start(config, absl::Seconds(absl::GetFlag(FLAGS_warmup)),
             absl::Seconds(absl::GetFlag(FLAGS_duration)));
  load.WaitDone();
  load.Stop();

  const double seconds =
      absl::ToDoubleSeconds(load.measured_to - load.measured_from);
  const double count = static_cast<double>(load.latencies_us.size());
  std::printf("queries=%.0f seconds=%.3f\n", count, seconds);
  std::printf(
      "queries_per_second=%.0f p50_us=%.1f p99_us=%.1f cpu_us_per_query=%.2f "
      "errors=%lld\n",
      seconds > 0 ? count / seconds : 0, Percentile(load.latencies_us, 0.5),
      Percentile(load.latencies_us, 0.99),
      count > 0 ? (load.cpu_end - load.cpu_start) * 1e6 / count : 0,
      static_cast<long long>(load.errors));
  return load.errors == 0 ? 0 : 1;
}
