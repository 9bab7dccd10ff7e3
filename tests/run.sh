#!/usr/bin/env bash
# Runs every test of `make test`: the C unit and store suites (TAP through Meson), then the
# integration suites that drive a real `cloudrec serve` with real clients (node's test runner).
# Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export CLOUDREC_BIN="$PWD/$BUILD/cloudrec"

total_pass=0 total_fail=0 total_skip=0
add() { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + $3)); }

echo "== C unit and store tests"
meson test -C "$BUILD" --print-errorlogs --no-rebuild
read -r p f s < <(python3 tests/count_tap.py "$BUILD/meson-logs/testlog.json")
echo "   unit/store: $p passed, $f failed, $s skipped"
add "$p" "$f" "$s"

echo "== integration tests (node --test)"
# Inside a network namespace of their own with only loopback up, when this machine allows it:
# WebRTC candidates, forwards and ports then cannot touch or be touched by anything else.
isolate=()
if unshare -n true 2>/dev/null; then
  isolate=(unshare -n sh -c 'ip link set lo up && exec "$@"' isolated)
else
  echo "   (no network namespace available: running on the host's loopback)"
fi
log=$(mktemp)
# Two files at a time: the suites wait on real-time media far more than they compute (a serial
# run keeps the two cores about 40% busy), and each file has its own daemons, data directories
# and rooms. CLOUDREC_TEST_JOBS=1 runs them one by one. run.mjs starts the longest files first.
jobs=${CLOUDREC_TEST_JOBS:-2}
timeout 1500 "${isolate[@]}" node tests/integration/run.mjs "$jobs" 2>&1 | tee "$log"
p=$(grep -E '^# pass ' "$log" | tail -1 | awk '{print $3}')
f=$(grep -E '^# fail ' "$log" | tail -1 | awk '{print $3}')
s=$(grep -E '^# skipped ' "$log" | tail -1 | awk '{print $3}')
# A test that ran past its timeout is "cancelled" in node's summary: it failed.
c=$(grep -E '^# cancelled ' "$log" | tail -1 | awk '{print $3}')
f=$(( ${f:-0} + ${c:-0} ))
[ -n "$p" ] || { p=0; f=1; s=0; echo "integration runner produced no summary"; }
rm -f "$log"
echo "   integration: $p passed, $f failed, $s skipped"
add "$p" "${f:-0}" "${s:-0}"

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
