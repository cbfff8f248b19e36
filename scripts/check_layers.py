#!/usr/bin/env python3
"""Checks that includes follow the layers (docs/ARCHITECTURE.md).

Every C++ file of the library belongs to the layer its folder names; it may
include its own layer's headers, the layers below it (the arrows below), the
public headers (include/trr/, spelled "trr/NAME.h") and system and abseil
headers. Anything else (a transport file including the resolver, say) is
refused, naming the file, the line and the edge. Also refused: an internal
header whose spelling is a public header's (a "trr/NAME.h" in trr/), and a
file of a layer folder over the line limit.

  scripts/check_layers.py            check the tree (exit 1 on a violation)
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each layer and the layers it may include, besides itself. The public
# headers (include/trr) are open to everyone.
ALLOWED = {
    "base": set(),
    "trr/public": set(),
    "hostcache": {"base", "trr/public"},
    "prefs": {"base", "trr/public"},
    "trr/dns": {"trr/public"},
    "trr/ohttp": set(),
    "trr/loop": {"base", "trr/public"},
    "trr/native": {"base", "hostcache", "trr/dns", "trr/loop", "trr/public"},
    "trr/transport": {"base", "trr/loop", "trr/native", "trr/ohttp",
                      "trr/dns", "trr/public"},
    "trr/servers": {"base", "trr/transport", "trr/dns", "trr/public"},
    "trr/resolver": {"base", "hostcache", "prefs", "trr/dns", "trr/ohttp",
                     "trr/loop", "trr/native", "trr/transport",
                     "trr/servers", "trr/public"},
    "api": {"base", "hostcache", "prefs", "trr/dns", "trr/ohttp",
            "trr/loop", "trr/native", "trr/transport", "trr/servers",
            "trr/resolver", "trr/public"},
}
# tools/ may use everything; tests, fuzz targets and benchmarks too.
OPEN = ("tools", "tests", "fuzz", "bench", "examples")

# The folders whose files stay small: the layers the resolver was split
# into (trr/dns and trr/ohttp are cohesive as they are).
LINE_LIMIT = 600
LIMITED = ("trr/public", "trr/loop", "trr/native", "trr/transport",
           "trr/servers", "trr/resolver")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    """The layer a repository-relative path belongs to, or None."""
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if path == layer or path.startswith(layer + "/"):
            return layer
    return None


def public_headers():
    folder = os.path.join(ROOT, "include", "trr")
    return {"trr/" + name for name in os.listdir(folder) if name.endswith(".h")}


def main():
    public = public_headers()
    problems = []
    for name in sorted(os.listdir(os.path.join(ROOT, "trr"))):
        spelled = "trr/" + name
        if name.endswith(".h") and spelled in public:
            problems.append(f"trr/{name}: spelled like the public header "
                            f"include/{spelled}")
        elif os.path.isfile(os.path.join(ROOT, "trr", name)) and \
                name.endswith((".h", ".cc")):
            problems.append(f"trr/{name}: belongs in a layer folder of trr/")
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = os.path.relpath(dirpath, ROOT)
        dirnames[:] = [d for d in dirnames
                       if not d.startswith((".", "build", "bazel-"))
                       and d not in ("node_modules", "third_party")]
        for filename in filenames:
            if not filename.endswith((".h", ".cc", ".c", ".inc")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, filename))
            if rel.startswith(OPEN) or rel.startswith("include/"):
                continue
            layer = layer_of(rel)
            if layer is None:
                continue
            with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
                lines = f.readlines()
            if layer.startswith(LIMITED) and len(lines) > LINE_LIMIT:
                problems.append(f"{rel}: {len(lines)} lines, over "
                                f"{LINE_LIMIT}")
            for number, line in enumerate(lines, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                if target in public or target.startswith("absl/"):
                    continue
                to = layer_of(target)
                if to is None:
                    problems.append(f"{rel}:{number}: includes {target}, "
                                    "which no layer holds")
                elif to != layer and to not in ALLOWED[layer]:
                    problems.append(f"{rel}:{number}: {layer} may not "
                                    f"include {to} ({target})")
    for problem in problems:
        print(f"check_layers: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("check_layers: every include follows the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
