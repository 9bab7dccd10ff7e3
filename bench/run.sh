#!/bin/sh
# Runs every bench against its baseline in the same run. Usage: bench/run.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
export BUILD="$(pwd)/$BUILD"
echo "== API: DescribeCloudRecording vs a bare libsoup handler"
node bench/api.mjs
