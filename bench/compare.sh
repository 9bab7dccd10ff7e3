#!/bin/sh
# Before/after for a change: the record and mix benches of revision REV (built in a temporary
# worktree, run with its own bench scripts) and of this tree, interleaved A B A B so that the
# machine's drift during the run falls on both alike. Usage: bench/compare.sh REV [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
REV="${1:?usage: bench/compare.sh REV [ROUNDS]}"
ROUNDS="${2:-2}"
BEFORE="$(mktemp -d /tmp/cloudrec-bench-before.XXXXXX)"
trap 'git worktree remove --force "$BEFORE" >/dev/null 2>&1 || rm -rf "$BEFORE"' EXIT
git worktree add --detach -q "$BEFORE" "$REV"
[ -e "$BEFORE/node_modules" ] || ln -s "$(pwd)/node_modules" "$BEFORE/node_modules"
(cd "$BEFORE" && meson setup build >/dev/null && ninja -C build >/dev/null)
ninja -C build >/dev/null
in_netns() {
  if unshare -n true 2>/dev/null; then
    unshare -n sh -c "ip link set lo up && exec $*"
  else
    sh -c "$*"
  fi
}
round=1
while [ "$round" -le "$ROUNDS" ]; do
  for bench in record mix; do
    for side in before after; do
      if [ "$side" = before ]; then tree="$BEFORE"; else tree="$(pwd)"; fi
      echo "== round $round, $bench, $side ($([ "$side" = before ] && echo "$REV" || echo "working tree"))"
      BUILD="$tree/build" in_netns node "$tree/bench/$bench.mjs"
    done
  done
  round=$((round + 1))
done
