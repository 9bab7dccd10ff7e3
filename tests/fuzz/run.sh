#!/usr/bin/env bash
# Runs each fuzzer for a bounded time on a scratch copy of its seed corpus: the API request
# parser + validator (corpus/), the WHIP offer checks (corpus_sdp/), the image header checks
# of downloaded pictures (corpus_picture/), the storage-facing text (corpus_storage/), the
# whiteboard's client messages (corpus_board/), a board log replayed and drawn
# (corpus_board_replay/), the lean ingest's SRTP on any datagram (corpus_srtp/) and its RTX unwrap
# and NACK tracker (corpus_nack/), and the PCR bridge every recorded TS is read through with the
# tables-first rewrite of every A/V segment (corpus_ts/).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS   (SECONDS per fuzzer)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-fuzz}
SECONDS_BUDGET=${2:-60}
# fontconfig keeps its configuration for the process's life (the board fuzzer draws text): not a
# leak of cloudrec (tests/lsan.supp, as for the unit tests).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
run_fuzzer() {
  local name=$1 corpus=$2 max_len=$3
  local work
  work=$(mktemp -d)
  cp "$corpus"/* "$work/"
  mkdir -p tests/fuzz/work
  "$BUILD/tests/fuzz/$name" "$work" -max_total_time="$SECONDS_BUDGET" -max_len="$max_len" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix=tests/fuzz/work/ 2>&1 |
    grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' | tail -8
  local rc=${PIPESTATUS[0]}
  rm -rf "$work"
  [ "$rc" -eq 0 ] || { echo "fuzz: $name crashed (artifacts in tests/fuzz/work/)"; return 1; }
  echo "fuzz: $name: no crash in ${SECONDS_BUDGET}s"
}
run_fuzzer fuzz_request tests/fuzz/corpus 65536
run_fuzzer fuzz_sdp_offer tests/fuzz/corpus_sdp 16384
run_fuzzer fuzz_picture_header tests/fuzz/corpus_picture 4096
run_fuzzer fuzz_storage tests/fuzz/corpus_storage 8192
run_fuzzer fuzz_board tests/fuzz/corpus_board 65536
run_fuzzer fuzz_board_replay tests/fuzz/corpus_board_replay 16384
run_fuzzer fuzz_srtp tests/fuzz/corpus_srtp 1501
run_fuzzer fuzz_lean_nack tests/fuzz/corpus_nack 1501
run_fuzzer fuzz_ts_pcr_bridge tests/fuzz/corpus_ts 8192
