#!/usr/bin/env bash
# Installs what cloudrec needs and is missing: Debian packages (apt-get) and the npm packages the
# tests drive the service with. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential meson ninja-build pkg-config
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev libsqlite3-dev zlib1g-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev libnice-dev
  libsrtp2-dev  # not linked into cloudrec: the reference of test_lean_srtp_libsrtp and bench/srtp
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-x fonts-dejavu-core
  ffmpeg chromium iproute2 util-linux
  nftables  # the lossy path of tests/integration/lossy_ingest.test.mjs
  xvfb pulseaudio gstreamer1.0-pulseaudio
  clang libclang-rt-14-dev
  curl wrk libcurl4-openssl-dev libssl-dev
  glib-networking openssl
  libcairo2-dev libpango1.0-dev
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Web-page recording runs Chromium, Xvfb and PulseAudio as this unprivileged system user when
# the daemon runs as root (the web-record-user setting; docs/web-record.md).
if ! getent passwd cloudrec-web >/dev/null 2>&1; then
  echo "deps: creating the system user cloudrec-web"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin cloudrec-web
fi

# npm test dependencies (pinned in package-lock.json).
# A node_modules that is a symlink is shared with another checkout (a git worktree): npm ci would
# empty the tree it points to, so it is left to its owner.
if [ -L node_modules ]; then
  echo "deps: node_modules is a symlink; not reinstalling it"
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
