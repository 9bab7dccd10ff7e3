#!/bin/sh
# Runs bench/soak.mjs (CLOUDREC_SOAK_* from the environment) in a network namespace of its own
# when this machine allows it, as `make test` runs the integration tests. Usage: bench/soak.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
export BUILD="$(pwd)/${1:-build}"
if unshare -n true 2>/dev/null; then
  exec unshare -n sh -c 'ip link set lo up && exec node bench/soak.mjs'
fi
exec node bench/soak.mjs
