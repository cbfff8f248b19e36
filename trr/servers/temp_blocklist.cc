#include "trr/servers/temp_blocklist.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace trr {

void TempBlocklist::Add(absl::string_view host, absl::Time now) {
  added_[std::string(host)] = now;
}

bool TempBlocklist::BlockedExactly(absl::string_view host, absl::Time now,
                                   absl::Duration duration) {
  auto it = added_.find(host);
  if (it == added_.end()) return false;
  if (now < it->second + duration) return true;
  added_.erase(it);
  return false;
}

bool TempBlocklist::IsBlocked(absl::string_view host, absl::Time now,
                              absl::Duration duration) {
  if (added_.empty()) return false;
  if (BlockedExactly(host, now, duration)) return true;
  // Parents with at least two labels left.
  size_t dot = host.find('.');
  while (dot != absl::string_view::npos) {
    absl::string_view parent = host.substr(dot + 1);
    if (parent.find('.') == absl::string_view::npos) break;
    if (BlockedExactly(parent, now, duration)) return true;
    dot = host.find('.', dot + 1);
  }
  return false;
}

std::vector<std::pair<std::string, int64_t>> TempBlocklist::Entries(
    absl::Time now, absl::Duration duration) const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& [host, added] : added_) {
    const absl::Time until = added + duration;
    if (now < until) {
      out.emplace_back(host, absl::ToInt64Seconds(
                                 absl::Ceil(until - now, absl::Seconds(1))));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

DomainList::DomainList(absl::string_view comma_separated) {
  for (absl::string_view entry :
       absl::StrSplit(comma_separated, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    absl::ConsumePrefix(&entry, "*");  // "*.example": the same as ".example"
    while (absl::ConsumePrefix(&entry, ".")) {
    }
    while (absl::ConsumeSuffix(&entry, ".")) {
    }
    if (!entry.empty()) domains_.push_back(absl::AsciiStrToLower(entry));
  }
}

bool DomainList::Matches(absl::string_view host) const {
  for (const std::string& domain : domains_) {
    if (host == domain) return true;
    if (host.size() > domain.size() && absl::EndsWith(host, domain) &&
        host[host.size() - domain.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace trr
