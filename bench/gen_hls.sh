#!/bin/sh
# Makes a recording-like HLS for the remux bench, once: H.264 (640x360 15 fps, ~500 kbit/s, x264
# ultrafast, a keyframe every 2 s) and AAC (48 kHz mono, 64 kbit/s) muxed in ~10 s MPEG-TS
# segments, the shape an AvMerge single-stream task writes. Usage: gen_hls.sh DIR SECONDS
# DIR/done marks a complete set; a partial one is made again.
set -eu
dir="$1"
seconds="$2"
if [ -f "$dir/done" ] && [ "$(cat "$dir/done")" = "$seconds" ]; then
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
ffmpeg -hide_banner -loglevel error -nostdin \
  -f lavfi -i "testsrc=size=640x360:rate=15" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset ultrafast -b:v 500k -maxrate 500k -bufsize 1000k \
  -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 64k -ac 1 \
  -f hls -hls_time 10 -hls_list_size 0 -hls_segment_type mpegts \
  -hls_segment_filename "$dir/seg%05d.ts" "$dir/index.m3u8"
echo "$seconds" >"$dir/done"
