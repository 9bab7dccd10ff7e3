#!/bin/sh
# Runs every bench against its baseline in the same run. Usage: bench/run.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
export BUILD="$(pwd)/$BUILD"
echo "== API: DescribeCloudRecording vs a bare libsoup handler"
node bench/api.mjs
echo "== WHIP ingest: POST->201 latency and CPU per published Mbit/s (in a network namespace)"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/whip.mjs'
else
  node bench/whip.mjs
fi
echo "== ingest against Janus: 4 and 8 pre-encoded 1 Mbit/s publishers into Janus's VideoRoom, then into cloudrec"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/janus.mjs'
else
  echo "janus: SKIPPED (needs a network namespace: unshare -n)"
fi
echo "== WHIP ingest engines: webrtcbin and lean, 4 and 8 publishers (in a network namespace)"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/ingest.mjs'
else
  node bench/ingest.mjs
fi
echo "== SRTP: unprotect of 1200-byte RTP packets per CPU-second, the lean engine's (libcrypto) against libsrtp2"
mkdir -p bench/out
"$BUILD/bench/srtp" bench/out/srtp.json
echo "== single-stream recording: CPU per stream and RSS per worker against gst-launch doing the same work"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/record.mjs'
else
  node bench/record.mjs
fi
echo "== capacity: 40, 30, 20, 10 concurrent single-stream recordings (publishers on the same machine) until one holds; cores per recording"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/capacity.mjs'
else
  node bench/capacity.mjs
fi
echo "== worker memory: one single-stream worker's RSS, PSS and its largest mappings"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/worker_mem.mjs'
else
  node bench/worker_mem.mjs
fi
echo "== mixed recording: 4x720p30, 9x360p15, 16x360p15 into 1280x720 against ffmpeg xstack at the same x264 settings"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/mix.mjs'
else
  node bench/mix.mjs
fi
echo "== web-page recording: CPU and memory of one 1280x720 page (Chromium, Xvfb, PulseAudio, the worker)"
if unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec node bench/web.mjs'
else
  node bench/web.mjs
fi
echo "== board rendering: 10 minutes of a busy board into 1280x720 15 fps video against x264 alone"
node bench/board.mjs
# The last three report a wrong output (remux, merge) or a failed upload as a failure of `make bench` after
# the other benches have run.
status=0
echo "== MP4 of a 1-hour recording: cr_outputs_write against ffmpeg -c copy (outputs checked by ffprobe)"
node bench/remux.mjs || status=1
echo "== cloudrec merge of a 1-hour 4-user single-stream recording against ffmpeg -c copy (outputs checked by ffprobe)"
node bench/merge.mjs || status=1
echo "== uploads: our S3 client against curl, to a C sink and to moto_server on loopback"
node bench/upload.mjs || status=1
exit $status
