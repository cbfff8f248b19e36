#!/usr/bin/env bash
# Builds and runs the consumer workspace against @trr via local_repository.
set -euo pipefail
cd "$(dirname "$0")"
bazel build //:consumer
bazel-bin/consumer
bazel shutdown
