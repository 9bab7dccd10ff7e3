#!/usr/bin/env bash
# Runs the request fuzzer for a bounded time on a scratch copy of the seed corpus.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-fuzz}
SECONDS_BUDGET=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/fuzz/corpus/* "$work/"
mkdir -p tests/fuzz/work
"$BUILD/tests/fuzz/fuzz_request" "$work" -max_total_time="$SECONDS_BUDGET" -max_len=65536 \
  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix=tests/fuzz/work/ 2>&1 |
  grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' | tail -20
echo "fuzz: no crash in ${SECONDS_BUDGET}s"
