// Uses @trr//:trr from another Bazel workspace: the C++ and the C API.
#include <cstdio>

#include "trr/resolver.h"
#include "trr/trr.h"

int main() {
  auto resolver = trr::Resolver::Create();
  if (!resolver.ok()) return 1;
  trr::ResolveResult r = (*resolver)->ResolveSync("localhost");
  std::printf("localhost -> %s (trr %s)\n",
              r.ok() ? r.addresses[0].ToString().c_str() : "error",
              trr_version());
  return r.ok() && r.addresses[0].ToString() == "127.0.0.1" ? 0 : 1;
}
