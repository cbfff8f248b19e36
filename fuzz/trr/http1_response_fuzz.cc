// Fuzzes Http1ResponseReader, the HTTP/1.1 side of the DoH transport: any
// bytes a server sends, cut where the first two input bytes say (how many
// responses are awaited; where the reads split), then the close. It must
// never complete more responses than were awaited, never keep a body over
// its limit, and, once it has said no, stay no.

#include <cstdint>
#include <cstdlib>

#include "trr/transport/http1.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t awaited = data[0] % 4;
  const uint8_t split = data[1];
  data += 2;
  size -= 2;
  constexpr size_t kMaxBody = 512;
  trr::Http1ResponseReader reader(kMaxBody);
  for (size_t i = 0; i < awaited; ++i) reader.Await();
  size_t responses = 0;
  const auto check = [&](trr::Http1ResponseReader::Response response) {
    ++responses;
    if (response.status < 200 || response.status > 999 ||
        response.body.size() > kMaxBody) {
      std::abort();
    }
  };
  // Reads of `split` bytes (one read of everything when 0).
  bool ok = true;
  const size_t step = split == 0 ? size : split;
  for (size_t at = 0; at < size && ok; at += step) {
    const size_t n = at + step > size ? size - at : step;
    ok = reader.Read(absl::MakeConstSpan(data + at, n), check);
  }
  if (ok) ok = reader.ReadEnd(check);
  if (ok != (reader.error() == trr::Http1ResponseReader::Error::kNone)) {
    std::abort();
  }
  if (responses > awaited || responses + reader.awaited() != awaited) {
    std::abort();
  }
  if (!ok && (reader.Read(absl::MakeConstSpan(data, size), check) ||
              reader.ErrorDetail().empty())) {
    if (size > 0) std::abort();
  }
  return 0;
}
